"""Every SQL statement of the coverage analysis, as a named constant, and a function each.

Bind parameters only. The hypothetical network of a what-if scenario is never written:
it is the stored served sites minus `removed` ids, plus `added` points passed as arrays,
so every statement runs on the service's read-only connections.

Distances: `ST_Distance(geography, geography)` is geodesic on the WGS84 spheroid, in
metres; nearest sites come from the one KNN-then-spheroid fragment of geosvc/db/nearest.py.
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import PRECISION_COMMUNE, SITE_SERVED
from geosvc.db.nearest import knn_params, nearest_sites

# Catchment and Voronoi polygons: 5 decimals of a degree is about 1 m, far below the
# precision of the simplified commune boundaries.
GEOJSON_DECIMALS = 5
# Lambert-93: France's official metric projection, where the Voronoi diagram is drawn.
LAMBERT93 = 2154
# The Voronoi diagram is built on a frame this much larger than the region, then clipped.
VORONOI_MARGIN_M = 50_000

# The JIT compiler costs ~0.2 s on the coverage statement (its cost estimate is huge
# because of the 3,782 lateral KNN scans) and saves nothing: off for this transaction.
NO_JIT = "SET LOCAL jit = off"

# Each served site with its mission locale (the union's code, NULL on a data set without
# zones, e.g. the France-wide one) and that mission locale's display name.
NETWORK_SITES = f"""
    SELECT s.id, s.name, s.insee, c.nom AS commune, s.kind, s.location_precision,
           s.mission_locale, m.name AS mission_locale_name,
           ST_X(s.geog::geometry) AS lon, ST_Y(s.geog::geometry) AS lat
    FROM mission_sites s
    JOIN communes c ON c.code = s.insee
    LEFT JOIN missions_locales m ON m.code = s.mission_locale
    WHERE s.status = '{SITE_SERVED}'
    ORDER BY s.id
"""

# Every mission locale with the communes of its zone (a commune on several zones is in each).
# Their population is taken from the coverage rows, which already hold it: joining the
# communes here would read their polygons' table for nothing.
MISSIONS_LOCALES = """
    SELECT m.code, m.name,
           coalesce(array_agg(z.insee ORDER BY z.insee) FILTER (WHERE z.insee IS NOT NULL), '{}') AS zone
    FROM missions_locales m
    LEFT JOIN zones z ON z.mission_locale = m.code
    GROUP BY m.code, m.name
    ORDER BY m.code
"""

# ONE statement for the whole region: for each commune, its k nearest sites of the
# (possibly hypothetical) network, as arrays ordered by spheroid distance then site id.
COMMUNE_COVERAGE = f"""
    WITH added AS MATERIALIZED (
        SELECT a.id, ST_SetSRID(ST_MakePoint(a.lon, a.lat), 4326)::geography AS geog
        FROM unnest(%(added_ids)s::text[], %(added_lons)s::float8[], %(added_lats)s::float8[])
             AS a(id, lon, lat)
    )
    SELECT c.code, c.nom, c.departement, d.nom AS departement_nom, d.region,
           c.epci, e.nom AS epci_nom, e.type AS epci_type, c.population,
           ST_X(c.point::geometry) AS lon, ST_Y(c.point::geometry) AS lat,
           nearest.site_ids, nearest.distances
    FROM communes c
    JOIN departements d ON d.code = c.departement
    LEFT JOIN epci e ON e.siren = c.epci
    CROSS JOIN LATERAL (
        SELECT array_agg(ranked.id ORDER BY ranked.distance_m, ranked.id) AS site_ids,
               array_agg(ranked.distance_m ORDER BY ranked.distance_m, ranked.id) AS distances
        FROM ({nearest_sites("c.point", exclude=" AND s.id <> ALL(%(removed)s::text[])",
                             also="SELECT a.id, a.geog FROM added a")}) AS ranked
    ) AS nearest
    ORDER BY c.code
"""

# The current network's answer needs no search: every commune's nearest served sites were
# ranked at ingestion (commune_nearest, geosvc/db/nearest.py), by the same rule as above.
CURRENT_COVERAGE = """
    SELECT c.code, c.nom, c.departement, d.nom AS departement_nom, d.region,
           c.epci, e.nom AS epci_nom, e.type AS epci_type, c.population,
           ST_X(c.point::geometry) AS lon, ST_Y(c.point::geometry) AS lat,
           n.site_ids[1:%(k)s] AS site_ids, n.distances_m[1:%(k)s] AS distances
    FROM communes c
    JOIN departements d ON d.code = c.departement
    LEFT JOIN epci e ON e.siren = c.epci
    JOIN commune_nearest n ON n.code = c.code
    ORDER BY c.code
"""

COMMUNE_AT = """
    SELECT c.code, c.nom FROM communes c
    WHERE ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
    ORDER BY c.code
    LIMIT 1
"""

SITE_STATUS = "SELECT s.id, s.name, s.status, s.status_reason FROM mission_sites s WHERE s.id = ANY(%(ids)s::text[])"

COMMUNE_GEOMETRIES = f"SELECT c.code, ST_AsGeoJSON(c.geom, {GEOJSON_DECIMALS}) AS geometry FROM communes c"

# Communes dissolved by a grouping computed in Python (nearest site, or its mission locale).
DISSOLVE = f"""
    SELECT dissolved.group_id, ST_AsGeoJSON(dissolved.geom, {GEOJSON_DECIMALS}) AS geometry,
           ST_Area(dissolved.geom::geography) / 1e6 AS area_km2
    FROM (
        SELECT g.group_id, ST_Multi(ST_Union(c.geom)) AS geom
        FROM unnest(%(codes)s::text[], %(groups)s::text[]) AS g(code, group_id)
        JOIN communes c ON c.code = g.code
        GROUP BY g.group_id
    ) AS dissolved
    ORDER BY dissolved.group_id
"""

# The region's outline in Lambert-93, to clip the Voronoi cells. A statement of its own:
# unioning 3,782 polygons takes most of a second, and each statement has its time limit.
REGION_OUTLINE = f"SELECT ST_AsBinary(ST_Transform(ST_Union(c.geom), {LAMBERT93})) AS wkb FROM communes c"

# Planar Voronoi cells of the sites in Lambert-93, clipped to the region's outline.
# Sites at the same point share one cell.
VORONOI = f"""
    WITH sites AS MATERIALIZED (
        SELECT v.id, ST_Transform(ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326), {LAMBERT93}) AS geom
        FROM unnest(%(ids)s::text[], %(lons)s::float8[], %(lats)s::float8[]) AS v(id, lon, lat)
    ),
    region AS MATERIALIZED (
        SELECT ST_GeomFromWKB(%(region)s, {LAMBERT93}) AS geom
    ),
    cells AS (
        SELECT (ST_Dump(ST_VoronoiPolygons(
            (SELECT ST_Collect(s.geom) FROM sites s), 0,
            (SELECT ST_Expand(r.geom, {VORONOI_MARGIN_M}) FROM region r)
        ))).geom AS cell
        UNION ALL
        -- GEOS draws no cell around a lone site: its cell is the whole frame
        SELECT ST_Expand(r.geom, {VORONOI_MARGIN_M}) FROM region r WHERE (SELECT count(*) FROM sites) = 1
    ),
    clipped AS (
        SELECT s.id, ST_Transform(ST_Multi(ST_Intersection(cells.cell, region.geom)), 4326) AS geom
        FROM cells JOIN sites s ON ST_Intersects(cells.cell, s.geom) CROSS JOIN region
    )
    SELECT clipped.id, ST_AsGeoJSON(clipped.geom, {GEOJSON_DECIMALS}) AS geometry,
           ST_Area(clipped.geom::geography) / 1e6 AS area_km2
    FROM clipped
    ORDER BY clipped.id
"""

# --- data quality ---------------------------------------------------------------------

COMMUNES_INCOMPLETE = """
    SELECT c.code, c.nom, c.departement, c.population, c.codes_postaux
    FROM communes c
    WHERE c.population IS NULL OR cardinality(c.codes_postaux) = 0
    ORDER BY c.code
"""

APPROXIMATE_SITES = f"""
    SELECT s.id, s.name, s.insee, c.nom AS commune, s.status, s.coord_source, s.note
    FROM mission_sites s JOIN communes c ON c.code = s.insee
    WHERE s.location_precision = '{PRECISION_COMMUNE}'
    ORDER BY s.id
"""

NOT_SERVED_SITES = f"""
    SELECT s.id, s.name, s.status, s.status_reason, s.superseded_by
    FROM mission_sites s
    WHERE s.status <> '{SITE_SERVED}'
    ORDER BY s.status, s.id
"""

# A site whose point is outside the commune its row names: how far, and where it is.
SITES_OUTSIDE_COMMUNE = """
    SELECT s.id, s.name, s.status, s.insee, c.nom AS commune,
           ST_Distance(c.geom::geography, s.geog) AS distance_m,
           (SELECT x.code FROM communes x WHERE ST_Intersects(x.geom, s.geog::geometry)
            ORDER BY x.code LIMIT 1) AS found_in
    FROM mission_sites s JOIN communes c ON c.code = s.insee
    WHERE NOT ST_Intersects(c.geom, s.geog::geometry)
    ORDER BY distance_m DESC, s.id
"""

# Pairs of served sites that are probably one office listed twice: (almost) the same point,
# or the same street address.
DUPLICATE_SITES = f"""
    SELECT a.id AS id, b.id AS other_id, a.name, b.name AS other_name,
           ST_Distance(a.geog, b.geog) AS distance_m,
           (a.address IS NOT NULL AND lower(a.address) = lower(b.address)
            AND a.postcode IS NOT DISTINCT FROM b.postcode) AS same_address
    FROM mission_sites a JOIN mission_sites b ON a.id < b.id
    WHERE a.status = '{SITE_SERVED}' AND b.status = '{SITE_SERVED}'
      AND (ST_DWithin(a.geog, b.geog, %(radius_m)s)
           OR (a.address IS NOT NULL AND lower(a.address) = lower(b.address)
               AND a.postcode IS NOT DISTINCT FROM b.postcode))
    ORDER BY distance_m, a.id, b.id
"""

# --- zones: each commune's own mission locale ------------------------------------------

# Every zone row (commune, own mission locale) with ALL the served sites of that mission locale,
# ranked at ingestion by spheroid distance then id (commune_own_sites): a scenario drops its
# closed and moved ids from these short lists (a mission locale has 1 to 6 sites) and needs no
# search. Empty arrays: that mission locale has no served site.
OWN_SITES = """
    SELECT z.insee AS code, z.mission_locale, z.several,
           coalesce(o.site_ids, '{}') AS site_ids, coalesce(o.distances_m, '{}') AS distances
    FROM zones z
    LEFT JOIN commune_own_sites o ON o.code = z.insee AND o.mission_locale = z.mission_locale
    ORDER BY z.insee, z.mission_locale
"""

# A scenario's placed sites (new, or moved) that belong to a mission locale: their distance to
# every commune of that mission locale's zone, measured as commune_own_sites measures (spheroid).
PLACED_OWN_DISTANCES = """
    SELECT a.id, z.insee AS code, z.mission_locale,
           ST_Distance(ST_SetSRID(ST_MakePoint(a.lon, a.lat), 4326)::geography, c.point) AS distance_m
    FROM unnest(%(ids)s::text[], %(missions)s::text[], %(lons)s::float8[], %(lats)s::float8[])
         AS a(id, mission_locale, lon, lat)
    JOIN zones z ON z.mission_locale = a.mission_locale
    JOIN communes c ON c.code = z.insee
"""

# Each zone's area: the sum of its communes' geodesic areas (WGS84 spheroid). Communes do not
# overlap, so this is the area of their union without dissolving them (the union costs ~1 s for
# the region, the sum ~0.2 s: still cached per data version by the service).
ZONE_AREAS = """
    SELECT z.mission_locale, sum(ST_Area(c.geom::geography)) / 1e6 AS area_km2
    FROM zones z JOIN communes c ON c.code = z.insee
    GROUP BY z.mission_locale
"""

# --- brute-force comparison (benchmark) -----------------------------------------------

COMMUNE_POINTS = "SELECT c.code, ST_X(c.point::geometry) AS lon, ST_Y(c.point::geometry) AS lat FROM communes c"


def network_sites(cursor: Cursor) -> list[dict]:
    return cursor.execute(NETWORK_SITES).fetchall()


def missions_locales(cursor: Cursor) -> list[dict]:
    return cursor.execute(MISSIONS_LOCALES).fetchall()


def commune_coverage(
    cursor: Cursor, k: int, removed: list[str], added: list[tuple[str, float, float]]
) -> list[dict]:
    """Every commune with its k nearest sites: stored served sites minus `removed`, plus `added`."""
    if not removed and not added:
        return cursor.execute(CURRENT_COVERAGE, {"k": k}).fetchall()
    cursor.execute(NO_JIT)
    params = {
        **knn_params(k),
        "removed": removed,
        "added_ids": [site_id for site_id, _, _ in added],
        "added_lons": [lon for _, lon, _ in added],
        "added_lats": [lat for _, _, lat in added],
    }
    return cursor.execute(COMMUNE_COVERAGE, params).fetchall()


def commune_at(cursor: Cursor, lon: float, lat: float) -> dict | None:
    return cursor.execute(COMMUNE_AT, {"lon": lon, "lat": lat}).fetchone()


def site_status(cursor: Cursor, ids: list[str]) -> dict[str, dict]:
    return {row["id"]: row for row in cursor.execute(SITE_STATUS, {"ids": ids}).fetchall()}


def commune_geometries(cursor: Cursor) -> dict[str, str]:
    return {row["code"]: row["geometry"] for row in cursor.execute(COMMUNE_GEOMETRIES).fetchall()}


# The zones' outlines: the materialized view of revision 0003, refreshed by every ingestion (the
# union of ~90 commune polygons per zone is too slow to redo per request). "analyse" is quoted:
# it is a reserved word of PostgreSQL.
ZONE_OUTLINES = f"""
    SELECT code, name, communes, population, area_km2, ST_AsGeoJSON(geom, {GEOJSON_DECIMALS}) AS geometry
    FROM "analyse".zones ORDER BY code
"""


def zone_outlines(cursor: Cursor) -> list[dict]:
    return cursor.execute(ZONE_OUTLINES).fetchall()


def dissolve(cursor: Cursor, codes: list[str], groups: list[str]) -> list[dict]:
    return cursor.execute(DISSOLVE, {"codes": codes, "groups": groups}).fetchall()


def voronoi(cursor: Cursor, sites: list[tuple[str, float, float]]) -> list[dict]:
    region = cursor.execute(REGION_OUTLINE).fetchone()["wkb"]
    params = {
        "region": region,
        "ids": [site_id for site_id, _, _ in sites],
        "lons": [lon for _, lon, _ in sites],
        "lats": [lat for _, _, lat in sites],
    }
    return cursor.execute(VORONOI, params).fetchall()


def communes_incomplete(cursor: Cursor) -> list[dict]:
    return cursor.execute(COMMUNES_INCOMPLETE).fetchall()


def approximate_sites(cursor: Cursor) -> list[dict]:
    return cursor.execute(APPROXIMATE_SITES).fetchall()


def not_served_sites(cursor: Cursor) -> list[dict]:
    return cursor.execute(NOT_SERVED_SITES).fetchall()


def sites_outside_commune(cursor: Cursor) -> list[dict]:
    return cursor.execute(SITES_OUTSIDE_COMMUNE).fetchall()


def duplicate_sites(cursor: Cursor, radius_m: float) -> list[dict]:
    return cursor.execute(DUPLICATE_SITES, {"radius_m": radius_m}).fetchall()


def own_sites(cursor: Cursor) -> list[dict]:
    return cursor.execute(OWN_SITES).fetchall()


def placed_own_distances(cursor: Cursor, placed: list[tuple[str, str, float, float]]) -> list[dict]:
    """(id, mission locale, lon, lat) of placed sites -> their distance to each commune of that zone."""
    if not placed:
        return []
    params = {
        "ids": [p[0] for p in placed], "missions": [p[1] for p in placed],
        "lons": [p[2] for p in placed], "lats": [p[3] for p in placed],
    }
    return cursor.execute(PLACED_OWN_DISTANCES, params).fetchall()


def zone_areas(cursor: Cursor) -> dict[str, float]:
    return {row["mission_locale"]: row["area_km2"] for row in cursor.execute(ZONE_AREAS).fetchall()}


def commune_points(cursor: Cursor) -> list[dict]:
    return cursor.execute(COMMUNE_POINTS).fetchall()
