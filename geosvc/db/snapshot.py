"""In-memory answers of one running worker, rebuilt when an ingestion has replaced the data.

The data changes only when `geosvc ingest` runs, so a worker can hold what it derives
from it (the search index, the nearest-site table) and answer without a query. How it
learns of a new ingestion: at most every `refresh_interval_s`, one request reads the
data fingerprint (datasets.DATA_FINGERPRINT: a few rows of `datasets`, rewritten by every
ingestion in the same transaction as the data). When it differs from the one the value
was built from, the value is rebuilt from the same snapshot and swapped in; requests in
flight keep the old one. So an ingestion shows within `refresh_interval_s` plus one
rebuild, and the check costs one small query per worker per interval, not one per request.
If the database is unreachable at a check, the previous value keeps being served.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from psycopg import Cursor

from geosvc.core.errors import ServiceUnavailable
from geosvc.db import datasets
from geosvc.db.pool import ReadDatabase

log = logging.getLogger(__name__)

DEFAULT_REFRESH_INTERVAL_S = 5.0

T = TypeVar("T")


class RefreshingStore(Generic[T]):
    """Holds build(cursor) for the current data; `name` is for the logs."""

    def __init__(self, database: ReadDatabase, build: Callable[[Cursor], T], name: str,
                 refresh_interval_s: float = DEFAULT_REFRESH_INTERVAL_S, clock=time.monotonic):
        self._database = database
        self._build = build
        self.name = name
        self.refresh_interval_s = refresh_interval_s
        self.clock = clock
        self._value: T | None = None
        self._version: str | None = None
        self._next_check = 0.0
        # gunicorn's sync workers run one request at a time, but the development server
        # and threaded workers do not: only one thread rebuilds, the others wait for it.
        self._lock = threading.Lock()
        # read by readiness and metrics (geosvc/web/observability.py): counted, never acted on
        self.built_at: float | None = None  # wall clock (time.time()) of the last rebuild
        self.builds = 0  # rebuilds: the first build, then one per new ingestion seen
        self.failed_checks = 0  # checks that found the database unavailable

    def is_built(self) -> bool:
        """True once a value is held (it is then served, even while the database is down)."""
        return self._value is not None

    def peek(self) -> T | None:
        """The value held, without looking for a new ingestion nor building one."""
        return self._value

    def get(self) -> T:
        value = self._value
        if value is not None and self.clock() < self._next_check:
            return value
        with self._lock:
            if self._value is not None and self.clock() < self._next_check:
                return self._value
            # set before the check, so a database that does not answer is not asked
            # again by every request, each waiting for the pool's timeout
            self._next_check = self.clock() + self.refresh_interval_s
            try:
                self._refresh()
            except ServiceUnavailable:
                self.failed_checks += 1
                if self._value is None:
                    raise
                log.warning("%s not refreshed: database unavailable; serving the previous data", self.name)
            return self._value

    def expire(self) -> None:
        """Make the next request look for a new ingestion, whatever the interval."""
        self._next_check = 0.0

    def _refresh(self) -> None:
        # one repeatable-read transaction: the fingerprint describes exactly the rows read
        with self._database.cursor() as cursor:
            version = datasets.data_fingerprint(cursor)
            if self._value is not None and version == self._version:
                return
            started = time.perf_counter()
            value = self._build(cursor)
        self._value, self._version = value, version
        self.built_at, self.builds = time.time(), self.builds + 1
        log.info("%s built in %.2f s", self.name, time.perf_counter() - started)

