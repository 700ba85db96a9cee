"""Schema migrations (geosvc/db/migrate.py, geosvc/db/migrations) on the real PostGIS server.

* a database created by the schema from before migrations (tests/data/schema/before_migrations.sql),
  holding data, is upgraded by `geosvc db upgrade`: its rows survive, it reaches head, and a
  real ingestion of data/ then succeeds on it;
* an empty database upgraded to head is exactly geosvc/db/models.py (Alembic's own
  comparison, with GeoAlchemy2's filter), and revision 0001 is exactly the dumped schema;
* upgrading twice is a no-op; an upgrade rolled back with its caller's transaction leaves nothing.
* revision 0003 creates the `analyse` schema (views for QGIS), readable by the read-only role, and
  its downgrade drops it; it refuses to run as another role than the tables' owner.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, make_url, pool, text

from geosvc.cli import main
from geosvc.config import PROJECT_ROOT
from geosvc.db import migrate
from geosvc.db.models import Base
from geosvc.db.pool import libpq_url
from geosvc.ingest.pipeline import ingest
from geosvc.ops.dbsetup import TEMPLATE_DATABASE
from tests.conftest import DATA_DIR, READER_URL, SERVER_URL, _janitor, _unique, database_url

BEFORE_SQL = PROJECT_ROOT / "tests" / "data" / "schema" / "before_migrations.sql"
NEW_TABLES = {"missions_locales", "zones", "commune_own_sites"}
NEW_SITE_COLUMNS = {"mission_locale", "email", "hours", "accessibility", "confirmed"}
DROPPED_INDEXES = {"communes_search_name", "communes_codes_postaux_gin"}


@contextlib.contextmanager
def scratch_database():
    """URL of a new clone of the template (PostGIS, no geosvc tables), dropped afterwards."""
    name = _unique("geosvc_test_migrate")
    with _janitor(name, TEMPLATE_DATABASE):
        yield database_url(name)


@contextlib.contextmanager
def engine_for(url: str):
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def create_pre_migration_schema(url: str) -> None:
    """Run the pg_dump of the old schema as the owner role: psql's \\restrict lines left out,
    and COMMENT ON EXTENSION (only an extension's owner may; the extensions are the template's)."""
    script = "\n".join(
        line for line in BEFORE_SQL.read_text(encoding="utf-8").splitlines()
        if not line.startswith("\\") and not line.startswith("COMMENT ON EXTENSION")
    )
    with psycopg.connect(libpq_url(url)) as connection:
        connection.execute(script)


def two_communes() -> list[dict]:
    with (DATA_DIR / "communes.geojson").open(encoding="utf-8") as file:
        features = json.load(file)["features"][:2]
    return [{**feature["properties"], "geometry": json.dumps(feature["geometry"])} for feature in features]


def insert_old_rows(url: str, communes: list[dict]) -> None:
    """A few rows in every kind of table of the old schema, as an old ingestion left them."""
    first, second = communes
    with engine_for(url) as engine, engine.begin() as connection:
        connection.execute(text("INSERT INTO departements (code, nom, region) VALUES ('02', 'Aisne', '32')"))
        for commune in communes:
            connection.execute(text(
                "INSERT INTO communes (code, nom, search_name, departement, codes_postaux, population, geom) "
                "VALUES (:code, :nom, lower(:nom), :departement, :codes_postaux, :population, "
                "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:geometry), 4326)))"
            ), {**commune, "codes_postaux": commune["codesPostaux"]})
        connection.execute(text(
            "INSERT INTO mission_sites (id, name, insee, location_precision, status, geog) "
            "VALUES ('ml-old-1', 'Mission locale d''avant', :insee, 'address', 'served', "
            "ST_GeogFromText('SRID=4326;POINT(3.18 49.60)'))"
        ), {"insee": first["code"]})
        connection.execute(text("INSERT INTO mission_assignments (insee, site_id) VALUES (:insee, 'ml-old-1')"),
                           {"insee": second["code"]})
        connection.execute(text(
            "INSERT INTO commune_nearest (code, site_ids, distances_m) VALUES (:code, ARRAY['ml-old-1'], ARRAY[12.5])"
        ), {"code": first["code"]})
        connection.execute(text(
            "INSERT INTO datasets (name, file, sha256, rows, source, vintage, loaded_at) "
            "VALUES ('communes', 'communes.geojson', repeat('a', 64), 2, 'before', '2024', now())"
        ))


def schema_differences(connection) -> list:
    """What Alembic's autogenerate would write to bring the database to geosvc/db/models.py."""
    options = migrate.context_options()
    context = MigrationContext.configure(connection, opts={
        key: options[key] for key in ("include_object", "include_name", "compare_type", "compare_server_default")
    })
    return compare_metadata(context, Base.metadata)


def test_a_database_from_before_migrations_keeps_its_data_through_upgrade_then_ingests():
    communes = two_communes()
    with scratch_database() as url, engine_for(url) as engine:
        create_pre_migration_schema(url)
        insert_old_rows(url, communes)
        with engine.connect() as connection:
            geometry_before = connection.execute(text("SELECT code, md5(ST_AsEWKB(geom)) FROM communes")).all()
            assert migrate.current(connection) is None

        result = CliRunner().invoke(main, ["db", "upgrade"], env={"GEOSVC_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        assert f"stamped {migrate.BASELINE}" in result.output
        assert f"upgraded {migrate.BASELINE} -> {migrate.HEAD}" in result.output
        assert "geosvc:geosvc@" not in result.output  # no password printed

        with engine.connect() as connection:
            assert migrate.current(connection) == migrate.HEAD
            # the rows survived, the polygons bit for bit, the generated points still there
            assert connection.execute(text("SELECT code, md5(ST_AsEWKB(geom)) FROM communes")).all() == (
                geometry_before
            )
            assert connection.execute(text("SELECT count(*) FROM communes WHERE point IS NOT NULL")).scalar() == 2
            site = connection.execute(text("SELECT * FROM mission_sites")).mappings().one()
            assert (site["id"], site["insee"], site["status"]) == ("ml-old-1", communes[0]["code"], "served")
            assert site["mission_locale"] is None and site["hours"] is None and site["email"] is None
            assert site["confirmed"] is False
            assert connection.execute(text("SELECT rows, vintage FROM datasets")).one() == (2, "2024")
            assert connection.execute(text("SELECT site_ids FROM commune_nearest")).scalar() == ["ml-old-1"]

            schema = inspect(connection)
            tables = set(schema.get_table_names())
            assert tables >= NEW_TABLES and "mission_assignments" not in tables
            assert {column["name"] for column in schema.get_columns("mission_sites")} >= NEW_SITE_COLUMNS
            assert not DROPPED_INDEXES & {index["name"] for index in schema.get_indexes("communes")}
            if READER_URL.username != SERVER_URL.username:  # the service's role reads the new tables
                for table in NEW_TABLES:
                    assert connection.execute(text("SELECT has_table_privilege(:role, :table, 'SELECT')"),
                                              {"role": READER_URL.username, "table": table}).scalar(), table

        # a real ingestion of the project's data on the upgraded database
        summary = ingest(engine, DATA_DIR, max_offset_km=5.0)
        assert sum(summary.communes_per_departement.values()) > 2
        with engine.connect() as connection:
            assert migrate.current(connection) == migrate.HEAD
            assert schema_differences(connection) == []
            assert connection.execute(text("SELECT count(*) FROM communes")).scalar() == sum(
                summary.communes_per_departement.values()
            )


def test_an_empty_database_is_migrated_to_exactly_the_models():
    with scratch_database() as url, engine_for(url) as engine:
        outcome = migrate.upgrade_url(url, migrate.BASELINE)
        assert (outcome.before, outcome.after, outcome.adopted) == (None, migrate.BASELINE, False)
        with engine.connect() as connection:
            assert schema_differences(connection) != []  # the comparison does see a difference

        outcome = migrate.upgrade_url(url)
        assert (outcome.before, outcome.after) == (migrate.BASELINE, migrate.HEAD)
        with engine.connect() as connection:
            assert migrate.current(connection) == migrate.HEAD
            assert schema_differences(connection) == []


def schema_dump(url: str) -> list[str]:
    """pg_dump --schema-only as comparable statements: no comments, settings, extensions, alembic_version."""
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump (PostgreSQL's client) is needed to compare schemas"
    server = make_url(url)
    dump = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "-h", server.host or "127.0.0.1",
         "-p", str(server.port or 5432), "-U", server.username, server.database],
        env={"PGPASSWORD": server.password or "", "PATH": "/usr/bin:/bin"}, check=True, capture_output=True, text=True,
    ).stdout
    lines = [line for line in dump.splitlines()
             if line and not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\"))]
    statements = "\n".join(lines).split(";\n")
    return [statement for statement in statements
            if "EXTENSION" not in statement and "alembic_version" not in statement]


def test_revision_0001_creates_exactly_the_schema_from_before_migrations():
    with scratch_database() as dumped, scratch_database() as migrated:
        create_pre_migration_schema(dumped)
        migrate.upgrade_url(migrated, migrate.BASELINE)
        assert schema_dump(migrated) == schema_dump(dumped)


def test_upgrading_twice_is_a_no_op():
    with scratch_database() as url, engine_for(url) as engine:
        first = migrate.upgrade_url(url)
        assert (first.before, first.after) == (None, migrate.HEAD)
        dump = schema_dump(url)
        second = migrate.upgrade_url(url)
        assert (second.before, second.after, second.adopted) == (migrate.HEAD, migrate.HEAD, False)
        assert "nothing to upgrade" in second.describe()
        assert schema_dump(url) == dump
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_the_upgrade_is_part_of_the_callers_transaction():
    with scratch_database() as url, engine_for(url) as engine:
        with engine.connect() as connection:
            outcome = migrate.upgrade(connection)
            assert outcome.after == migrate.HEAD
            connection.rollback()  # e.g. the ingestion that called it failed
        with engine.connect() as connection:
            assert migrate.current(connection) is None
            assert "communes" not in inspect(connection).get_table_names()


def test_tables_that_are_not_a_known_schema_are_refused_not_guessed():
    with scratch_database() as url, engine_for(url) as engine:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE communes (code text PRIMARY KEY)"))
        with pytest.raises(migrate.MigrationError, match="not the schema from before migrations"):
            migrate.upgrade_url(url)
        with engine.connect() as connection:
            assert migrate.current(connection) is None


def test_head_is_the_newest_revision_file():
    assert max(path.name.split("_")[0] for path in (migrate.MIGRATIONS_DIR / "versions").glob("*.py")) == migrate.HEAD


# --- revision 0003: the `analyse` schema (docs/QGIS.md) ----------------------------------------

ANALYSE_RELATIONS = {"communes": "v", "mismatch": "v", "sites": "v", "zones": "m", "catchments": "m"}
ANALYSE_GEOMETRIES = {"communes": ("MULTIPOLYGON", 4326), "mismatch": ("MULTIPOLYGON", 4326),
                      "sites": ("POINT", 4326), "zones": ("MULTIPOLYGON", 4326), "catchments": ("MULTIPOLYGON", 4326)}


def analyse_schema(connection) -> dict:
    """The relations of the schema `analyse`, their geometry columns as GDAL and QGIS read them, its grants."""
    relations = dict(connection.execute(text(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'analyse' AND c.relkind IN ('v', 'm', 'r')"
    )).all())
    geometries = {row[0]: (row[1], row[2]) for row in connection.execute(text(
        "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'analyse'"
    )).all()}
    default_privileges = connection.execute(text(
        "SELECT count(*) FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace "
        "WHERE n.nspname = 'analyse'"
    )).scalar()
    schema = connection.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname = 'analyse'")).scalar()
    return {"schema": schema, "relations": relations, "geometries": geometries,
            "default_privileges": default_privileges}


def test_revision_0003_creates_the_analyse_schema_and_its_downgrade_drops_it():
    with scratch_database() as url, engine_for(url) as engine:
        migrate.upgrade_url(url, "0002")
        with engine.connect() as connection:
            assert analyse_schema(connection) == {"schema": 0, "relations": {}, "geometries": {},
                                                  "default_privileges": 0}

        outcome = migrate.upgrade_url(url, "0003")
        assert (outcome.before, outcome.after) == ("0002", "0003")
        with engine.connect() as connection:
            created = analyse_schema(connection)
            assert created["relations"] == ANALYSE_RELATIONS
            assert created["geometries"] == ANALYSE_GEOMETRIES
            if READER_URL.username != SERVER_URL.username:  # the service's role reads them, and what comes later
                reader = {"role": READER_URL.username}
                assert connection.execute(text("SELECT has_schema_privilege(:role, 'analyse', 'USAGE')"),
                                          reader).scalar()
                for name in ANALYSE_RELATIONS:
                    assert connection.execute(text("SELECT has_table_privilege(:role, :relation, 'SELECT')"),
                                              {**reader, "relation": f'"analyse".{name}'}).scalar(), name
                assert created["default_privileges"] == 1

        command.downgrade(migrate.config(url), "0002")
        with engine.connect() as connection:
            assert migrate.current(connection) == "0002"
            assert analyse_schema(connection) == {"schema": 0, "relations": {}, "geometries": {},
                                                  "default_privileges": 0}

        migrate.upgrade_url(url)
        with engine.connect() as connection:
            assert migrate.current(connection) == migrate.HEAD
            at_head = analyse_schema(connection)
            # revision 0004 adds the TER travel times' view (issue 16)
            assert at_head["relations"] == ANALYSE_RELATIONS | {"transit": "v"}
            assert at_head["geometries"]["transit"] == ("MULTIPOLYGON", 4326)
            if READER_URL.username != SERVER_URL.username:
                assert connection.execute(text("SELECT has_table_privilege(:role, '\"analyse\".transit', 'SELECT')"),
                                          {"role": READER_URL.username}).scalar()


@pytest.mark.skipif(READER_URL.username == SERVER_URL.username, reason="no separate read-only role configured")
def test_revision_0003_runs_only_as_the_owner_of_the_tables():
    with scratch_database() as url, engine_for(url) as engine:
        migrate.upgrade_url(url, "0002")
        as_reader = make_url(url).set(username=READER_URL.username, password=READER_URL.password)
        with pytest.raises(RuntimeError, match="run it as the owner of the tables"):
            migrate.upgrade_url(as_reader.render_as_string(hide_password=False))
        with engine.connect() as connection:
            assert migrate.current(connection) == "0002"
