"""What is derived from a TER timetable, kept on disk and keyed by the feed's SHA-256.

Reading the feed with partridge takes about 3 s and routing every commune several more; the test
suite ingests the same data many times, and a production ingestion usually changes the sites, not
the timetable. Two kinds of entries, each in one pickle file under `<cache dir>/transit/`:

* the day's `Timetable`, keyed by `Timetable.cache_key` (feed hash, service date, box, margin);
* the journeys already computed, keyed by that key and the `Method`: per (mode, origin, target
  coordinates) the `Journey` or None. A changed site or commune point is a new key, computed anew;
  nothing is ever answered from an entry of another feed or method.

Files are written whole to a temporary name and renamed (atomic on POSIX), so a killed ingestion
leaves either the previous file or the new one. They are our own pickles in our own cache
directory (GEOSVC_CACHE_DIR): a file there that cannot be read is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from geosvc.transit.feed import DEFAULT_MARGIN_KM, REGION_BBOX, Timetable, feed_sha256, load_timetable

FORMAT = 2  # bump when Timetable, Journey or the key's contents change shape


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr((FORMAT, *parts)).encode()).hexdigest()[:32]


def _read(path: Path):
    try:
        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 - our own file in our own cache directory
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return None


def _write(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def timetable(path: Path, service_date: dt.date, cache_dir: Path | None,
              bbox=REGION_BBOX, margin_km: float = DEFAULT_MARGIN_KM) -> Timetable:
    """The feed's day, from the cache when this very file (by hash) was read before with the same options."""
    if cache_dir is None:
        return load_timetable(path, service_date, bbox, margin_km)
    key = _digest(feed_sha256(path), service_date.isoformat(), tuple(bbox), margin_km)
    entry = cache_dir / "transit" / f"timetable-{key}.pickle"
    cached = _read(entry)
    if isinstance(cached, Timetable):
        return cached
    loaded = load_timetable(path, service_date, bbox, margin_km)
    _write(entry, loaded)
    return loaded


class JourneyStore:
    """The journeys computed for one timetable and method: a dict loaded once and saved when it grew."""

    def __init__(self, cache_dir: Path | None, timetable_key: str, method: object):
        name = f"journeys-{_digest(timetable_key, method)}.pickle"
        self.path = None if cache_dir is None else cache_dir / "transit" / name
        found = _read(self.path) if self.path is not None else None
        self.entries: dict = found if isinstance(found, dict) else {}
        self.added = 0  # since the last save
        self.added_total = 0
        self.hits = 0

    def get(self, key):
        """(True, journey-or-None) when known, (False, None) otherwise."""
        if key in self.entries:
            self.hits += 1
            return True, self.entries[key]
        return False, None

    def put(self, key, journey) -> None:
        self.entries[key] = journey
        self.added += 1
        self.added_total += 1

    def save(self) -> None:
        if self.path is not None and self.added:
            _write(self.path, self.entries)
            self.added = 0
