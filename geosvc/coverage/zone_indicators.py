"""Indicators on the official zones: each commune's distance to its OWN mission locale.

Beside the figures on the nearest site of any mission locale (indicators.py), GET /coverage gives:

* `own_mission_locale`: whether zones are loaded (`available`, `reason`, `dataset`, `definition`);
* an `own` object in the region, every department and every EPCI: the same figures
  (figures.py) over the distance to one's own mission locale, for the communes that have one,
  with the count of those that have none (on no zone; own mission locale without a served
  site: never given an invented distance), and the communes nearest another's site;
* `zones`: per mission locale, its zone: communes, population, area, the same figures over the
  distance to THIS mission locale's nearest served site (a commune on two zones counts in each,
  with its distance to each), its farthest communes, the site nearest for the most people,
  and the communes nearer another mission locale's site.

Without zones (the France-wide data set): `available` false with the reason, `own` null, `zones` [].
"""

from __future__ import annotations

import operator

from geosvc.coverage import figures
from geosvc.coverage.network import CommuneCoverage, Coverage
from geosvc.coverage.own import NO_ZONES, Own, OwnSite

OWN_DEFINITION = (
    "own mission locale: the one the union's (UNML) coverage table names for the commune (zones); own distance: "
    "geodesic metres from the commune's reference point to the nearest served site of its own mission locale "
    "(on several zones: the nearest of them); a commune on no zone, or whose mission locale has no served site, "
    "has none and is left out of the own figures (counted in communes_without_zone, communes_own_without_site)"
)
OWN_DEFINITIONS = {
    "own": "per area: the distance figures over the distance to one's own mission locale, for the communes that "
    "have one (communes, population and the shares of beyond are of those); communes_nearest_other: communes "
    "with a zone whose nearest site belongs to another mission locale (share of the known population of the "
    "area's communes with a zone)",
    "own_distance_m": OWN_DEFINITION,
    "zones": "per mission locale, the communes of its zone (the union's table): distance figures over the distance "
    "to that mission locale's nearest served site; nearest_weighted_mean_distance_m: the same communes' weighted "
    "mean distance to the nearest site of any mission locale",
    "area_km2": "a zone's area: the sum of its communes' geodesic areas on the WGS84 ellipsoid (PostGIS "
    "ST_Area(geography)); communes do not overlap, so it is the area of their union",
    "main_site": "the zone's served site that is its mission locale's nearest for the largest population of the "
    "zone (ties: more communes, then the lower id); own_sites: every served site of the mission locale with the "
    "communes of the zone for which it is the nearest of its mission locale's",
}


def availability(own: Own) -> dict:
    return {
        "available": own.available,
        "reason": None if own.available else NO_ZONES,
        "dataset": own.dataset,
        "definition": OWN_DEFINITION,
    }


def add_own(body: dict, coverage: Coverage, own: Own, thresholds: list[float], farthest: int) -> None:
    """Add the official-zone indicators to an indicators body (region, departements, epci already in it)."""
    body["own_mission_locale"] = availability(own)
    areas = [body["region"], *body["departements"], *body["epci"]]
    if not own.available:
        for area in areas:
            area["own"] = None
        body["zones"] = []
        return
    view = _OwnView(coverage, own)
    body["region"]["own"] = view.area(view.ranked, coverage.communes, thresholds, farthest)
    for level, attribute in (("departements", "departement"), ("epci", "epci")):
        ranked = figures.grouped(view.ranked, lambda pair, a=attribute: getattr(pair[0], a))
        members = figures.grouped(coverage.communes, operator.attrgetter(attribute))
        for area in body[level]:
            area["own"] = view.area(ranked.get(area["code"], []), members[area["code"]], thresholds, farthest)
    body["zones"] = view.zones(thresholds, farthest)


class _OwnView:
    """One coverage and its own sites, with each commune's nearest own site and mismatch worked out once."""

    def __init__(self, coverage: Coverage, own: Own):
        self.coverage, self.own = coverage, own
        self.sites = coverage.network.sites
        missions_of = own.missions_of
        # communes with a zone whose nearest site is another mission locale's
        self.nearest_other = {
            c.code for c in coverage.communes
            if c.code in missions_of and self.sites[c.site_id].mission_locale not in missions_of[c.code]
        }
        # (commune, its nearest own site) of every commune that has one, farthest first
        self.ranked = _ranked((c, own.nearest(c.code)) for c in coverage.communes)

    def area(self, measured: list, communes: list[CommuneCoverage], thresholds: list[float], farthest: int) -> dict:
        """`measured`: (commune, own site) of the area's communes that have one, farthest first."""
        populations = [c.population for c, _ in measured]
        population, unknown = figures.known_population(populations)
        zoned, nearest_other = self._nearest_other_counts(communes)
        return {
            "communes": len(measured),
            "population": population,
            "communes_without_population": unknown,
            "communes_without_zone": len(communes) - zoned,
            "communes_own_without_site": zoned - len(measured),
            **figures.distance_figures([o.distance_m for _, o in measured], populations, thresholds),
            "farthest": self._farthest(measured, farthest),
            **nearest_other,
        }

    def zones(self, thresholds: list[float], farthest: int) -> list[dict]:
        network = self.coverage.network
        by_code = {c.code: c for c in self.coverage.communes}
        members = figures.grouped(list(network.sites.values()), operator.attrgetter("mission_locale"))
        out = []
        for code, mission in sorted(network.missions_locales.items()):
            zone = [by_code[insee] for insee in mission.zone if insee in by_code]
            measured = _ranked((c, self.own.of(c.code, code)) for c in zone)
            populations = [c.population for c, _ in measured]
            population, unknown = figures.known_population(c.population for c in zone)
            own_sites = self._own_sites(sorted(s.id for s in members.get(code, [])), measured, population)
            area = self.own.zone_area_km2.get(code)
            out.append({
                "code": code,
                "name": mission.name,
                "communes": len(zone),
                "population": population,
                "communes_without_population": unknown,
                "area_km2": None if area is None else round(area, 2),
                "sites": [site["id"] for site in own_sites],
                "communes_without_own_site": len(zone) - len(measured),
                **figures.distance_figures([o.distance_m for _, o in measured], populations, thresholds),
                "nearest_weighted_mean_distance_m": figures.metres(figures.weighted_mean(
                    (c.distance_m, c.population) for c in zone if c.population is not None)),
                "main_site": _main_site(own_sites),
                "own_sites": own_sites,
                "farthest": self._farthest(measured, farthest),
                **self._nearest_other_counts(zone)[1],
            })
        return out

    def brief(self, commune: CommuneCoverage, own_site: OwnSite) -> dict:
        network = self.coverage.network
        nearest = self.sites[commune.site_id]
        return {
            "code": commune.code,
            "nom": commune.nom,
            "departement": commune.departement,
            "epci": commune.epci,
            "population": commune.population,
            "mission_locale": own_site.mission_locale,
            "mission_locale_name": network.missions_locales[own_site.mission_locale].name,
            "site_id": own_site.site_id,
            "site_name": self.sites[own_site.site_id].name,
            "distance_m": figures.metres(own_site.distance_m),
            "nearest_site_id": nearest.id,
            "nearest_mission_locale": nearest.mission_locale,
            "nearest_distance_m": figures.metres(commune.distance_m),
        }

    def _farthest(self, measured: list[tuple[CommuneCoverage, OwnSite]], limit: int) -> list[dict]:
        return [self.brief(commune, own_site) for commune, own_site in measured[:limit]]

    def _nearest_other_counts(self, communes: list[CommuneCoverage]) -> tuple[int, dict]:
        """How many of `communes` have a zone, and the figures of those nearest another's site."""
        zoned = zoned_population = others = others_population = 0
        missions_of, nearest_other = self.own.missions_of, self.nearest_other
        for commune in communes:
            if commune.code in missions_of:
                population = commune.population or 0
                zoned += 1
                zoned_population += population
                if commune.code in nearest_other:
                    others += 1
                    others_population += population
        return zoned, {
            "communes_nearest_other": others,
            "population_nearest_other": others_population,
            "population_nearest_other_share": figures.share(others_population, zoned_population),
        }

    def _own_sites(self, site_ids: list[str], measured: list, zone_population: int) -> list[dict]:
        served = figures.grouped(measured, lambda pair: pair[1].site_id)
        rows = []
        for site_id in site_ids:
            population, _ = figures.known_population(c.population for c, _ in served.get(site_id, []))
            rows.append({
                "id": site_id,
                "name": self.sites[site_id].name,
                "communes": len(served.get(site_id, [])),
                "population": population,
                "population_share": figures.share(population, zone_population),
            })
        return rows


def _ranked(pairs) -> list[tuple[CommuneCoverage, OwnSite]]:
    """The (commune, own site) pairs that have a distance, farthest first."""
    measured = [pair for pair in pairs if pair[1] is not None and pair[1].site_id is not None]
    return figures.farthest_first(measured, lambda pair: (-pair[1].distance_m, pair[0].code))


def _main_site(own_sites: list[dict]) -> dict | None:
    serving = [site for site in own_sites if site["communes"]]
    return min(serving, key=lambda s: (-s["population"], -s["communes"], s["id"])) if serving else None
