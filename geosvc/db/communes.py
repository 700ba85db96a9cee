"""SQL on communes and former communes. Bind parameters only."""

from __future__ import annotations

from psycopg import Cursor

COMMUNE_COLUMNS = """
    c.code, c.nom, c.departement, c.codes_postaux, c.population,
    ST_X(c.point::geometry) AS lon, ST_Y(c.point::geometry) AS lat
"""

GET_COMMUNE = f"SELECT {COMMUNE_COLUMNS} FROM communes c WHERE c.code = %(code)s"

FIND_FORMER_COMMUNE = """
    SELECT f.code, f.nom, f.type, c.code AS current_code, c.nom AS current_nom
    FROM former_communes f JOIN communes c ON c.code = f.code_actuel
    WHERE f.code = %(code)s
    ORDER BY f.nom NULLS LAST
"""

# Commune search runs in memory (geosvc/core/search_index.py); these only build its index.
SEARCH_INDEX_COMMUNES = f"SELECT {COMMUNE_COLUMNS} FROM communes c ORDER BY c.code"

SEARCH_INDEX_FORMER = """
    SELECT f.code, f.nom, f.type, f.code_actuel FROM former_communes f ORDER BY f.code, f.nom NULLS LAST
"""


def get_commune(cursor: Cursor, code: str) -> dict | None:
    return cursor.execute(GET_COMMUNE, {"code": code}).fetchone()


def find_former_commune(cursor: Cursor, code: str) -> dict | None:
    return cursor.execute(FIND_FORMER_COMMUNE, {"code": code}).fetchone()


def search_index_communes(cursor: Cursor) -> list[dict]:
    return cursor.execute(SEARCH_INDEX_COMMUNES).fetchall()


def search_index_former(cursor: Cursor) -> list[dict]:
    return cursor.execute(SEARCH_INDEX_FORMER).fetchall()
