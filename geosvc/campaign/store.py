"""Encoded department feeds of one worker, kept until an ingestion replaces the data.

A department feed costs one set-based query (about 60 ms for the Pas-de-Calais, 887
communes) and 200 KB of JSON; during a campaign the same six documents are asked for again
and again, mostly as revalidations. They are stored, with their ETag, in a FeedCache per
data version; the RefreshingStore that hands out the cache looks at the data fingerprint
at most every GEOSVC_REFRESH_INTERVAL_S, so a stored 200 or a 304 costs no query. Only
documents that exist are stored (a 404 raises before), so a cache holds at most one entry
per department plus the list: its size is bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from psycopg import Cursor

from geosvc.campaign import feeds
from geosvc.core.representation import Representation
from geosvc.db.pool import ReadDatabase

DEPARTEMENTS = "departements"


def communes_of(departement: str) -> tuple[str, str]:
    """The key of a department's commune feed."""
    return ("communes", departement)


class FeedCache:
    """The encoded feeds of one data version.

    A RefreshingStore (geosvc/db/snapshot.py) builds a new cache, with the department list
    and every department's feed already encoded, when an ingestion changes the data
    fingerprint: a stored feed, and so a 304, costs no database round trip at all, and the
    feeds keep being served while the database is away. Other keys are filled on demand.
    """

    def __init__(self, database: ReadDatabase) -> None:
        self._database = database
        self._entries: dict[Hashable, Representation] = {}
        # threaded servers (the development server, the browser tests) share one cache
        self._lock = threading.Lock()

    @classmethod
    def built(cls, database: ReadDatabase, cursor: Cursor) -> FeedCache:
        """A cache holding every department feed of the snapshot `cursor` sees."""
        cache = cls(database)
        listing = feeds.departements(cursor)
        cache._entries[DEPARTEMENTS] = Representation.of(feeds.encode(listing))
        for departement in listing["departements"]:
            code = departement["code"]
            feed = feeds.departement_communes(cursor, code)
            cache._entries[communes_of(code)] = Representation.of(feeds.encode(feed))
        return cache

    def get(self, key: Hashable, build: Callable[[Cursor], dict]) -> Representation:
        found = self._entries.get(key)
        if found is not None:
            return found
        with self._database.cursor() as cursor:
            representation = Representation.of(feeds.encode(build(cursor)))
        with self._lock:
            return self._entries.setdefault(key, representation)
