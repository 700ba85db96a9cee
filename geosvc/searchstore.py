"""The search index of one running worker, rebuilt when an ingestion has replaced the data.

Each worker process builds its own `geosvc.search.Index` from the database on its first
search (about 0.3 s), then answers from memory. How it learns of a new ingestion: at
most every `refresh_interval_s`, one search request reads a fingerprint of the
`datasets` table (a few rows: name, sha256 and loaded_at per file, all rewritten by
every ingestion in the same transaction as the data). When it differs from the one
the index was built from, the index is rebuilt from the same snapshot and swapped in;
requests in flight keep the old one. So an ingestion shows in searches within
`refresh_interval_s` plus one rebuild, and the check costs one small query per worker
per interval, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time

from geosvc import queries
from geosvc.db import ReadDatabase
from geosvc.errors import ServiceUnavailable
from geosvc.search import Index

log = logging.getLogger(__name__)

DEFAULT_REFRESH_INTERVAL_S = 5.0


class SearchStore:
    def __init__(self, database: ReadDatabase, refresh_interval_s: float = DEFAULT_REFRESH_INTERVAL_S,
                 clock=time.monotonic):
        self._database = database
        self.refresh_interval_s = refresh_interval_s
        self.clock = clock
        self._index: Index | None = None
        self._next_check = 0.0
        # gunicorn's sync workers run one request at a time, but the development server
        # and threaded workers do not: only one thread rebuilds, the others wait for it.
        self._lock = threading.Lock()

    def index(self) -> Index:
        index = self._index
        if index is not None and self.clock() < self._next_check:
            return index
        with self._lock:
            if self._index is not None and self.clock() < self._next_check:
                return self._index
            # set before the check, so a database that does not answer is not asked
            # again by every request, each waiting for the pool's timeout
            self._next_check = self.clock() + self.refresh_interval_s
            try:
                self._index = self._refreshed(self._index)
            except ServiceUnavailable:
                if self._index is None:
                    raise
                log.warning("search index not refreshed: database unavailable; serving the previous data")
            return self._index

    def expire(self) -> None:
        """Make the next search look for a new ingestion, whatever the interval."""
        self._next_check = 0.0

    def _refreshed(self, index: Index | None) -> Index:
        # one repeatable-read transaction: the fingerprint describes exactly the rows read
        with self._database.cursor() as cursor:
            fingerprint = queries.search_index_fingerprint(cursor)
            if index is not None and index.version == fingerprint:
                return index
            started = time.perf_counter()
            index = Index(
                queries.search_index_communes(cursor), queries.search_index_former(cursor),
                version=fingerprint, data=queries.data_vintage(cursor),
            )
        log.info("search index built: %d communes in %.2f s", len(index.communes), time.perf_counter() - started)
        return index
