"""SQL on the mission locale network: missions locales, their zones, and each commune's own sites.

A commune's own mission locale is the one the union's table names for it (zones); its
sites are that mission locale's served sites, ranked by geodesic distance (WGS84
spheroid, metres) from the commune's reference point. A mission locale has a handful of
sites, so they are all ranked, set-based, at ingestion (no KNN needed).
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import SITE_SERVED

PRECOMPUTE_OWN_SITES = f"""
    INSERT INTO commune_own_sites (code, mission_locale, site_ids, distances_m)
    SELECT z.insee, z.mission_locale,
           coalesce(array_agg(s.id ORDER BY ST_Distance(s.geog, c.point), s.id)
                    FILTER (WHERE s.id IS NOT NULL), '{{}}'),
           coalesce(array_agg(ST_Distance(s.geog, c.point) ORDER BY ST_Distance(s.geog, c.point), s.id)
                    FILTER (WHERE s.id IS NOT NULL), '{{}}')
    FROM zones z
    JOIN communes c ON c.code = z.insee
    LEFT JOIN mission_sites s ON s.mission_locale = z.mission_locale AND s.status = '{SITE_SERVED}'
    GROUP BY z.insee, z.mission_locale
"""

MISSIONS_LOCALES = """
    SELECT m.code, m.official_name, m.name, m.address, m.postcode, m.city, m.head_office_insee,
           (SELECT count(*) FROM zones z WHERE z.mission_locale = m.code)::int AS communes_count,
           (SELECT coalesce(sum(c.population), 0) FROM zones z JOIN communes c ON c.code = z.insee
            WHERE z.mission_locale = m.code)::int AS population
    FROM missions_locales m
    ORDER BY m.code
"""

OWN_SITES = """
    SELECT o.code, o.mission_locale, o.site_ids, o.distances_m
    FROM commune_own_sites o ORDER BY o.code, o.mission_locale
"""

ZONE_COMMUNES = """
    SELECT z.mission_locale, z.insee AS code, z.several
    FROM zones z JOIN communes c ON c.code = z.insee
    ORDER BY z.mission_locale, c.nom, z.insee
"""

# 5 decimals of a degree is about 1 m, far below the precision of the simplified boundaries.
ZONE_OUTLINE = """
    SELECT ST_AsGeoJSON(ST_Multi(ST_Union(c.geom)), 5)::json AS geometry,
           ST_Area(ST_Union(c.geom)::geography) / 1e6 AS area_km2
    FROM zones z JOIN communes c ON c.code = z.insee
    WHERE z.mission_locale = %(code)s
"""


def precompute_own_sites(cursor: Cursor) -> None:
    cursor.execute(PRECOMPUTE_OWN_SITES)


def missions_locales(cursor: Cursor) -> list[dict]:
    return cursor.execute(MISSIONS_LOCALES).fetchall()


def own_sites(cursor: Cursor) -> list[dict]:
    return cursor.execute(OWN_SITES).fetchall()


def zone_communes(cursor: Cursor) -> list[dict]:
    return cursor.execute(ZONE_COMMUNES).fetchall()


def zone_outline(cursor: Cursor, code: str) -> dict | None:
    row = cursor.execute(ZONE_OUTLINE, {"code": code}).fetchone()
    return row if row and row["geometry"] is not None else None
