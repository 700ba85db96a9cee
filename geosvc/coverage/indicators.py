"""Coverage indicators from the per-commune nearest sites: plain Python over 3,782 rows.

The expensive part, the geodesic nearest-site search, is one PostGIS statement
(geosvc/coverage/network.py); what is left here is sums and sorts (geosvc/coverage/figures.py,
where the weighted mean, the lower weighted median and "beyond" are defined once; also served
in every answer, see DEFINITIONS). Distance: from the commune's reference point to its nearest
served site, geodesic metres. The same figures on the official zones (distance to one's own
mission locale, by area and by zone): geosvc/coverage/zone_indicators.py.
"""

from __future__ import annotations

import collections
import operator
from collections.abc import Iterable

from geosvc.core.rules import round_degrees
from geosvc.coverage import figures, zone_indicators
from geosvc.coverage.network import CommuneCoverage, Coverage, Site
from geosvc.coverage.own import Own
from geosvc.coverage.zone_indicators import OWN_DEFINITIONS

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
    **OWN_DEFINITIONS,
}


def indicators(coverage: Coverage, thresholds_km: Iterable[float], farthest: int, own: Own | None = None) -> dict:
    """Every indicator of the coverage; with `own`, also those on the official zones (zone_indicators.py)."""
    thresholds = sorted(set(thresholds_km))
    sites = coverage.network.sites
    ranked = figures.farthest_first(coverage.communes, lambda c: (-c.distance_m, c.code))
    body = {
        "thresholds_km": thresholds,
        "region": _region(ranked, thresholds, farthest, sites),
        "departements": _grouped(ranked, "departement", thresholds, farthest, sites),
        "epci": _grouped(ranked, "epci", thresholds, farthest, sites),
        "sites": site_stats(coverage),
        "missions_locales": mission_locale_stats(coverage),
    }
    if own is not None:
        zone_indicators.add_own(body, coverage, own, thresholds, farthest)
    return body


def area_stats(
    level: str, code: str, nom: str, ranked: list[CommuneCoverage],
    thresholds_km: list[float], farthest: int, sites: dict[str, Site],
) -> dict:
    """An area's figures; `ranked`: its communes farthest first (figures.farthest_first)."""
    populations = [c.population for c in ranked]
    population, unknown = figures.known_population(populations)
    return {
        "level": level,
        "code": code,
        "nom": nom,
        "communes": len(ranked),
        "population": population,
        "communes_without_population": unknown,
        **figures.distance_figures([c.distance_m for c in ranked], populations, thresholds_km),
        "farthest": [commune_brief(c, sites) for c in ranked[:farthest]],
    }


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


def _region(ranked, thresholds, farthest, sites) -> dict:
    # one region code when departements.csv gives one; "all" otherwise (several, or none known)
    regions = {c.region for c in ranked}
    code = regions.pop() if len(regions) == 1 and None not in regions else "all"
    nom = REGION_NAMES.get(code, "all communes" if code == "all" else f"region {code}")
    return area_stats("region", code, nom, ranked, thresholds, farthest, sites)


def _grouped(ranked, level: str, thresholds, farthest, sites) -> list[dict]:
    groups = figures.grouped(ranked, operator.attrgetter(level))
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
        "weighted_mean_distance_m": _m(figures.weighted_mean(weighted)),
        "max_distance_m": _m(max(distances, default=None)),
    }


def _by(items, key) -> dict[str, list]:
    groups = collections.defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


_m = figures.metres
