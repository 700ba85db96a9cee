"""The records that flow from the readers to the load: validated, plain data.

Defined here, below both the ingestion (which builds them) and the database layer (which
writes them), so neither has to import the other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from shapely.geometry import MultiPolygon

from geosvc.core.textnorm import normalise_name


@dataclasses.dataclass
class CommuneRecord:
    code: str
    nom: str
    departement: str
    codes_postaux: list[str]
    population: int | None
    geometry: MultiPolygon
    repaired: bool
    where: str  # "feature N (code X)", for later messages

    @property
    def search_name(self) -> str:
        return normalise_name(self.nom)


@dataclasses.dataclass
class EpciMembership:
    siren: str
    nom: str
    type: str
    commune: str


@dataclasses.dataclass
class FormerCommuneRecord:
    code: str
    nom: str | None
    type: str
    code_actuel: str


@dataclasses.dataclass
class SiteRecord:
    id: str
    name: str
    address: str | None
    postcode: str | None
    city: str | None
    insee: str
    kind: str | None
    phone: str | None
    website: str | None
    source: str | None
    source_date: str | None
    coord_source: str | None
    note: str | None
    superseded_by: str | None
    mission_locale: str | None
    email: str | None
    accessibility: str | None
    hours: dict | None
    confirmed: bool
    lon: float | None
    lat: float | None
    location_precision: str
    status: str
    status_reason: str | None
    line: int


@dataclass(frozen=True)
class ZoneRow:
    insee: str
    commune_name: str
    departement: str
    ml_code: str
    multiple: bool  # "Commune présente sur plusieurs ML"
    line: int


@dataclass(frozen=True)
class MissionLocale:
    code: str  # the union's code (`Code ML`, `codeStructure`): an identifier that reads like an INSEE code
    official_name: str  # `Nom Officiel ML` as published (`02-ML TERGNIER`)
    display_name: str  # readable French name (`Mission locale de Tergnier`), see the module docstring
    address: str  # `Adresse ML`, stray spaces removed, otherwise as published (abbreviated, lower case)
    postcode: str
    city: str
    seat_insee: str | None  # INSEE code of the town of this head office (`city`); None when not found
