"""A small in-process cache of answers that only change when the data does.

Dissolving the catchments takes most of a second; their answer depends only on the loaded
data. So does the current network's coverage with each commune's own sites and the zones'
areas (geosvc/web/api/coverage.py `_current`), which every coverage answer starts from.
Keyed by the data version (every dataset's sha256 and load time, read in the same
transaction as the data: geosvc.db.datasets.data_fingerprint), so a new ingestion is never
answered from an old entry.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Hashable


class AnswerCache:
    """Least-recently-used answers, at most `size` of them; safe across a server's threads."""

    def __init__(self, size: int = 8):
        self._size = size
        self._entries: collections.OrderedDict[Hashable, object] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()  # outside the lock: a slow computation does not block hits
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value
