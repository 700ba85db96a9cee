"""Encoded department feeds of one worker, kept until an ingestion replaces the data.

A department feed costs one set-based query (about 60 ms for the Pas-de-Calais, 887
communes) and 200 KB of JSON; during a campaign the same six documents are asked for again
and again, mostly as revalidations. Each request reads the data fingerprint (a few rows of
`datasets`, rewritten by every ingestion in its transaction) in its own snapshot: while it
is unchanged the stored bytes and ETag are served, so a 304 or a 200 costs one small query;
the first request after an ingestion rebuilds the document from the same snapshot it read
the fingerprint in. Only documents that exist are stored (a 404 raises before), so the
store holds at most one entry per department plus the list: its size is bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from psycopg import Cursor

from geosvc import queries
from geosvc.campaign import feeds
from geosvc.httpcache import Representation


class FeedStore:
    def __init__(self) -> None:
        self._fingerprint: str | None = None
        self._entries: dict[Hashable, Representation] = {}
        # threaded servers (the development server, the browser tests) share one store
        self._lock = threading.Lock()

    def get(self, cursor: Cursor, key: Hashable, build: Callable[[Cursor], dict]) -> Representation:
        fingerprint = queries.data_fingerprint(cursor)
        with self._lock:
            if fingerprint != self._fingerprint:
                self._fingerprint, self._entries = fingerprint, {}
            found = self._entries.get(key)
        if found is not None:
            return found
        representation = Representation.of(feeds.encode(build(cursor)))
        with self._lock:
            # a request on an older snapshot must not store its document as current
            if fingerprint == self._fingerprint:
                self._entries[key] = representation
        return representation
