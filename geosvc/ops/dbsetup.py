"""`geosvc db setup`: a usable PostgreSQL + PostGIS on this machine, idempotently.

On a fresh Debian machine, as root: installs the server and PostGIS with apt when
missing, starts (or creates) the cluster, creates the role, the database, a template
database with the extensions (tests clone it), and the extensions themselves.
Running it again changes nothing. When GEOSVC_DATABASE_URL names another server,
nothing is installed: only the extensions are checked on that database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from geosvc.db.analyse import SCHEMA as ANALYSE_SCHEMA
from geosvc.db.pool import libpq_url, safe_url

PG_VERSION = "15"
APT_PACKAGES = [f"postgresql-{PG_VERSION}", f"postgresql-{PG_VERSION}-postgis-3", "postgresql-contrib"]
POSTGIS_CONTROL = f"/usr/share/postgresql/{PG_VERSION}/extension/postgis.control"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", None, ""}
# Cloned by the tests (CREATE DATABASE ... TEMPLATE), so they need no superuser.
TEMPLATE_DATABASE = "geosvc_template"
EXTENSIONS = ["postgis"]


class SetupError(RuntimeError):
    pass


def setup(database_url: str, read_database_url: str | None = None, say: Callable[[str], None] = print) -> None:
    url = make_url(database_url)
    if url.host in LOCAL_HOSTS:
        _install_server(say)
        _start_cluster(url.port or 5432, say)
        provision(database_url, read_database_url, say)
    else:
        say(f"using the server of GEOSVC_DATABASE_URL ({safe_url(database_url)}); nothing installed")
        _check_extensions(database_url, say)
    say(f"database ready: {safe_url(database_url)}")


def provision(database_url: str, read_database_url: str | None, say: Callable[[str], None] = print) -> None:
    """Roles, databases and extensions on a running local server (idempotent)."""
    url = make_url(database_url)
    _create_role_and_databases(url, say)
    reader = make_url(read_database_url) if read_database_url else None
    if reader is not None and reader.host in LOCAL_HOSTS and reader.username != url.username:
        _create_reader(url, reader, say)


def _install_server(say) -> None:
    if shutil.which("pg_ctlcluster") and os.path.exists(POSTGIS_CONTROL):
        return
    if os.geteuid() != 0:
        raise SetupError(f"PostgreSQL {PG_VERSION} + PostGIS are missing; run as root to install {APT_PACKAGES}")
    say(f"installing {' '.join(APT_PACKAGES)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-q"], env=env)
    _run(["apt-get", "install", "-y", "-q", *APT_PACKAGES], env=env)


def _start_cluster(port: int, say) -> None:
    clusters = _run(["pg_lsclusters", "--no-header"], capture=True).splitlines()
    cluster = next((line.split() for line in clusters if line.split()[2] == str(port)), None)
    if cluster is None:
        say(f"creating PostgreSQL cluster {PG_VERSION}/main on port {port}")
        _run(["pg_createcluster", PG_VERSION, "main", "--port", str(port), "--start"])
    elif cluster[3] != "online":
        say(f"starting PostgreSQL cluster {cluster[0]}/{cluster[1]}")
        _run(["pg_ctlcluster", cluster[0], cluster[1], "start"])
    _wait_until_ready(port)


def _wait_until_ready(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while subprocess.run(["pg_isready", "-q", "-p", str(port)], check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise SetupError(f"PostgreSQL did not accept connections on port {port} within {seconds:.0f} s")
        time.sleep(0.5)


def _create_role_and_databases(url, say) -> None:
    port = url.port or 5432
    _ensure_role(port, url.username, url.password)
    _ensure_database(port, TEMPLATE_DATABASE, owner="postgres")
    _ensure_database(port, url.database, owner=url.username)
    for database in (TEMPLATE_DATABASE, url.database):
        for extension in EXTENSIONS:
            _psql(port, database, sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
    _psql(port, "postgres", sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(sql.Identifier(TEMPLATE_DATABASE)))
    say(f"role {url.username}, databases {url.database} and {TEMPLATE_DATABASE} ready with {', '.join(EXTENSIONS)}")


def _ensure_role(port: int, role: str, password: str | None, createdb: bool = True) -> None:
    exists = _psql(port, "postgres", sql.SQL("SELECT 1 FROM pg_roles WHERE rolname = {}").format(sql.Literal(role)))
    verb = sql.SQL("ALTER" if exists else "CREATE")
    _psql(port, "postgres", sql.SQL("{} ROLE {} LOGIN {} PASSWORD {}").format(
        verb, sql.Identifier(role), sql.SQL("CREATEDB" if createdb else "NOCREATEDB"), sql.Literal(password or "")
    ))


def _create_reader(owner, reader, say) -> None:
    """The service's role: it may read what the owner creates, and nothing else.

    Default privileges are set in the template too, so every clone the tests make
    grants SELECT to the reader on the tables the ingestion creates there.
    """
    port = owner.port or 5432
    _ensure_role(port, reader.username, reader.password, createdb=False)
    for database in (TEMPLATE_DATABASE, owner.database):
        _psql(port, database, sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT ON TABLES TO {reader}"
        ).format(owner=sql.Identifier(owner.username), reader=sql.Identifier(reader.username)))
    _psql(port, owner.database, sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
        sql.Identifier(reader.username)
    ))
    _grant_analyse(port, owner, reader)
    say(f"read-only role {reader.username} ready (SELECT on the tables of {owner.username})")


def _grant_analyse(port: int, owner, reader) -> None:
    """The views of the `analyse` schema, once revision 0003 made them: the revision gives them to
    the readers it finds; this gives them to a reader created (or named) after it ran."""
    exists = sql.SQL("SELECT 1 FROM pg_namespace WHERE nspname = {}").format(sql.Literal(ANALYSE_SCHEMA))
    if not _psql(port, owner.database, exists):
        return
    names = {"schema": sql.Identifier(ANALYSE_SCHEMA), "owner": sql.Identifier(owner.username),
             "reader": sql.Identifier(reader.username)}
    for statement in (
        "GRANT USAGE ON SCHEMA {schema} TO {reader}",
        "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT SELECT ON TABLES TO {reader}",
    ):
        _psql(port, owner.database, sql.SQL(statement).format(**names))


def _ensure_database(port: int, database: str, owner: str) -> None:
    query = sql.SQL("SELECT 1 FROM pg_database WHERE datname = {}").format(sql.Literal(database))
    if not _psql(port, "postgres", query):
        _psql(port, "postgres", sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(database), sql.Identifier(owner)
        ))


def _psql(port: int, database: str, statement: sql.Composable) -> str:
    """Run one statement as the postgres superuser (peer authentication on the local socket)."""
    if os.geteuid() != 0:
        raise SetupError("creating the role and databases needs root (to act as the postgres user)")
    command = ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
               "-p", str(port), "-d", database, "-c", statement.as_string(None)]
    return _run(command, capture=True).strip()


def _check_extensions(database_url: str, say) -> None:
    with psycopg.connect(libpq_url(database_url), autocommit=True, connect_timeout=5) as connection:
        for extension in EXTENSIONS:
            try:
                connection.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
            except psycopg.errors.InsufficientPrivilege as exc:
                raise SetupError(f"extension {extension} is missing and this role may not create it") from exc
        version = connection.execute("SELECT postgis_lib_version()").fetchone()[0]
    say(f"PostGIS {version}")


def _run(command: list[str], capture: bool = False, env=None) -> str:
    result = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SetupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout if capture else ""
