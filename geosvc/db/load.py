"""Writes a validated data set into PostGIS in ONE transaction.

Rows are replaced with DELETE + COPY inside that transaction: thanks to MVCC a
reader keeps seeing the previous data, without waiting, until the commit, and then
sees all of the new data. If anything fails (or the process is killed) PostgreSQL
rolls the whole transaction back and the previous data stays as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import shapely
from sqlalchemy import Connection, Engine, text

from geosvc.core.rules import PRECISION_COMMUNE
from geosvc.db import nearest
from geosvc.db.models import Base
from geosvc.ingest.assignment import AssignmentRecord
from geosvc.ingest.communes import CommuneRecord
from geosvc.ingest.reference import EpciMembership, FormerCommuneRecord
from geosvc.ingest.sites import SiteRecord

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
    assignments: list[AssignmentRecord] = dataclasses.field(default_factory=list)


def ensure_schema(connection: Connection) -> None:
    """Create the extension and the tables when missing (the setup command normally did)."""
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    Base.metadata.create_all(connection, checkfirst=True)


def load(engine: Engine, data: LoadSet, progress=None) -> None:
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
        ensure_schema(connection)
        _delete_all(connection)
        cursor = connection.connection.driver_connection.cursor()
        _copy_reference(cursor, data)
        _copy_communes(cursor, data.communes, {m.commune: m.siren for m in data.epci}, progress)
        _copy_former(cursor, data.former)
        _copy_sites(cursor, data.sites)
        _place_sites_without_coordinates(connection)
        _copy_assignments(cursor, data.assignments)
        nearest.precompute(cursor)
        _insert_datasets(connection, data.datasets)
        connection.execute(text("ANALYZE communes; ANALYZE mission_sites"))


def _delete_all(connection: Connection) -> None:
    # children before parents, for the foreign keys
    tables = (
        "datasets", "commune_nearest", "mission_assignments", "mission_sites", "former_communes", "communes",
        "epci", "departements",
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
        "coord_source, note, superseded_by, location_precision, status, status_reason, geog"
    )
    with cursor.copy(f"COPY mission_sites ({columns}) FROM STDIN") as copy:
        for site in sites:
            point = _ewkb(shapely.Point(site.lon, site.lat)) if site.lon is not None else None
            copy.write_row((
                site.id, site.name, site.address, site.postcode, site.city, site.insee, site.kind,
                site.phone, site.website, site.source, site.source_date, site.coord_source, site.note,
                site.superseded_by, site.location_precision, site.status, site.status_reason, point,
            ))


def _copy_assignments(cursor, assignments: list[AssignmentRecord]) -> None:
    with cursor.copy("COPY mission_assignments (insee, site_id) FROM STDIN") as copy:
        for record in assignments:
            copy.write_row((record.insee, record.site_id))


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
