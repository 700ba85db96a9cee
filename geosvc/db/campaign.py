"""Every SQL statement of the campaign feeds, as a named constant. Bind parameters only.

Nearest sites were ranked at ingestion (geosvc/db/nearest.py); a point's are ranked in memory
(geosvc/core/point_index.py, built from COMMUNE_SHAPES and the served sites).
"""

from __future__ import annotations

from psycopg import Cursor

# Homonyms, by the rule the search labels use (geosvc.search.label): names equal once
# case, accents, separators, St/Saint and a leading article are ignored; `search_name` is
# geosvc.textnorm.normalise_name(nom), so dropping its spaces gives textnorm.compact(nom).
# Counted over the whole region: "Brie" of the Aisne is a homonym of "Brie" of the Somme.
HOMONYM_KEYS_CTE = """
    homonym_keys AS (
        SELECT replace(h.search_name, ' ', '') AS name_key
        FROM communes h
        GROUP BY 1
        HAVING count(*) > 1
    )
"""
IS_HOMONYM = "EXISTS (SELECT 1 FROM homonym_keys k WHERE k.name_key = replace(c.search_name, ' ', ''))"

# French order: ICU's French collation ignores case and accents at the first level
# (Écaillon sorts among the E, Œuilly as Oeuilly) and sorts the name as written, article
# included (Le Quesnoy under L), as the displayed labels begin. `fr-x-icu` is created by
# initdb on any PostgreSQL built with ICU (Debian's is); tests/test_campaign.py checks it
# agrees with geosvc.textnorm.sort_key on every department.
FRENCH_ORDER = 'COLLATE "fr-x-icu"'

DEPARTEMENTS = """
    SELECT d.code, d.nom, count(c.code)::int AS communes_count
    FROM departements d LEFT JOIN communes c ON c.departement = d.code
    GROUP BY d.code, d.nom
    ORDER BY d.code
"""

# The whole department in one statement; each commune's nearest served site, and its own
# mission locale's nearest one, were ranked at ingestion (commune_nearest, commune_own_sites).
# LEFT JOINs: a commune stays listed, with no mission, if no site at all is served.
DEPARTEMENT_COMMUNES = f"""
    WITH {HOMONYM_KEYS_CTE}
    SELECT c.code, c.nom, c.codes_postaux, {IS_HOMONYM} AS homonym,
           d.nom AS departement_nom,
           s.id, s.name, s.city, s.location_precision, s.mission_locale, n.distances_m[1] AS distance_m,
           own.mission_locale AS own_code, m.name AS own_name,
           os.id AS own_site_id, os.name AS own_site_name, os.city AS own_site_city,
           os.location_precision AS own_site_location_precision, own.distance_m AS own_site_distance_m
    FROM communes c
    JOIN departements d ON d.code = c.departement
    LEFT JOIN commune_nearest n ON n.code = c.code
    LEFT JOIN mission_sites s ON s.id = n.site_ids[1]
    LEFT JOIN LATERAL (
        SELECT o.mission_locale, o.site_ids[1] AS site_id, o.distances_m[1] AS distance_m
        FROM commune_own_sites o WHERE o.code = c.code
        ORDER BY o.distances_m[1] NULLS LAST, o.mission_locale
        LIMIT 1
    ) AS own ON true
    LEFT JOIN missions_locales m ON m.code = own.mission_locale
    LEFT JOIN mission_sites os ON os.id = own.site_id
    WHERE c.departement = %(departement)s
    ORDER BY c.nom {FRENCH_ORDER}, c.code
"""

# Every commune's polygon (WKB) and label facts: the in-memory point index is built from them.
COMMUNE_SHAPES = f"""
    WITH {HOMONYM_KEYS_CTE}
    SELECT c.code, c.nom, c.departement, {IS_HOMONYM} AS homonym, ST_AsBinary(c.geom) AS wkb
    FROM communes c
    ORDER BY c.code
"""

# 6 decimals of a degree is about 10 cm: more would be noise on simplified boundaries.
COMMUNE_OUTLINE = f"""
    WITH {HOMONYM_KEYS_CTE}
    SELECT c.code, c.nom, c.departement, {IS_HOMONYM} AS homonym,
           ST_AsGeoJSON(c.geom, 6)::json AS geometry
    FROM communes c
    WHERE c.code = %(code)s
"""


def departements(cursor: Cursor) -> list[dict]:
    return cursor.execute(DEPARTEMENTS).fetchall()


def departement_communes(cursor: Cursor, departement: str) -> list[dict]:
    return cursor.execute(DEPARTEMENT_COMMUNES, {"departement": departement}).fetchall()


def commune_shapes(cursor: Cursor) -> list[dict]:
    return cursor.execute(COMMUNE_SHAPES).fetchall()


def commune_outline(cursor: Cursor, code: str) -> dict | None:
    return cursor.execute(COMMUNE_OUTLINE, {"code": code}).fetchone()
