"""The network of sites a coverage is computed on, and the per-commune coverage itself.

A `Network` is the stored served sites, or a hypothetical variant of them (a what-if
scenario): it remembers which stored sites it drops and which points it adds, which is
all the one coverage statement needs (geosvc/db/coverage.py COMMUNE_COVERAGE).

Every site names its mission locale by the union's (UNML) code, as stored
(`mission_sites.mission_locale`), and the network knows every mission locale of the
`missions_locales` table with the size of its zone. A site without one (the France-wide
data set, which has no zones; a scenario's new site given no code) belongs to no
mission locale: it is in no mission locale's figures.
"""

from __future__ import annotations

import dataclasses

from psycopg import Cursor

from geosvc.core.errors import ServiceUnavailable
from geosvc.db import coverage as sql

# The per-commune answer lists this many nearest sites.
NEAREST_K = 3
HYPOTHETICAL = "hypothetical"  # location_precision of a scenario's added or moved site


@dataclasses.dataclass(frozen=True)
class Site:
    id: str
    name: str
    insee: str | None
    commune: str | None
    kind: str | None
    location_precision: str
    lon: float
    lat: float
    mission_locale: str | None  # the union's code; None: no mission locale (data without zones)
    mission_locale_name: str | None
    hypothetical: bool = False


@dataclasses.dataclass(frozen=True)
class MissionLocale:
    code: str  # the union's code
    name: str
    zone: tuple[str, ...]  # INSEE codes of the communes of its zone (zones table)


@dataclasses.dataclass(frozen=True)
class Network:
    sites: dict[str, Site]
    # every mission locale of the missions_locales table, by code (empty without zones)
    missions_locales: dict[str, MissionLocale] = dataclasses.field(default_factory=dict)
    removed: tuple[str, ...] = ()  # stored served sites left out (closed, or moved)
    added: tuple[str, ...] = ()  # ids of sites placed by the scenario (new, or moved)


@dataclasses.dataclass(frozen=True, slots=True)
class CommuneCoverage:
    code: str
    nom: str
    departement: str
    departement_nom: str
    region: str
    epci: str | None
    epci_nom: str | None
    epci_type: str | None
    population: int | None
    lon: float
    lat: float
    nearest: tuple[tuple[str, float], ...]  # (site id, geodesic metres), nearest first
    # nearest[0], as plain fields: the indicators read them tens of thousands of times per answer
    site_id: str
    distance_m: float


@dataclasses.dataclass(frozen=True)
class Coverage:
    network: Network
    communes: list[CommuneCoverage]


def stored_network(cursor: Cursor) -> Network:
    sites = {row["id"]: Site(**row) for row in sql.network_sites(cursor)}
    missions = {
        row["code"]: MissionLocale(row["code"], row["name"], tuple(row["zone"]))
        for row in sql.missions_locales(cursor)
    }
    return Network(sites, missions)


def with_sites(network: Network, removed: list[str], placed: list[dict]) -> Network:
    """A variant of the stored network: `removed` ids left out, `placed` sites (new or moved) put in.

    Each placed dict has id, name, lon, lat, insee, commune, mission_locale (a code of
    network.missions_locales, or None) and, for a moved site, the stored site's kind.
    """
    sites = {site.id: site for site in network.sites.values() if site.id not in removed}
    for p in placed:
        code = p.get("mission_locale")
        sites[p["id"]] = Site(
            id=p["id"], name=p["name"], insee=p["insee"], commune=p["commune"], kind=p.get("kind"),
            location_precision=HYPOTHETICAL, lon=p["lon"], lat=p["lat"], mission_locale=code,
            mission_locale_name=network.missions_locales[code].name if code else None, hypothetical=True,
        )
    return Network(
        dict(sorted(sites.items())),
        network.missions_locales,
        removed=network.removed + tuple(removed),
        added=network.added + tuple(p["id"] for p in placed),
    )


def compute(cursor: Cursor, network: Network) -> Coverage:
    """The nearest sites of every commune over `network`, in ONE statement."""
    if not network.sites:
        raise ServiceUnavailable("no served mission site is loaded: run `geosvc ingest`", code="data_not_loaded")
    added = [(site_id, network.sites[site_id].lon, network.sites[site_id].lat) for site_id in network.added]
    rows = sql.commune_coverage(cursor, NEAREST_K, list(network.removed), added)
    communes = [_commune(row) for row in rows]
    return Coverage(network, communes)


def _commune(row: dict) -> CommuneCoverage:
    site_ids, distances = row.pop("site_ids"), row.pop("distances")
    return CommuneCoverage(**row, nearest=tuple(zip(site_ids, distances, strict=True)),
                           site_id=site_ids[0], distance_m=distances[0])
