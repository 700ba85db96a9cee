"""`geosvc db standby`: a hot standby of the local server, for read scaling.

PostgreSQL's own streaming replication: pg_basebackup copies the primary and
configures the copy to follow it. The web service then reads from the standby
(GEOSVC_READ_DATABASE_URL) while `geosvc ingest` writes to the primary
(GEOSVC_DATABASE_URL); each commit on the primary reaches the standby within
milliseconds, and a whole ingestion appears there at once, as one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from psycopg import sql
from sqlalchemy import make_url

from geosvc.ops.dbsetup import _psql
from geosvc.ops.pginstance import PgInstance

REPLICATION_ROLE = "geosvc_replicator"


def create_replication_role(primary_port: int, password: str) -> None:
    exists = _psql(primary_port, "postgres", sql.SQL("SELECT 1 FROM pg_roles WHERE rolname = {}").format(
        sql.Literal(REPLICATION_ROLE)
    ))
    verb = sql.SQL("ALTER" if exists else "CREATE")
    _psql(primary_port, "postgres", sql.SQL("{} ROLE {} LOGIN REPLICATION PASSWORD {}").format(
        verb, sql.Identifier(REPLICATION_ROLE), sql.Literal(password)
    ))


def create_standby(
    primary_url: str, port: int, password: str, parent: Path | None = None,
    say: Callable[[str], None] = print,
) -> PgInstance:
    """Copy the primary of primary_url into a new standby on `port`, and start it."""
    primary_port = make_url(primary_url).port or 5432
    create_replication_role(primary_port, password)
    say(f"copying the primary (port {primary_port}) with pg_basebackup")
    standby = PgInstance.standby_of(primary_port, port, REPLICATION_ROLE, password, parent=parent)
    standby.start()
    say(f"hot standby running on port {port} ({standby.data_dir})")
    return standby
