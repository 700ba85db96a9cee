"""Schema migrations: Alembic, configured in code (no alembic.ini), revisions in geosvc/db/migrations.

The API the rest of the code calls:

* `upgrade(connection)`: brings the database of a SQLAlchemy Connection to HEAD, inside the
  caller's transaction (PostgreSQL DDL is transactional: when the caller rolls back, a
  failed ingestion for instance, the upgrade is rolled back with it). It never commits.
* `upgrade_url(database_url)`: the same in a transaction of its own, committed.
* `current(connection)`: the database's revision, None when it has none.
* `HEAD`: the newest revision of the package.

A database created before migrations (geosvc tables, no `alembic_version`) is recognised
and stamped "0001" (the baseline, which is that schema) before being upgraded. An empty
database (with PostGIS) goes through every revision.

Also a command for developers (docs/OPERATIONS.md, "Schema migrations"):
`python -m geosvc.db.migrate {upgrade,downgrade,current,history,stamp,revision}`.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection, create_engine, make_url, pool, text

from geosvc.db.models import Base

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BASELINE = "0001"
# The tables of the baseline, i.e. of every database created before migrations.
BASELINE_TABLES = frozenset({
    "commune_nearest", "communes", "datasets", "departements", "epci", "former_communes",
    "mission_assignments", "mission_sites",
})
# Serialises two concurrent upgrades (held until the caller's transaction ends).
MIGRATION_LOCK_KEY = 7_263_002
# PostGIS's own objects, which no model describes: never compared, never dropped
POSTGIS_SCHEMAS = frozenset({"tiger", "tiger_data", "topology"})
POSTGIS_TABLES = frozenset({"spatial_ref_sys", "geometry_columns", "geography_columns", "raster_columns",
                            "raster_overviews", "layer", "topology"})


class MigrationError(RuntimeError):
    pass


def config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    """The Alembic Config of geosvc: script_location is geosvc/db/migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # revisions are numbered "0001", "0002", ...: files 0002_network.py
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if database_url is not None:
        url = make_url(database_url).render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff:  # a new revision file comes out with its imports sorted, as ruff wants them
        cfg.set_section_option("post_write_hooks", "hooks", "ruff")
        cfg.set_section_option("post_write_hooks", "ruff.type", "exec")
        cfg.set_section_option("post_write_hooks", "ruff.executable", ruff)
        cfg.set_section_option("post_write_hooks", "ruff.options",
                               "check --fix --exit-zero --quiet REVISION_SCRIPT_FILENAME")
    return cfg


def include_object(obj, name, obj_type, reflected, compare_to) -> bool:
    """Autogenerate's filter: GeoAlchemy2's (spatial_ref_sys, ...) plus PostGIS's tiger and topology."""
    table = obj if obj_type == "table" else getattr(obj, "table", None)
    if getattr(table, "schema", None) in POSTGIS_SCHEMAS:
        return False
    if obj_type == "table" and name in POSTGIS_TABLES and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to)


def include_name(name, type_, parent_names) -> bool:
    return not (type_ == "schema" and name in POSTGIS_SCHEMAS)


def context_options() -> dict:
    """The options of Alembic's context.configure (env.py), and of a compare_metadata in the tests."""
    return {
        "target_metadata": Base.metadata,
        "include_object": include_object,
        "include_name": include_name,
        # GeoAlchemy2's helpers: geometry columns and spatial tables rendered as such
        "process_revision_directives": alembic_helpers.writer,
        "render_item": alembic_helpers.render_item,
        "compare_type": True,
        "compare_server_default": True,
    }


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


HEAD: str = _script().get_current_head()


@dataclasses.dataclass(frozen=True)
class Outcome:
    before: str | None  # the revision found (BASELINE for a pre-migration database)
    after: str
    adopted: bool  # a pre-migration database, stamped BASELINE first

    def describe(self) -> str:
        prefix = f"pre-migration schema recognised, stamped {BASELINE}; " if self.adopted else ""
        if self.before == self.after:
            return f"{prefix}schema at {self.after} (head {HEAD}): nothing to upgrade"
        return f"{prefix}schema upgraded {self.before or 'empty'} -> {self.after}"


def current(connection: Connection) -> str | None:
    """The revision stamped in the database; None when it has none (empty or pre-migration)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> Outcome:
    """Upgrade the database of `connection` to `revision` (HEAD), inside its transaction.

    The caller commits (`with engine.begin() as connection: upgrade(connection)`); if it
    rolls back instead, the database is left at its previous revision.
    """
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    cfg = config(connection=connection)
    before = current(connection)
    adopted = before is None and _adopt_pre_migration(connection, cfg)
    if adopted:
        before = BASELINE
    command.upgrade(cfg, revision)
    return Outcome(before=before, after=current(connection), adopted=adopted)


def upgrade_url(database_url: str, revision: str = "head") -> Outcome:
    """Upgrade the database of `database_url` in one transaction, committed."""
    engine = create_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            return upgrade(connection, revision)
    finally:
        engine.dispose()


def _adopt_pre_migration(connection: Connection, cfg: Config) -> bool:
    """Stamp BASELINE on a database created before migrations; False for an empty one."""
    tables = set(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )).scalars())
    found = tables & BASELINE_TABLES
    if not found:
        return False
    if found != BASELINE_TABLES or tables - BASELINE_TABLES - {"spatial_ref_sys"}:
        raise MigrationError(
            "this database has geosvc tables but no alembic_version, and they are not the schema from "
            f"before migrations (revision {BASELINE}): missing {sorted(BASELINE_TABLES - tables) or 'none'}, "
            f"unexpected {sorted(tables - BASELINE_TABLES - {'spatial_ref_sys'}) or 'none'}. Its data is "
            "replaced by every ingestion: drop those tables (or the database) and run `geosvc db upgrade`, "
            "or, after checking which revision it matches, `python -m geosvc.db.migrate stamp <revision>`."
        )
    command.stamp(cfg, BASELINE)
    return True


# --- developers' command: python -m geosvc.db.migrate ... -----------------------------------------

def next_revision_id() -> str:
    """"0001", "0002", ...: one more than the highest numbered revision."""
    numbers = [int(script.revision) for script in _script().walk_revisions() if script.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geosvc.db.migrate", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="SQLAlchemy URL (default: GEOSVC_DATABASE_URL or the project's default)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="upgrade to a revision (default head), in one transaction")
    up.add_argument("revision", nargs="?", default="head")
    down = commands.add_parser("downgrade", help="downgrade to a revision (e.g. -1, 0001, base)")
    down.add_argument("revision")
    commands.add_parser("current", help="print the database's revision")
    commands.add_parser("history", help="list the revisions")
    stamp = commands.add_parser("stamp", help="record a revision without running anything")
    stamp.add_argument("revision")
    new = commands.add_parser("revision", help="write a new revision file in geosvc/db/migrations/versions")
    new.add_argument("-m", "--message", required=True)
    new.add_argument("--autogenerate", action="store_true",
                     help="compare the database (at head) with geosvc/db/models.py and write the difference")
    args = parser.parse_args(argv)

    if args.url is None and args.command != "history":
        from geosvc.config import Settings

        args.url = Settings.from_env().database_url
    cfg = config(args.url)
    if args.command == "upgrade":
        print(upgrade_url(args.url, args.revision).describe())
    elif args.command == "downgrade":
        command.downgrade(cfg, args.revision)
    elif args.command == "current":
        engine = create_engine(args.url, poolclass=pool.NullPool)
        with engine.connect() as connection:
            print(current(connection) or "none")
        engine.dispose()
    elif args.command == "history":
        command.history(cfg)
    elif args.command == "stamp":
        command.stamp(cfg, args.revision)
    else:
        command.revision(cfg, message=args.message, autogenerate=args.autogenerate, rev_id=next_revision_id())
    return 0


if __name__ == "__main__":
    sys.exit(main())
