"""Coverage indicators from the per-commune nearest sites: plain Python over 3,782 rows.

The expensive part, the geodesic nearest-site search, is one PostGIS statement
(geosvc/coverage/network.py); what is left here is sums and sorts. Definitions (also
served in every answer, see DEFINITIONS):

* distance: from the commune's reference point to its nearest served site, geodesic metres;
* population-weighted mean: sum(population x distance) / sum(population), over the communes
  whose population is known;
* population-weighted median: the smallest distance d such that the communes at most d away
  hold at least half of the population (a lower weighted median);
* "beyond t km": strictly farther than t km; shares are of the communes, and of the
  population of communes whose population is known.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

from geosvc.core.rules import round_degrees, round_distance
from geosvc.coverage.network import CommuneCoverage, Coverage, Site

DEFAULT_THRESHOLDS_KM = (5.0, 10.0, 15.0, 20.0)
DEFAULT_FARTHEST = 5
REGION_NAMES = {"32": "Hauts-de-France"}

DEFINITIONS = {
    "distance_m": "geodesic metres on the WGS84 ellipsoid from the commune's reference point "
    "(ST_PointOnSurface of its polygon) to its nearest served mission site",
    "weighted_mean_distance_m": "sum(population x distance) / sum(population), over communes with a known population",
    "weighted_median_distance_m": "smallest distance d such that communes at most d away hold at least half "
    "of the population (lower weighted median)",
    "mean_distance_m": "mean over communes, not weighted",
    "beyond": "communes strictly farther than the threshold, and their population; shares of all communes "
    "and of the known population",
    "mission_locale": "the union's (UNML) code of the mission locale a site belongs to (the site's "
    "mission_locale); a mission locale's figures are those of the communes whose nearest site is one of its "
    "sites, whatever their zone; sites without a mission locale are in no mission locale's figures",
    "zone": "the communes the union's coverage table gives to a mission locale (zone_communes, zone_population)",
}


def indicators(coverage: Coverage, thresholds_km: Iterable[float], farthest: int) -> dict:
    thresholds = sorted(set(thresholds_km))
    communes, sites = coverage.communes, coverage.network.sites
    return {
        "thresholds_km": thresholds,
        "region": _region(communes, thresholds, farthest, sites),
        "departements": _grouped(communes, "departement", thresholds, farthest, sites),
        "epci": _grouped(communes, "epci", thresholds, farthest, sites),
        "sites": site_stats(coverage),
        "missions_locales": mission_locale_stats(coverage),
    }


def area_stats(
    level: str, code: str, nom: str, communes: list[CommuneCoverage],
    thresholds_km: list[float], farthest: int, sites: dict[str, Site],
) -> dict:
    distances = [c.distance_m for c in communes]
    weighted = [(c.distance_m, c.population) for c in communes if c.population is not None]
    population = sum(p for _, p in weighted)
    return {
        "level": level,
        "code": code,
        "nom": nom,
        "communes": len(communes),
        "population": population,
        "communes_without_population": len(communes) - len(weighted),
        "weighted_mean_distance_m": _m(_weighted_mean(weighted)),
        "weighted_median_distance_m": _m(weighted_median(weighted)),
        "mean_distance_m": _m(sum(distances) / len(distances) if distances else None),
        "max_distance_m": _m(max(distances, default=None)),
        "beyond": [_beyond(km, communes, population) for km in thresholds_km],
        "farthest": [commune_brief(c, sites) for c in farthest_communes(communes, farthest)],
    }


def weighted_median(pairs: list[tuple[float, int]]) -> float | None:
    """Lower weighted median of (value, weight) pairs; None when the weights sum to 0."""
    total = sum(weight for _, weight in pairs)
    if total <= 0:
        return None
    cumulative = 0
    for value, weight in sorted(pairs):
        cumulative += weight
        if 2 * cumulative >= total:
            return value
    return None  # unreachable: the loop reaches the total


def farthest_communes(communes: list[CommuneCoverage], limit: int) -> list[CommuneCoverage]:
    return sorted(communes, key=lambda c: (-c.distance_m, c.code))[:limit]


def commune_brief(commune: CommuneCoverage, sites: dict[str, Site]) -> dict:
    return {
        "code": commune.code,
        "nom": commune.nom,
        "departement": commune.departement,
        "epci": commune.epci,
        "population": commune.population,
        "site_id": commune.site_id,
        "site_name": sites[commune.site_id].name,
        "distance_m": _m(commune.distance_m),
    }


def site_stats(coverage: Coverage) -> list[dict]:
    served = _by(coverage.communes, lambda c: c.site_id)
    out = []
    for site in sorted(coverage.network.sites.values(), key=lambda s: s.id):
        out.append({
            "id": site.id,
            "name": site.name,
            "insee": site.insee,
            "commune": site.commune,
            "kind": site.kind,
            "location_precision": site.location_precision,
            "hypothetical": site.hypothetical,
            "mission_locale": site.mission_locale,
            "mission_locale_name": site.mission_locale_name,
            "lon": round_degrees(site.lon),
            "lat": round_degrees(site.lat),
            **_served_stats(served.get(site.id, [])),
        })
    return out


def mission_locale_stats(coverage: Coverage) -> list[dict]:
    """Every mission locale of the network, with what its sites serve (sites without one are left out)."""
    network = coverage.network
    members = _by(network.sites.values(), lambda s: s.mission_locale)
    served = _by(coverage.communes, lambda c: network.sites[c.site_id].mission_locale)
    population = {c.code: c.population or 0 for c in coverage.communes}
    out = []
    for code in sorted(network.missions_locales):
        mission = network.missions_locales[code]
        out.append({
            "code": code,
            "name": mission.name,
            "sites": sorted(s.id for s in members.get(code, [])),
            "zone_communes": len(mission.zone),
            "zone_population": sum(population.get(insee, 0) for insee in mission.zone),
            **_served_stats(served.get(code, [])),
        })
    return out


def _region(communes, thresholds, farthest, sites) -> dict:
    # one region code when departements.csv gives one; "all" otherwise (several, or none known)
    regions = {c.region for c in communes}
    code = regions.pop() if len(regions) == 1 and None not in regions else "all"
    nom = REGION_NAMES.get(code, "all communes" if code == "all" else f"region {code}")
    return area_stats("region", code, nom, communes, thresholds, farthest, sites)


def _grouped(communes, level: str, thresholds, farthest, sites) -> list[dict]:
    groups = _by((c for c in communes if getattr(c, level) is not None), lambda c: getattr(c, level))
    out = []
    for code in sorted(groups):
        members = groups[code]
        nom = getattr(members[0], f"{level}_nom") or code  # a department without a name in departements.csv
        out.append(area_stats(level, code, nom, members, thresholds, farthest, sites))
        if level == "epci":
            out[-1]["type"] = members[0].epci_type
    return out


def _served_stats(communes: list[CommuneCoverage]) -> dict:
    distances = [c.distance_m for c in communes]
    weighted = [(c.distance_m, c.population) for c in communes if c.population is not None]
    return {
        "communes": len(communes),
        "population": sum(p for _, p in weighted),
        "mean_distance_m": _m(sum(distances) / len(distances) if distances else None),
        "weighted_mean_distance_m": _m(_weighted_mean(weighted)),
        "max_distance_m": _m(max(distances, default=None)),
    }


def _beyond(km: float, communes: list[CommuneCoverage], population: int) -> dict:
    far = [c for c in communes if c.distance_m > km * 1000]
    far_population = sum(c.population for c in far if c.population is not None)
    return {
        "km": km,
        "communes": len(far),
        "communes_share": _share(len(far), len(communes)),
        "population": far_population,
        "population_share": _share(far_population, population),
    }


def _weighted_mean(pairs: list[tuple[float, int]]) -> float | None:
    total = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total > 0 else None


def _by(items, key) -> dict[str, list]:
    groups = collections.defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def _m(value: float | None) -> float | None:
    # decimetres: far below the data's own precision, and stable across platforms
    return None if value is None else round_distance(value)


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None
