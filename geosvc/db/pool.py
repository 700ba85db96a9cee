"""Database access: a SQLAlchemy engine for schema and ingestion, a psycopg pool for reads.

The web service's read path is plain SQL over psycopg_pool (the geosvc/db modules): one
round trip per query, no ORM on the hot path. SQLAlchemy + GeoAlchemy2 own the schema
and the bulk load, where their models and COPY access pay off.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout
from sqlalchemy import Engine, create_engine, make_url

from geosvc.config import Settings
from geosvc.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as a libpq URI (drops the '+psycopg' driver suffix)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def safe_url(database_url: str) -> str:
    """For logs and messages: never print a password."""
    return make_url(database_url).render_as_string(hide_password=True)


def make_engine(database_url: str) -> Engine:
    return create_engine(database_url, pool_pre_ping=True)


class ReadDatabase:
    """A pool of read-only connections, each statement under a time limit."""

    def __init__(self, settings: Settings):
        self._timeout_s = settings.pool_timeout_s
        self.pool = ConnectionPool(
            libpq_url(settings.read_database_url),
            min_size=1,
            max_size=settings.pool_size,
            timeout=settings.pool_timeout_s,
            kwargs={
                # jit off: the service's statements are short; LLVM compilation of a plan whose
                # estimated cost crosses jit_above_cost (the feeds' lateral joins) costs more than
                # the statement itself (0.2-1 s against 40 ms measured) and risks the time limit
                "options": f"-c statement_timeout={settings.statement_timeout_ms} -c jit=off",
                "connect_timeout": max(1, int(settings.pool_timeout_s)),
                "application_name": "geosvc",
            },
            configure=_configure,
            # a connection broken by a database restart is replaced, not handed out
            check=ConnectionPool.check_connection,
            open=True,
            name="geosvc-read",
        )

    @contextlib.contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor]:
        """A dict cursor in one read-only, repeatable-read transaction.

        Repeatable read gives every query of a request the same snapshot, so an
        ingestion committing in between cannot mix old and new data in one answer.
        """
        try:
            with (
                self.pool.connection(timeout=self._timeout_s) as connection,
                connection.cursor(row_factory=dict_row) as cursor,
            ):
                yield cursor
        except PoolTimeout as exc:
            raise ServiceUnavailable("the database is not reachable right now") from exc
        except psycopg.errors.UndefinedTable as exc:
            raise ServiceUnavailable(
                "no data is loaded yet: run `geosvc ingest`", code="data_not_loaded"
            ) from exc
        except psycopg.errors.QueryCanceled as exc:
            raise ServiceUnavailable("the database took too long to answer") from exc
        except psycopg.OperationalError as exc:
            log.warning("database error: %s", exc.__class__.__name__)
            raise ServiceUnavailable("the database is not reachable right now") from exc

    def close(self) -> None:
        self.pool.close()


def _configure(connection: psycopg.Connection) -> None:
    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    connection.read_only = True
