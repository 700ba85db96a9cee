"""Every SQL statement the web service runs, as a named constant, and a function each.

Bind parameters only. Kept in one file so they are easy to review and to EXPLAIN.

Distances: `ST_Distance(geography, geography)` is geodesic on the WGS84 spheroid
(PostGIS default use_spheroid = true), in metres. The KNN operator `<->` on
geography orders by *sphere* distance, so it only picks candidates: a few more than
asked, then ranked by the spheroid distance, or near-ties could come out swapped.
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc.db.models import SITE_SERVED

# Extra KNN candidates re-ranked on the spheroid. Sphere and spheroid distances differ
# by well under 1 %, so only sites within that margin of the k-th can swap places.
KNN_EXTRA_CANDIDATES = 8

DISTANCE_METHOD = (
    "geodesic distance on the WGS84 ellipsoid (PostGIS geography ST_Distance, spheroid), in metres, "
    "from the commune's reference point (ST_PointOnSurface of its polygon) to the site's point"
)

COMMUNE_COLUMNS = """
    c.code, c.nom, c.departement, c.codes_postaux, c.population,
    ST_X(c.point::geometry) AS lon, ST_Y(c.point::geometry) AS lat
"""

SITE_COLUMNS = """
    s.id, s.name, s.address, s.postcode, s.city, s.insee, s.kind, s.phone, s.website,
    s.location_precision, ST_X(s.geog::geometry) AS lon, ST_Y(s.geog::geometry) AS lat
"""

GET_COMMUNE = f"SELECT {COMMUNE_COLUMNS} FROM communes c WHERE c.code = %(code)s"

FIND_FORMER_COMMUNE = """
    SELECT f.code, f.nom, f.type, c.code AS current_code, c.nom AS current_nom
    FROM former_communes f JOIN communes c ON c.code = f.code_actuel
    WHERE f.code = %(code)s
    ORDER BY f.nom NULLS LAST
"""

NEAREST_TABLE = f"""
    SELECT {COMMUNE_COLUMNS}, n.site_ids, n.distances_m
    FROM commune_nearest n JOIN communes c ON c.code = n.code
"""

# Commune search runs in memory (geosvc/search.py); these statements only build its
# index, and tell a running worker when an ingestion has replaced the data.
SEARCH_INDEX_COMMUNES = f"SELECT {COMMUNE_COLUMNS} FROM communes c ORDER BY c.code"

SEARCH_INDEX_FORMER = """
    SELECT f.code, f.nom, f.type, f.code_actuel FROM former_communes f ORDER BY f.code, f.nom NULLS LAST
"""

# Every ingestion rewrites `datasets` (new loaded_at, sha256 per file) in the same
# transaction as the data: a few rows, so comparing them is a cheap change test.
DATA_FINGERPRINT = """
    SELECT coalesce(string_agg(d.name || ' ' || d.sha256 || ' ' || d.loaded_at::text, ', ' ORDER BY d.name), '')
           AS fingerprint
    FROM datasets d
"""

LIST_SERVED_SITES = f"""
    SELECT {SITE_COLUMNS} FROM mission_sites s
    WHERE s.status = '{SITE_SERVED}' ORDER BY s.id
"""

GET_SITE = f"SELECT {SITE_COLUMNS}, s.status, s.status_reason, s.superseded_by FROM mission_sites s WHERE s.id = %(id)s"

DATA_VINTAGE = f"""
    SELECT d.name, d.file, d.source, d.vintage, d.rows, d.loaded_at, d.sha256,
           CASE WHEN d.name = 'missions' THEN (
               SELECT json_build_object('from', min(source_date), 'to', max(source_date))
               FROM mission_sites WHERE status = '{SITE_SERVED}'
           ) END AS records_dated
    FROM datasets d ORDER BY d.name
"""

HEALTH = """
    SELECT postgis_lib_version() AS postgis_version,
           current_setting('server_version') AS postgresql_version,
           (SELECT count(*) FROM communes) AS communes,
           (SELECT count(*) FROM mission_sites WHERE status = 'served') AS served_sites,
           (SELECT count(*) FROM mission_sites) AS sites,
           (SELECT count(*) FROM former_communes) AS former_communes
"""


def get_commune(cursor: Cursor, code: str) -> dict | None:
    return cursor.execute(GET_COMMUNE, {"code": code}).fetchone()


def find_former_commune(cursor: Cursor, code: str) -> dict | None:
    return cursor.execute(FIND_FORMER_COMMUNE, {"code": code}).fetchone()


def nearest_table(cursor: Cursor) -> list[dict]:
    return cursor.execute(NEAREST_TABLE).fetchall()


def search_index_communes(cursor: Cursor) -> list[dict]:
    return cursor.execute(SEARCH_INDEX_COMMUNES).fetchall()


def search_index_former(cursor: Cursor) -> list[dict]:
    return cursor.execute(SEARCH_INDEX_FORMER).fetchall()


def data_fingerprint(cursor: Cursor) -> str:
    """Changes with every ingestion: name, sha256 and load time of each dataset."""
    return cursor.execute(DATA_FINGERPRINT).fetchone()["fingerprint"]


def list_served_sites(cursor: Cursor) -> list[dict]:
    return cursor.execute(LIST_SERVED_SITES).fetchall()


def get_site(cursor: Cursor, site_id: str) -> dict | None:
    return cursor.execute(GET_SITE, {"id": site_id}).fetchone()


def data_vintage(cursor: Cursor) -> list[dict]:
    return cursor.execute(DATA_VINTAGE).fetchall()


def health(cursor: Cursor) -> dict:
    return cursor.execute(HEALTH).fetchone()

