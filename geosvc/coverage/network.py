"""The network of sites a coverage is computed on, and the per-commune coverage itself.

A `Network` is the stored served sites, or a hypothetical variant of them (a what-if
scenario): it remembers which stored sites it drops and which points it adds, which is
all the one coverage statement needs (geosvc/coverage/sql.py COMMUNE_COVERAGE).
"""

from __future__ import annotations

import dataclasses

from psycopg import Cursor

from geosvc.core.errors import ServiceUnavailable
from geosvc.coverage.structures import Structure, derive
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
    structure: Structure
    hypothetical: bool = False


@dataclasses.dataclass(frozen=True)
class Network:
    sites: dict[str, Site]
    removed: tuple[str, ...] = ()  # stored served sites left out (closed, or moved)
    added: tuple[str, ...] = ()  # ids of sites placed by the scenario (new, or moved)

    @property
    def structures(self) -> dict[str, Structure]:
        return {site.structure.id: site.structure for site in self.sites.values()}


@dataclasses.dataclass(frozen=True)
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

    @property
    def site_id(self) -> str:
        return self.nearest[0][0]

    @property
    def distance_m(self) -> float:
        return self.nearest[0][1]


@dataclasses.dataclass(frozen=True)
class Coverage:
    network: Network
    communes: list[CommuneCoverage]


def stored_network(cursor: Cursor) -> Network:
    rows = sql.network_sites(cursor)
    structures = derive(rows)
    sites = {row["id"]: Site(**row, structure=structures[row["id"]]) for row in rows}
    return Network(sites)


def with_sites(network: Network, removed: list[str], placed: list[dict]) -> Network:
    """A variant of the stored network: `removed` ids left out, `placed` sites (new or moved) put in.

    Each placed dict has id, name, lon, lat, insee, commune and, for a moved site, the
    stored site's kind. Structures are derived again over the whole variant, so a new
    site named like an existing structure's joins it.
    """
    kept = [site for site in network.sites.values() if site.id not in removed]
    rows = [dataclasses.asdict(site) | {"structure": None} for site in kept]
    rows += [
        {
            "id": p["id"], "name": p["name"], "insee": p["insee"], "commune": p["commune"],
            "kind": p.get("kind"), "location_precision": HYPOTHETICAL, "lon": p["lon"], "lat": p["lat"],
            "hypothetical": True, "structure": None,
        }
        for p in placed
    ]
    structures = derive(rows)
    sites = {row["id"]: Site(**(row | {"structure": structures[row["id"]]})) for row in rows}
    return Network(
        sites,
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
    nearest = tuple(zip(row.pop("site_ids"), row.pop("distances"), strict=True))
    return CommuneCoverage(**row, nearest=nearest)
