"""Each commune's distance to its OWN mission locale (the union's zones), for any network.

A commune's own mission locale is the one the union's (UNML) coverage table names for it
(`zones`; a commune may be on several zones). Its own distance is the geodesic distance from
its reference point to the nearest served site of its own mission locale: with several, the
nearest of them. A commune on no zone, or whose mission locale(s) have no served site, has
no own distance (None): it is counted as such, never given an invented one.

The current network needs no search: every zone row's served sites were all ranked at
ingestion (commune_own_sites). A scenario drops its closed and moved ids from those short
lists and adds the distances of its placed sites (new, or moved: a moved site keeps its
mission locale) to the communes of their mission locale's zone, measured by PostGIS on the
spheroid as at ingestion. Ties go to the lower site id, as everywhere.
"""

from __future__ import annotations

import collections
import dataclasses

from psycopg import Cursor

from geosvc.coverage.network import Network
from geosvc.db import coverage as sql
from geosvc.provenance import data_block

NO_ZONES = (
    "no mission locale zones are loaded (the union's coverage table, data/sources/unml/zones_de_couverture_*.csv, "
    "is not part of this data set): no commune has an own mission locale"
)


@dataclasses.dataclass(frozen=True, slots=True)
class OwnSite:
    """The nearest served site of one of a commune's own missions locales (None: it has none)."""

    mission_locale: str
    site_id: str | None
    distance_m: float | None


@dataclasses.dataclass(frozen=True)
class Own:
    """Every commune's own missions locales, each with its nearest served site, over one network."""

    available: bool
    # commune code -> one OwnSite per own mission locale (ascending code); absent: on no zone
    by_commune: dict[str, tuple[OwnSite, ...]]
    several: frozenset[str]  # communes on several zones (the table's flag, or several rows)
    zone_area_km2: dict[str, float]  # mission locale -> area of its zone
    dataset: dict | None  # the zones' data block (source, vintage), None without zones
    # commune code -> its nearest own site over all its zones (absent: no zone, or no served own site)
    nearest_site: dict[str, OwnSite] = dataclasses.field(default_factory=dict)
    # commune code -> the codes of its own missions locales (absent: on no zone)
    missions_of: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict)

    def nearest(self, code: str) -> OwnSite | None:
        """The commune's nearest own site over all its zones; None: no zone, or no served own site."""
        return self.nearest_site.get(code)

    def of(self, code: str, mission_locale: str) -> OwnSite | None:
        """The commune's nearest site of one given mission locale of its zones."""
        for own in self.by_commune.get(code, ()):
            if own.mission_locale == mission_locale:
                return own
        return None


def compute(cursor: Cursor, network: Network, zone_area_km2: dict[str, float]) -> Own:
    """Own sites of every zoned commune over `network`, with the zones' areas (zone_areas(), which callers
    keep per data version: they only change with the data, and take longer than the rest together)."""
    rows = sql.own_sites(cursor)
    dataset = data_block(cursor).get("zones")
    if not rows:
        return Own(False, {}, frozenset(), {}, dataset)
    removed = set(network.removed)
    placed = _placed_candidates(cursor, network)
    by_commune: dict[str, list[OwnSite]] = collections.defaultdict(list)
    several = set()
    for row in rows:
        ids, distances = row["site_ids"], row["distances"]
        if removed or placed:
            candidates = [(d, i) for i, d in zip(ids, distances, strict=True) if i not in removed]
            candidates += placed.get((row["code"], row["mission_locale"]), [])
            best = min(candidates) if candidates else (None, None)
        else:  # the lists are ranked (distance, id): the first is the nearest
            best = (distances[0], ids[0]) if ids else (None, None)
        by_commune[row["code"]].append(OwnSite(row["mission_locale"], best[1], best[0]))
        if row["several"]:
            several.add(row["code"])
    several.update(code for code, owns in by_commune.items() if len(owns) > 1)
    nearest = {}
    for code, owns in by_commune.items():
        served = [own for own in owns if own.site_id is not None]
        if served:
            nearest[code] = served[0] if len(served) == 1 else min(served, key=lambda o: (o.distance_m, o.site_id))
    missions_of = {code: frozenset(own.mission_locale for own in owns) for code, owns in by_commune.items()}
    return Own(True, {code: tuple(owns) for code, owns in by_commune.items()}, frozenset(several), zone_area_km2,
               dataset, nearest, missions_of)


def zone_areas(cursor: Cursor) -> dict[str, float]:
    """Each zone's area in km² (geodesic): ~0.2 s for the region."""
    return sql.zone_areas(cursor)


def _placed_candidates(cursor: Cursor, network: Network) -> dict[tuple[str, str], list[tuple[float, str]]]:
    placed = [network.sites[site_id] for site_id in network.added if site_id in network.sites]
    with_mission = [(s.id, s.mission_locale, s.lon, s.lat) for s in placed if s.mission_locale is not None]
    out = collections.defaultdict(list)
    for row in sql.placed_own_distances(cursor, with_mission):
        out[(row["code"], row["mission_locale"])].append((row["distance_m"], row["id"]))
    return out
