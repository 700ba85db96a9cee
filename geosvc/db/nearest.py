"""The nearest served sites of a point: the one KNN-then-spheroid fragment, and the table
of every commune's nearest sites computed from it at ingestion.

Distances: `ST_Distance(geography, geography)` is geodesic on the WGS84 spheroid
(PostGIS default use_spheroid = true), in metres. The KNN operator `<->` on geography
orders by *sphere* distance, so it only picks candidates through the GiST index: a few
more than asked, then ranked by the spheroid distance, or near-ties could come out swapped.
Every nearest-site statement of the service is built from `nearest_sites` below.
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import MAX_K, SITE_SERVED
from geosvc.db.communes import COMMUNE_COLUMNS

# Extra KNN candidates re-ranked on the spheroid. Sphere and spheroid distances differ
# by well under 1 %, so only sites within that margin of the k-th can swap places.
KNN_EXTRA_CANDIDATES = 8


def nearest_sites(point: str, columns: str = "s.id", exclude: str = "", also: str = "") -> str:
    """A subquery: the %(k)s nearest served sites of `point` (an SQL geography expression),
    each with `columns`, `geog` and `distance_m`, ordered by spheroid distance then id.

    `exclude` adds a condition on the stored site `s`; `also` is a UNION ALL branch of
    extra candidates (id, geog) that are not stored (a what-if scenario's added sites).
    Binds %(candidates)s (k + KNN_EXTRA_CANDIDATES) and %(k)s.
    """
    union = f"UNION ALL {also}" if also else ""
    return f"""
        SELECT candidate.*, ST_Distance(candidate.geog, {point}) AS distance_m
        FROM (
            (SELECT {columns}, s.geog
             FROM mission_sites s
             WHERE s.status = '{SITE_SERVED}'{exclude}
             ORDER BY s.geog <-> {point}
             LIMIT %(candidates)s)
            {union}
        ) AS candidate
        ORDER BY distance_m, candidate.id
        LIMIT %(k)s
    """


def knn_params(k: int) -> dict:
    return {"k": k, "candidates": k + KNN_EXTRA_CANDIDATES}


# Every commune's MAX_K nearest served sites, in one statement, at ingestion.
PRECOMPUTE_NEAREST = f"""
    INSERT INTO commune_nearest (code, site_ids, distances_m)
    SELECT c.code, array_agg(n.id ORDER BY n.distance_m, n.id), array_agg(n.distance_m ORDER BY n.distance_m, n.id)
    FROM communes c
    CROSS JOIN LATERAL ({nearest_sites("c.point")}) AS n
    GROUP BY c.code
"""

NEAREST_TABLE = f"""
    SELECT {COMMUNE_COLUMNS}, n.site_ids, n.distances_m
    FROM commune_nearest n JOIN communes c ON c.code = n.code
"""


def precompute(cursor: Cursor) -> None:
    cursor.execute(PRECOMPUTE_NEAREST, knn_params(MAX_K))


def nearest_table(cursor: Cursor) -> list[dict]:
    """Every commune (with its columns) and its MAX_K nearest site ids and distances."""
    return cursor.execute(NEAREST_TABLE).fetchall()
