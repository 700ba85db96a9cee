"""Writes a validated data set into PostGIS in ONE transaction.

Rows are replaced with DELETE + COPY inside that transaction: thanks to MVCC a
reader keeps seeing the previous data, without waiting, until the commit, and then
sees all of the new data. If anything fails (or the process is killed) PostgreSQL
rolls the whole transaction back and the previous data stays as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable

import shapely
from psycopg import Cursor
from sqlalchemy import Connection, Engine, text

from geosvc.core.records import CommuneRecord, EpciMembership, FormerCommuneRecord, MissionLocale, SiteRecord, ZoneRow
from geosvc.core.rules import PRECISION_COMMUNE
from geosvc.db import analyse, migrate, nearest, network

# Serialises concurrent ingestions; any constant works as long as it is the same one.
INGEST_LOCK_KEY = 7_263_001


@dataclasses.dataclass
class DatasetInfo:
    name: str
    file: str
    sha256: str
    rows: int
    source: str | None
    vintage: str | None


@dataclasses.dataclass
class LoadSet:
    departements: list[dict]
    epci: list[EpciMembership]
    communes: list[CommuneRecord]
    former: list[FormerCommuneRecord]
    sites: list[SiteRecord]
    datasets: list[DatasetInfo]
    missions_locales: list[MissionLocale] = dataclasses.field(default_factory=list)
    zones: list[ZoneRow] = dataclasses.field(default_factory=list)
    # Routes every commune by TER and stores the rows, given the load's cursor once the communes, sites,
    # nearest and own sites are written (geosvc/transit/ingest.py); None: no timetable in the data.
    transit: Callable[[Cursor], object] | None = None

    def counts(self) -> dict[str, int]:
        """What the shrink guard compares with the data loaded now."""
        return {"communes": len(self.communes), "zones": len(self.zones), "mission_sites": len(self.sites)}


class ShrinkRefused(Exception):
    """The new data would drop more than SHRINK_LIMIT of what is loaded; nothing was written."""


# A new source that loses more than this share of the communes, zones or sites loaded now
# is more likely a truncated or wrongly filtered file than a real change: refused unless asked.
SHRINK_LIMIT = 0.10


def ensure_schema(connection: Connection) -> None:
    """Bring the schema to the current revision, inside the load's transaction (DDL is
    transactional in PostgreSQL: a failed load rolls the upgrade back too)."""
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    migrate.upgrade(connection)


def load(engine: Engine, data: LoadSet, progress=None, allow_shrink: bool = False) -> object | None:
    """Replace everything in one transaction; returns what `data.transit` returned (None: no timetable)."""
    stats = None
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
        ensure_schema(connection)
        if not allow_shrink:
            _refuse_shrink(connection, data.counts())
        _delete_all(connection)
        cursor = connection.connection.driver_connection.cursor()
        _copy_reference(cursor, data)
        _copy_communes(cursor, data.communes, {m.commune: m.siren for m in data.epci}, progress)
        _copy_former(cursor, data.former)
        _copy_missions_locales(cursor, data.missions_locales, {c.code for c in data.communes})
        _copy_sites(cursor, data.sites)
        _place_sites_without_coordinates(connection)
        _copy_zones(cursor, data.zones)
        nearest.precompute(cursor)
        network.precompute_own_sites(cursor)
        if data.transit is not None:
            stats = data.transit(cursor)
        _insert_datasets(connection, data.datasets)
        tables = "communes, mission_sites, commune_nearest, commune_own_sites, commune_transit, zones, missions_locales"
        connection.execute(text(f"ANALYZE {tables}"))
        # the materialized views of the `analyse` schema (revision 0003), from the rows just loaded
        analyse.refresh(cursor)
    return stats


def _delete_all(connection: Connection) -> None:
    # children before parents, for the foreign keys
    tables = (
        "datasets", "transit_run", "commune_transit", "commune_nearest", "commune_own_sites", "zones",
        "mission_sites", "missions_locales",
        "former_communes", "communes", "epci", "departements",
    )
    for table in tables:
        connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names


def _copy_reference(cursor, data: LoadSet) -> None:
    with cursor.copy("COPY departements (code, nom, region) FROM STDIN") as copy:
        for departement in data.departements:
            copy.write_row((departement["code"], departement["nom"], departement["region"]))
    epcis = {member.siren: member for member in data.epci}
    with cursor.copy("COPY epci (siren, nom, type) FROM STDIN") as copy:
        for member in epcis.values():
            copy.write_row((member.siren, member.nom, member.type))


def _copy_communes(cursor, communes: list[CommuneRecord], epci_of: dict[str, str], progress) -> None:
    columns = "code, nom, search_name, departement, epci, codes_postaux, population, geom, geom_repaired"
    with cursor.copy(f"COPY communes ({columns}) FROM STDIN") as copy:
        for commune in communes:
            copy.write_row((
                commune.code, commune.nom, commune.search_name, commune.departement,
                epci_of.get(commune.code), commune.codes_postaux, commune.population,
                _ewkb(commune.geometry), commune.repaired,
            ))
            if progress:
                progress.update(1)


def _copy_former(cursor, former: list[FormerCommuneRecord]) -> None:
    with cursor.copy("COPY former_communes (code, nom, type, code_actuel) FROM STDIN") as copy:
        for record in former:
            copy.write_row((record.code, record.nom, record.type, record.code_actuel))


def _copy_sites(cursor, sites: list[SiteRecord]) -> None:
    columns = (
        "id, name, address, postcode, city, insee, kind, phone, website, source, source_date, "
        "coord_source, note, superseded_by, mission_locale, email, hours, accessibility, confirmed, "
        "location_precision, status, status_reason, geog"
    )
    with cursor.copy(f"COPY mission_sites ({columns}) FROM STDIN") as copy:
        for site in sites:
            point = _ewkb(shapely.Point(site.lon, site.lat)) if site.lon is not None else None
            hours = json.dumps(site.hours, ensure_ascii=False) if site.hours is not None else None
            copy.write_row((
                site.id, site.name, site.address, site.postcode, site.city, site.insee, site.kind,
                site.phone, site.website, site.source, site.source_date, site.coord_source, site.note,
                site.superseded_by, site.mission_locale, site.email, hours, site.accessibility, site.confirmed,
                site.location_precision, site.status, site.status_reason, point,
            ))


def _copy_missions_locales(cursor, missions: list[MissionLocale], commune_codes: set[str]) -> None:
    columns = "code, official_name, name, address, postcode, city, head_office_insee"
    with cursor.copy(f"COPY missions_locales ({columns}) FROM STDIN") as copy:
        for mission in missions:
            seat = mission.seat_insee if mission.seat_insee in commune_codes else None
            copy.write_row((mission.code, mission.official_name, mission.display_name, mission.address or None,
                            mission.postcode or None, mission.city or None, seat))


def _copy_zones(cursor, zones: list[ZoneRow]) -> None:
    pairs = {}
    for row in zones:  # one row per (commune, mission locale), as the union allows repeats
        pairs.setdefault((row.insee, row.ml_code), row.multiple)
    with cursor.copy("COPY zones (insee, mission_locale, several) FROM STDIN") as copy:
        for (insee, code), several in pairs.items():
            copy.write_row((insee, code, several))


def _refuse_shrink(connection: Connection, new: dict[str, int]) -> None:
    for table, count in new.items():
        current = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 - fixed names
        if current and count < current * (1 - SHRINK_LIMIT):
            raise ShrinkRefused(
                f"{table}: the new data has {count} rows where {current} are loaded "
                f"(-{1 - count / current:.0%}, more than {SHRINK_LIMIT:.0%}); nothing was written. "
                "If this is intended, ingest again with --allow-shrink."
            )


def _place_sites_without_coordinates(connection: Connection) -> None:
    # communes.point is a generated column (ST_PointOnSurface); sites without
    # coordinates take the point of their commune.
    connection.execute(
        text(
            "UPDATE mission_sites s SET geog = c.point FROM communes c "
            "WHERE s.geog IS NULL AND c.code = s.insee AND s.location_precision = :commune"
        ),
        {"commune": PRECISION_COMMUNE},
    )


def _insert_datasets(connection: Connection, datasets: list[DatasetInfo]) -> None:
    now = dt.datetime.now(dt.UTC)
    connection.execute(
        text(
            "INSERT INTO datasets (name, file, sha256, rows, source, vintage, loaded_at) "
            "VALUES (:name, :file, :sha256, :rows, :source, :vintage, :loaded_at)"
        ),
        [dataclasses.asdict(d) | {"loaded_at": now} for d in datasets],
    )


def _ewkb(geometry) -> str:
    return shapely.to_wkb(shapely.set_srid(geometry, 4326), hex=True, include_srid=True)
