"""In-memory answers of one running worker, rebuilt when an ingestion has replaced the data.

The data changes only when `geosvc ingest` runs, so a worker can hold what it derives
from it (the search index, the nearest-site table) and answer without a query. How it
learns of a new ingestion: once `refresh_interval_s` has passed, the next request starts a
check in a background thread and is answered at once from the value held; the check reads
the data fingerprint (datasets.DATA_FINGERPRINT: a few rows of `datasets`, rewritten by every
ingestion in the same transaction as the data) and, when it differs from the one the value
was built from, rebuilds the value from the same snapshot and swaps it in. So an ingestion
shows within `refresh_interval_s` plus one rebuild, the check costs one small query per
worker per interval, and no request ever waits for it: a database that is down or slow only
means the previous value keeps being served (the first build, with nothing to serve yet,
is the one that a request waits for).
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
        self._check_now = False  # set by expire(): the next get() checks before answering
        self._checking = False  # a background check is running
        # the development server and threaded workers answer in several threads: only one
        # thread builds or checks at a time
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
        """The value held, at once; the first call builds it (503 if the database is down)."""
        value = self._value
        if value is None or self._check_now:
            return self._check_and_wait()
        if self.clock() >= self._next_check:
            self._check_in_background()
        return value

    def expire(self) -> None:
        """Make the next get() look for a new ingestion before it answers, whatever the interval."""
        self._check_now = True

    def _check_and_wait(self) -> T:
        with self._lock:
            if self._value is not None and not self._check_now:
                return self._value
            self._check_now = False
            self._next_check = self.clock() + self.refresh_interval_s
            try:
                self._refresh()
            except ServiceUnavailable:
                self.failed_checks += 1
                if self._value is None:
                    raise
                log.warning("%s not refreshed: database unavailable; serving the previous data", self.name)
            return self._value

    def _check_in_background(self) -> None:
        with self._lock:
            if self._checking or self.clock() < self._next_check:
                return
            self._checking = True
            # set before the check, so a database that does not answer is asked once per interval
            self._next_check = self.clock() + self.refresh_interval_s
        threading.Thread(target=self._background_check, name=f"refresh {self.name}", daemon=True).start()

    def _background_check(self) -> None:
        try:
            self._refresh()
        except ServiceUnavailable:
            self.failed_checks += 1
            log.warning("%s not refreshed: database unavailable; serving the previous data", self.name)
        except Exception:  # a bug must not kill the worker's refreshes: logged, tried next interval
            self.failed_checks += 1
            log.exception("%s not refreshed", self.name)
        finally:
            self._checking = False

    def wait_for_check(self, timeout_s: float = 10.0) -> None:
        """Wait until no background check is running (tests, and a clean shutdown)."""
        deadline = time.monotonic() + timeout_s
        while self._checking and time.monotonic() < deadline:
            time.sleep(0.01)

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

