"""Database access: a SQLAlchemy engine for schema and ingestion, a psycopg pool for reads.

The web service's read path is plain SQL over psycopg_pool (the geosvc/db modules): one
round trip per query, no ORM on the hot path. SQLAlchemy + GeoAlchemy2 own the schema
and the bulk load, where their models and COPY access pay off.
"""

from __future__ import annotations

import contextlib
import logging
import time
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
    """A pool of read-only connections, each statement under a time limit.

    After a database restart every pooled connection is broken, and the service must answer
    again from the first request on (tests/test_outages.py). Two settings of psycopg_pool's
    defeated that; each is replaced here:

    * its check on checkout (`check=`) sleeps about 1 s after each broken connection it finds
      (its reconnection backoff), so with two or three broken connections in the pool the first
      request after a restart ran out of GEOSVC_POOL_TIMEOUT_S and got a 503. `cursor()` checks
      the connection itself: a broken one is discarded, and then every idle connection is
      checked at once (`pool.check()`; they were broken by the same restart), with no sleep;
    * its reconnection attempts back off exponentially (1, 2, 4… s) for `reconnect_timeout`
      (5 minutes by default), and a request waits for a pending attempt rather than starting
      one: after an outage of a few seconds the next attempt was further away than a request
      may wait, and requests got 503s for seconds, up to minutes, after the database was back.
      With `reconnect_timeout` = GEOSVC_POOL_TIMEOUT_S an attempt is retried at most once
      (about 1 s later) and then dropped, and the next waiting request starts a new one: the
      pool tries to connect again at most about 1 s after the database comes back.
    """

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
            # no `check=`: cursor() checks each connection it takes out (see above)
            reconnect_timeout=settings.pool_timeout_s,
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
            connection = self._checked_connection(time.monotonic() + self._timeout_s)
            try:
                # as pool.connection(): commit (or roll back) on the way out, then give it back
                with connection, connection.cursor(row_factory=dict_row) as cursor:
                    yield cursor
            finally:
                self.pool.putconn(connection)
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

    def _checked_connection(self, deadline: float) -> psycopg.Connection:
        """A working connection from the pool, or PoolTimeout at the deadline.

        A connection broken by a database restart is never handed out: it is given back (the
        pool closes it and connects a new one in the background), and, since a restart breaks
        them all, every other idle connection is checked right away the same way.
        """
        while True:
            # PoolTimeout when the deadline has passed, or when no connection comes before it
            connection = self.pool.getconn(timeout=deadline - time.monotonic())
            try:
                ConnectionPool.check_connection(connection)
            except psycopg.Error:
                log.info("discarding a broken database connection; checking the pool's idle ones")
                self.pool.putconn(connection)
                self.pool.check()
                continue
            except BaseException:
                self.pool.putconn(connection)
                raise
            return connection

    def close(self) -> None:
        self.pool.close()


def _configure(connection: psycopg.Connection) -> None:
    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    connection.read_only = True
