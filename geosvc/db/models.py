"""The database schema, as SQLAlchemy 2 typed models with GeoAlchemy2 columns.

The models create the schema and serve the ingestion; the web service reads with
the plain SQL of the geosvc/db modules. Geometry conventions:

* commune polygons are `geometry(MultiPolygon, 4326)`: WGS84 lon/lat as in GeoJSON;
* every point that a distance is measured from or to is `geography(Point, 4326)`,
  so `ST_Distance` is geodesic on the WGS84 spheroid, in metres.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geography, Geometry, WKBElement
from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geosvc.core.rules import (
    COMMUNE_CODE_PATTERN,
    PRECISION_ADDRESS,
    PRECISION_COMMUNE,
    SITE_REJECTED,
    SITE_SERVED,
    SITE_SUPERSEDED,
)


class Base(DeclarativeBase):
    pass


class Departement(Base):
    __tablename__ = "departements"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    # NULL when the data set has no departements.csv (the France-wide one): unknown, not invented
    nom: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(3))


class Epci(Base):
    __tablename__ = "epci"

    siren: Mapped[str] = mapped_column(String(9), primary_key=True)
    nom: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(8))


class Commune(Base):
    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    nom: Mapped[str] = mapped_column(Text)
    # normalised name (geosvc.textnorm.normalise_name) for case/accent-insensitive search
    search_name: Mapped[str] = mapped_column(Text)
    departement: Mapped[str] = mapped_column(ForeignKey("departements.code"))
    epci: Mapped[str | None] = mapped_column(ForeignKey("epci.siren"))
    codes_postaux: Mapped[list[str]] = mapped_column(ARRAY(Text))
    population: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)
    )
    # ST_PointOnSurface(geom): always inside the commune, unlike the centroid.
    # Generated, so it can never disagree with the polygon.
    point: Mapped[WKBElement] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False),
        Computed("ST_PointOnSurface(geom)::geography", persisted=True),
    )
    # set when the source polygon was invalid and ST_MakeValid repaired it
    geom_repaired: Mapped[bool] = mapped_column(server_default=text("false"))

    __table_args__ = (
        CheckConstraint(f"code ~ '{COMMUNE_CODE_PATTERN}'", name="commune_code_format"),
        Index("communes_geom_gist", "geom", postgresql_using="gist"),
        Index("communes_point_gist", "point", postgresql_using="gist"),
        Index("communes_departement", "departement"),
    )


class CommuneNearest(Base):
    """Each commune's nearest served sites, computed at ingestion (geosvc/db/nearest.py).

    The answer to "nearest to this commune" only changes when an ingestion does, so it is
    computed once, set-based, for every commune and up to MAX_K sites; the service
    holds the table in memory (geosvc/nearest.py) and answers without a query.
    """

    __tablename__ = "commune_nearest"

    code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    # ascending geodesic distance (metres, WGS84 spheroid), ties by site id
    site_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    distances_m: Mapped[list[float]] = mapped_column(ARRAY(Float))


class FormerCommune(Base):
    """A name or code people may still type that is no longer a current commune."""

    __tablename__ = "former_communes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(5), index=True)
    nom: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20))
    code_actuel: Mapped[str] = mapped_column(ForeignKey("communes.code"))


class MissionLocale(Base):
    """A mission locale: the organisation responsible for the young people of its zone.

    From the union's (UNML) coverage table: its code, official name and the head-office
    address it stated that month. The display name is derived from the official one.
    """

    __tablename__ = "missions_locales"

    code: Mapped[str] = mapped_column(Text, primary_key=True)  # the union's "Code ML"
    official_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    # the commune of the stated head office, when found among the communes
    head_office_insee: Mapped[str | None] = mapped_column(Text)


class Zone(Base):
    """Commune -> mission locale, as the union's table states it (a commune may have several)."""

    __tablename__ = "zones"

    insee: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    mission_locale: Mapped[str] = mapped_column(ForeignKey("missions_locales.code"), primary_key=True, index=True)
    # the union's "Commune présente sur plusieurs ML"
    several: Mapped[bool] = mapped_column(server_default=text("false"))


class CommuneOwnSites(Base):
    """Each commune's own mission locale(s) and all their served sites, ranked by geodesic
    distance at ingestion (geosvc/db/network.py), held in memory like commune_nearest."""

    __tablename__ = "commune_own_sites"

    code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    mission_locale: Mapped[str] = mapped_column(ForeignKey("missions_locales.code"), primary_key=True)
    site_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    distances_m: Mapped[list[float]] = mapped_column(ARRAY(Float))


class MissionSite(Base):
    __tablename__ = "mission_sites"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    insee: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    kind: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[str | None] = mapped_column(Text)
    coord_source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    superseded_by: Mapped[str | None] = mapped_column(Text)
    # the union's code of the site's mission locale; NULL where no zones are loaded (France)
    mission_locale: Mapped[str | None] = mapped_column(ForeignKey("missions_locales.code"), index=True)
    email: Mapped[str | None] = mapped_column(Text)
    # opening hours as geosvc/network/hours.py structures them; NULL when the source has none
    hours: Mapped[dict | None] = mapped_column(JSONB)
    accessibility: Mapped[str | None] = mapped_column(Text)
    # true when the union's head-office address of the zones' month confirms this site's address
    confirmed: Mapped[bool] = mapped_column(server_default=text("false"))
    location_precision: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # NULL only inside the loading transaction, for rows without coordinates, until
    # they are placed at their commune's reference point (location_precision 'commune').
    geog: Mapped[WKBElement | None] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))

    __table_args__ = (
        CheckConstraint(
            f"location_precision IN ('{PRECISION_ADDRESS}', '{PRECISION_COMMUNE}')",
            name="site_precision",
        ),
        CheckConstraint(
            f"status IN ('{SITE_SERVED}', '{SITE_SUPERSEDED}', '{SITE_REJECTED}')",
            name="site_status",
        ),
        Index("mission_sites_geog_gist", "geog", postgresql_using="gist"),
        # the nearest-site searches only ever look at served sites
        Index(
            "mission_sites_served_geog_gist",
            "geog",
            postgresql_using="gist",
            postgresql_where=text(f"status = '{SITE_SERVED}'"),
        ),
    )


class Dataset(Base):
    """Where each loaded file came from and which year it describes (shown in every answer)."""

    __tablename__ = "datasets"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)
    vintage: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TransitRun(Base):
    """The TER computation the commune_transit rows come from: timetable and method (one row)."""

    __tablename__ = "transit_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(Text)
    feed_version: Mapped[str | None] = mapped_column(Text)
    service_date: Mapped[dt.date] = mapped_column(Date)
    attribution: Mapped[str] = mapped_column(Text)
    # geosvc.transit.routing.Method's fields, as JSON
    method: Mapped[dict] = mapped_column(JSONB)
    stops: Mapped[int] = mapped_column(Integer)
    connections: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)

    __table_args__ = (CheckConstraint("id = 1", name="transit_run_single_row"),)


class CommuneTransit(Base):
    """Earliest arrival by TER per commune, target ('own', 'nearest') and mode ('walk', 'bike'),
    computed at ingestion (geosvc/transit/); minutes NULL: no trip before the cutoff."""

    __tablename__ = "commune_transit"

    code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    target: Mapped[str] = mapped_column(Text, primary_key=True)
    mode: Mapped[str] = mapped_column(Text, primary_key=True)
    minutes: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(Text)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("mission_sites.id"))
    leave: Mapped[str | None] = mapped_column(Text)
    departure: Mapped[str | None] = mapped_column(Text)
    arrival: Mapped[str | None] = mapped_column(Text)
    access_minutes: Mapped[int | None] = mapped_column(Integer)
    egress_minutes: Mapped[int | None] = mapped_column(Integer)
    legs: Mapped[list | None] = mapped_column(JSONB)

    __table_args__ = (
        CheckConstraint("target IN ('own', 'nearest')", name="commune_transit_target"),
        CheckConstraint("mode IN ('walk', 'bike')", name="commune_transit_mode"),
        CheckConstraint("kind IS NULL OR kind IN ('direct', 'transit')", name="commune_transit_kind"),
    )
