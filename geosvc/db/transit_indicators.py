"""SQL of the analysts' TER access figures (geosvc/coverage/transit.py), read from `commune_transit`.

Every commune counts under each target and mode, routed or not: a commune with no row for a
target (no zone, or its mission locale has no served site) is "without target", never left out,
so the shares of an area are over all its communes and inhabitants. A commune on several zones
counts in each zone.
"""

from __future__ import annotations

from psycopg import Cursor

LEVELS = ("region", "departement", "epci", "zone")

# One row per area, target, mode and threshold. The communes are first counted per distinct time
# (a few hundred per area), so the thresholds multiply that small histogram, not every commune: with
# 10 thresholds the statement stays well inside the service's time limit.
INDICATORS = """
WITH base AS (
    SELECT c.code, c.departement, c.epci, coalesce(c.population, 0) AS population,
           c.population IS NULL AS unknown, tm.target, tm.mode, t.code IS NOT NULL AS routed, t.minutes
    FROM communes c
    CROSS JOIN (VALUES ('own', 'walk'), ('own', 'bike'), ('nearest', 'walk'), ('nearest', 'bike'))
          AS tm (target, mode)
    LEFT JOIN commune_transit t ON t.code = c.code AND t.target = tm.target AND t.mode = tm.mode
), areas AS (
    SELECT 'region' AS level, '' AS area, b.* FROM base b
    UNION ALL SELECT 'departement', b.departement, b.* FROM base b
    UNION ALL SELECT 'epci', b.epci, b.* FROM base b WHERE b.epci IS NOT NULL
    UNION ALL SELECT 'zone', z.mission_locale, b.* FROM base b JOIN zones z ON z.insee = b.code
), histogram AS (
    SELECT a.level, a.area, a.target, a.mode, a.routed, a.minutes, count(*) AS communes,
           sum(a.population) AS population, count(*) FILTER (WHERE a.unknown) AS unknown
    FROM areas a WHERE a.level = ANY(%(levels)s)
    GROUP BY a.level, a.area, a.target, a.mode, a.routed, a.minutes
)
SELECT h.level, h.area AS code, h.target, h.mode, th.minutes AS threshold,
       sum(h.communes)::bigint AS communes, sum(h.population)::bigint AS population,
       sum(h.unknown)::bigint AS communes_without_population,
       coalesce(sum(h.communes) FILTER (WHERE NOT h.routed), 0)::bigint AS communes_without_target,
       coalesce(sum(h.population) FILTER (WHERE NOT h.routed), 0)::bigint AS population_without_target,
       coalesce(sum(h.communes) FILTER (WHERE h.routed AND h.minutes IS NULL), 0)::bigint AS communes_no_trip,
       coalesce(sum(h.population) FILTER (WHERE h.routed AND h.minutes IS NULL), 0)::bigint AS population_no_trip,
       coalesce(sum(h.communes) FILTER (WHERE h.minutes <= th.minutes), 0)::bigint AS communes_within,
       coalesce(sum(h.population) FILTER (WHERE h.minutes <= th.minutes), 0)::bigint AS population_within
FROM histogram h CROSS JOIN unnest(%(thresholds)s::int[]) AS th (minutes)
GROUP BY h.level, h.area, h.target, h.mode, th.minutes
"""

# The names of the areas: departments, EPCI, zones (the mission locale's), the region's code.
NAMES = """
    SELECT 'departement' AS level, code, nom FROM departements
    UNION ALL SELECT 'epci', siren, nom FROM epci
    UNION ALL SELECT 'zone', code, name FROM missions_locales
"""
REGIONS = "SELECT DISTINCT d.region FROM communes c JOIN departements d ON d.code = c.departement"

# Every commune with each of its results (none: no row for that target), its own missions
# locales (all its zones) and the reached site's name and mission locale.
COMMUNES = """
SELECT c.code, c.nom, c.departement, c.epci, e.nom AS epci_nom, c.population,
       coalesce((SELECT array_agg(z.mission_locale ORDER BY z.mission_locale) FROM zones z WHERE z.insee = c.code),
                '{}') AS own_missions_locales,
       t.target, t.mode, t.minutes, t.kind, t.site_id, s.name AS site_name, s.mission_locale AS site_mission_locale,
       t.leave, t.departure, t.arrival, t.access_minutes, t.egress_minutes, t.legs
FROM communes c
LEFT JOIN epci e ON e.siren = c.epci
LEFT JOIN commune_transit t ON t.code = c.code
LEFT JOIN mission_sites s ON s.id = t.site_id
ORDER BY c.code, t.target, t.mode
"""

MISSIONS_LOCALES = "SELECT code, name FROM missions_locales ORDER BY code"


def indicators(cursor: Cursor, thresholds: list[int], levels: list[str]) -> list[dict]:
    return cursor.execute(INDICATORS, {"thresholds": thresholds, "levels": levels}).fetchall()


def names(cursor: Cursor) -> dict[tuple[str, str], str]:
    return {(row["level"], row["code"]): row["nom"] for row in cursor.execute(NAMES)}


def regions(cursor: Cursor) -> list[str | None]:
    return [row["region"] for row in cursor.execute(REGIONS)]


def communes(cursor: Cursor) -> list[dict]:
    return cursor.execute(COMMUNES).fetchall()


def missions_locales(cursor: Cursor) -> dict[str, str]:
    return {row["code"]: row["name"] for row in cursor.execute(MISSIONS_LOCALES)}
