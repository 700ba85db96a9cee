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
from geosvc.coverage.network import Coverage
from geosvc.db import coverage as sql
from geosvc.provenance import data_block

DEFINITION = (
    "own mission locale: the one the union's (UNML) coverage table names for the commune (zones); "
    "nearest site: the nearest served site of any mission locale; a mismatch is a commune whose nearest site "
    "belongs to another mission locale than its own; own_distance_m: to the nearest served site of its own "
    "mission locale(s); extra_distance_m = own_distance_m - nearest_distance_m; shares are of the communes, and "
    "of the known population, of the communes that have a zone"
)
NO_ZONES = (
    "no mission locale zones are loaded (the union's coverage table, data/sources/unml/zones_de_couverture_*.csv, "
    "is not part of this data set): no commune has an own mission locale to compare with"
)


def report(cursor: Cursor, coverage: Coverage) -> dict:
    dataset = data_block(cursor).get("zones")  # as every answer shows it (loaded_at in ISO 8601)
    own = collections.defaultdict(list)
    for row in sql.zone_assignment(cursor):
        own[row["code"]].append(row)
    if not own:
        return _unavailable(dataset, len(coverage.communes))
    sites = coverage.network.sites
    zoned = [commune for commune in coverage.communes if commune.code in own]
    mismatches = []
    for commune in zoned:
        if sites[commune.site_id].mission_locale not in {row["mission_locale"] for row in own[commune.code]}:
            mismatches.append(_mismatch(commune, own[commune.code], coverage))
    mismatches.sort(key=lambda m: (-_sortable(m["extra_distance_m"]), m["code"]))
    population = _population(zoned)
    mismatched_population = sum(m["population"] or 0 for m in mismatches)
    return {
        "available": True,
        "reason": None,
        "dataset": dataset,
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
        "mismatches": mismatches,
    }


def _unavailable(dataset: dict | None, communes: int) -> dict:
    return {
        "available": False, "reason": NO_ZONES, "dataset": dataset, "definition": DEFINITION,
        "communes_zoned": 0, "communes_without_zone": communes, "population_zoned": 0,
        "communes_nearest_own": 0, "communes_nearest_other": 0, "communes_nearest_other_share": None,
        "population_nearest_other": 0, "population_nearest_other_share": None, "communes_own_without_site": 0,
        "missions_locales": [], "mismatches": [],
    }


def _mismatch(commune, own_rows: list[dict], coverage: Coverage) -> dict:
    sites = coverage.network.sites
    nearest = sites[commune.site_id]
    with_site = [row for row in own_rows if row["own_site_id"] is not None]
    # several own missions locales (rare): the one with the nearest own site speaks for the commune
    best = min(with_site, key=lambda row: (row["own_distance_m"], row["own_site_id"])) if with_site else own_rows[0]
    own_distance = best["own_distance_m"]
    return {
        "code": commune.code,
        "nom": commune.nom,
        "departement": commune.departement,
        "population": commune.population,
        "mission_locale": best["mission_locale"],
        "mission_locale_name": best["mission_locale_name"],
        "several": len(own_rows) > 1 or any(row["several"] for row in own_rows),
        "own_site_id": best["own_site_id"],
        "own_site_name": sites[best["own_site_id"]].name if best["own_site_id"] else None,
        "own_distance_m": None if own_distance is None else round_distance(own_distance),
        "nearest_site_id": nearest.id,
        "nearest_site_name": nearest.name,
        "nearest_mission_locale": nearest.mission_locale,
        "nearest_mission_locale_name": nearest.mission_locale_name,
        "nearest_distance_m": round_distance(commune.distance_m),
        "extra_distance_m": None if own_distance is None else round_distance(own_distance - commune.distance_m),
    }


def _by_mission_locale(coverage: Coverage, own: dict[str, list[dict]], mismatches: list[dict]) -> list[dict]:
    """Per mission locale: its zone's communes served nearer by another, and the others' it is nearest to."""
    lost = collections.defaultdict(list)
    for mismatch in mismatches:
        for row in own[mismatch["code"]]:
            lost[row["mission_locale"]].append(mismatch)
    attracted = collections.defaultdict(list)
    for mismatch in mismatches:
        attracted[mismatch["nearest_mission_locale"]].append(mismatch)
    known = {c.code: c.population or 0 for c in coverage.communes}
    out = []
    for code, mission in sorted(coverage.network.missions_locales.items()):
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
            "communes_attracted": len(attracted[code]),
            "population_attracted": sum(m["population"] or 0 for m in attracted[code]),
        })
    return out


def _population(communes) -> int:
    return sum(c.population for c in communes if c.population is not None)


def _sortable(extra: float | None) -> float:
    # a commune whose own mission locale has no served site first: it has no own office at all
    return math.inf if extra is None else extra


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None
