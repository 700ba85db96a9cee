"""Own mission locale vs nearest site: the communes whose nearest office is another mission locale's.

A commune's own mission locale is the one the union's (UNML) coverage table names for it
(`zones`; a commune may have several). Its nearest served site of ANY mission locale comes
from the coverage (commune_nearest for the current network); the nearest served site of
its own mission locale(s) from `commune_own_sites`, both ranked at ingestion by geodesic
distance (WGS84 spheroid) from the commune's reference point, ties to the lower site id.

A mismatch is a commune whose nearest site belongs to a mission locale that is not its
own: young people there live nearer another mission locale's office than their own's. The
extra distance is own minus nearest. Without zones (the France-wide data set) there is
nothing to compare: `available` is false, with the reason.
"""

from __future__ import annotations

import collections
import math

from psycopg import Cursor

from geosvc.core.rules import round_distance
from geosvc.coverage import own as own_sites
from geosvc.coverage.network import Coverage
from geosvc.coverage.own import NO_ZONES, Own
from geosvc.db import coverage as sql

DEFINITION = (
    "own mission locale: the one the union's (UNML) coverage table names for the commune (zones); "
    "nearest site: the nearest served site of any mission locale; a mismatch is a commune whose nearest site "
    "belongs to another mission locale than its own; own_distance_m: to the nearest served site of its own "
    "mission locale(s); extra_distance_m = own_distance_m - nearest_distance_m; shares are of the communes, and "
    "of the known population, of the communes that have a zone; cross_table: communes with a zone counted by "
    "own mission locale (zone) x mission locale of their nearest site (catchment), a commune on several zones "
    "in each"
)
# The properties of the mismatch layer (GeoJSON): the mismatch's figures, without the longer names.
MISMATCH_PROPERTIES = (
    "code", "nom", "departement", "population", "mission_locale", "mission_locale_name", "own_site_id",
    "own_distance_m", "nearest_site_id", "nearest_mission_locale", "nearest_mission_locale_name",
    "nearest_distance_m", "extra_distance_m",
)


def report(cursor: Cursor, coverage: Coverage, own: Own | None = None) -> dict:
    # the zones' areas are not part of this answer: not measured for it
    own = own if own is not None else own_sites.compute(cursor, coverage.network, zone_area_km2={})
    if not own.available:
        return _unavailable(own.dataset, len(coverage.communes))
    sites = coverage.network.sites
    zoned = [commune for commune in coverage.communes if commune.code in own.by_commune]
    mismatches = []
    for commune in zoned:
        if sites[commune.site_id].mission_locale not in {o.mission_locale for o in own.by_commune[commune.code]}:
            mismatches.append(_mismatch(commune, own, coverage))
    mismatches.sort(key=lambda m: (-_sortable(m["extra_distance_m"]), m["code"]))
    population = _population(zoned)
    mismatched_population = sum(m["population"] or 0 for m in mismatches)
    return {
        "available": True,
        "reason": None,
        "dataset": own.dataset,
        "definition": DEFINITION,
        "communes_zoned": len(zoned),
        "communes_without_zone": len(coverage.communes) - len(zoned),
        "population_zoned": population,
        "communes_nearest_own": len(zoned) - len(mismatches),
        "communes_nearest_other": len(mismatches),
        "communes_nearest_other_share": _share(len(mismatches), len(zoned)),
        "population_nearest_other": mismatched_population,
        "population_nearest_other_share": _share(mismatched_population, population),
        "communes_own_without_site": sum(m["own_site_id"] is None for m in mismatches),
        "missions_locales": _by_mission_locale(coverage, own, mismatches),
        "cross_table": cross_table(coverage, own),
        "mismatches": mismatches,
    }


def cross_table(coverage: Coverage, own: Own) -> list[dict]:
    """Zone x catchment: communes and population by (own mission locale, nearest site's mission locale)."""
    sites, missions = coverage.network.sites, coverage.network.missions_locales
    cells: dict[tuple[str, str | None], list] = collections.defaultdict(list)
    for commune in coverage.communes:
        for own_site in own.by_commune.get(commune.code, ()):
            cells[(own_site.mission_locale, sites[commune.site_id].mission_locale)].append(commune)
    rows = []
    for (zone, catchment), communes in sorted(cells.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        rows.append({
            "mission_locale": zone,
            "mission_locale_name": missions[zone].name,
            "nearest_mission_locale": catchment,
            "nearest_mission_locale_name": missions[catchment].name if catchment in missions else None,
            "same": zone == catchment,
            "communes": len(communes),
            "population": _population(communes),
        })
    return rows


def mismatch_features(cursor: Cursor, body: dict) -> list[tuple[str, dict]]:
    """(GeoJSON geometry text, properties) of every mismatched commune's polygon: the map layer."""
    geometries = sql.commune_geometries(cursor)
    return [
        (geometries[m["code"]], {key: m[key] for key in MISMATCH_PROPERTIES}) for m in body["mismatches"]
    ]


def _unavailable(dataset: dict | None, communes: int) -> dict:
    return {
        "available": False, "reason": NO_ZONES, "dataset": dataset, "definition": DEFINITION,
        "communes_zoned": 0, "communes_without_zone": communes, "population_zoned": 0,
        "communes_nearest_own": 0, "communes_nearest_other": 0, "communes_nearest_other_share": None,
        "population_nearest_other": 0, "population_nearest_other_share": None, "communes_own_without_site": 0,
        "missions_locales": [], "cross_table": [], "mismatches": [],
    }


def _mismatch(commune, own: Own, coverage: Coverage) -> dict:
    sites, missions = coverage.network.sites, coverage.network.missions_locales
    nearest = sites[commune.site_id]
    # several own missions locales (rare): the one with the nearest own site speaks for the commune
    best = own.nearest(commune.code) or own.by_commune[commune.code][0]
    own_distance = best.distance_m
    return {
        "code": commune.code,
        "nom": commune.nom,
        "departement": commune.departement,
        "population": commune.population,
        "mission_locale": best.mission_locale,
        "mission_locale_name": missions[best.mission_locale].name,
        "several": commune.code in own.several,
        "own_site_id": best.site_id,
        "own_site_name": sites[best.site_id].name if best.site_id else None,
        "own_distance_m": None if own_distance is None else round_distance(own_distance),
        "nearest_site_id": nearest.id,
        "nearest_site_name": nearest.name,
        "nearest_mission_locale": nearest.mission_locale,
        "nearest_mission_locale_name": nearest.mission_locale_name,
        "nearest_distance_m": round_distance(commune.distance_m),
        "extra_distance_m": None if own_distance is None else round_distance(own_distance - commune.distance_m),
    }


def _by_mission_locale(coverage: Coverage, own: Own, mismatches: list[dict]) -> list[dict]:
    """Per mission locale: its zone's communes served nearer by another (and whose), and the others' it attracts."""
    lost = collections.defaultdict(list)
    for mismatch in mismatches:
        for own_site in own.by_commune[mismatch["code"]]:
            lost[own_site.mission_locale].append(mismatch)
    attracted = collections.defaultdict(list)
    for mismatch in mismatches:
        attracted[mismatch["nearest_mission_locale"]].append(mismatch)
    known = {c.code: c.population or 0 for c in coverage.communes}
    missions = coverage.network.missions_locales
    out = []
    for code, mission in sorted(missions.items()):
        population = sum(m["population"] or 0 for m in lost[code])
        zone_population = sum(known.get(insee, 0) for insee in mission.zone)
        out.append({
            "code": code,
            "name": mission.name,
            "zone_communes": len(mission.zone),
            "zone_population": zone_population,
            "communes_nearest_other": len(lost[code]),
            "population_nearest_other": population,
            "population_nearest_other_share": _share(population, zone_population),
            "nearest_other": _lost_to(lost[code], missions),
            "communes_attracted": len(attracted[code]),
            "population_attracted": sum(m["population"] or 0 for m in attracted[code]),
        })
    return out


def _lost_to(mismatches: list[dict], missions: dict) -> list[dict]:
    """Which missions locales' sites are nearest to the zone's mismatched communes: most people first."""
    groups = collections.defaultdict(list)
    for mismatch in mismatches:
        groups[mismatch["nearest_mission_locale"]].append(mismatch)
    rows = [
        {"code": code, "name": missions[code].name if code in missions else None,
         "communes": len(group), "population": sum(m["population"] or 0 for m in group)}
        for code, group in groups.items()
    ]
    return sorted(rows, key=lambda row: (-row["population"], -row["communes"], row["code"] or ""))


def _population(communes) -> int:
    return sum(c.population for c in communes if c.population is not None)


def _sortable(extra: float | None) -> float:
    # a commune whose own mission locale has no served site first: it has no own office at all
    return math.inf if extra is None else extra


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None
