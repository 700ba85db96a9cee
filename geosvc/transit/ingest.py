"""The TER timetable's part of an ingestion: find and read the feed (before anything is written),
then, inside the load's transaction, route every commune and store the rows.

The feed is the one GTFS zip under `<data dir>/sources/gtfs/`, as SNCF publishes it: next year's
file replaces this one and `geosvc ingest` loads it. No feed is not an error (the France-wide
data has none): the answers then say that no travel time was computed. Several feeds are one, as
for the zones: keep the one to load.
"""

from __future__ import annotations

import dataclasses
import time
import zipfile
from pathlib import Path

from psycopg import Cursor
from psycopg.rows import dict_row
from tqdm import tqdm

from geosvc.db import transit as sql
from geosvc.ingest.problems import Report
from geosvc.transit import cache
from geosvc.transit.compute import route
from geosvc.transit.feed import DEFAULT_SERVICE_DATE, Timetable, attribution
from geosvc.transit.routing import Method, Router

FEED_GLOB = "sources/gtfs/*.zip"


@dataclasses.dataclass(frozen=True)
class TransitStats:
    rows: int  # stored in commune_transit
    routed: int  # journeys computed by this ingestion
    cached: int  # journeys read from the cache (the same origin, sites, mode, feed and method as before)
    seconds: float

    def line(self) -> str:
        return (f"TER travel times: {self.rows} rows ({self.routed} journeys routed, {self.cached} from the cache) "
                f"in {self.seconds:.1f} s")


@dataclasses.dataclass(frozen=True)
class TransitSource:
    file: str  # relative to the data directory, as the datasets table names files
    timetable: Timetable
    method: Method
    cache_dir: Path | None


def find_feed(data_dir: Path, report: Report) -> Path | None:
    found = sorted(data_dir.glob(FEED_GLOB))
    if not found:
        report.warn(FEED_GLOB, "", None, "absent: no TER timetable, answers carry no travel time")
        return None
    if len(found) > 1:
        names = ", ".join(path.name for path in found)
        report.error(FEED_GLOB, "", None, f"several timetables ({names}): keep the one to load")
        return None
    return found[0]


def read_feed(data_dir: Path, report: Report, cache_dir: Path | None,
              method: Method | None = None) -> TransitSource | None:
    """The feed's service day, read and checked before the load (an unreadable feed writes nothing)."""
    path = find_feed(data_dir, report)
    if path is None:
        return None
    name = str(path.relative_to(data_dir))
    try:
        timetable = cache.timetable(path, DEFAULT_SERVICE_DATE, cache_dir)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        report.error(name, "", None, f"not a readable GTFS feed: {type(exc).__name__}: {exc}")
        return None
    if not timetable.connections:
        report.error(name, "", None, f"no TER service in the region on {DEFAULT_SERVICE_DATE.isoformat()} "
                                     "(the service date must lie inside the feed's calendar_dates)")
        return None
    return TransitSource(name, timetable, method or Method(), cache_dir)


def precompute(cursor: Cursor, source: TransitSource) -> TransitStats:
    """Route every commune to its own and nearest sites, walk and bike; store rows and the run. Inside the load's
    transaction, after commune_own_sites and commune_nearest are written."""
    started = time.perf_counter()
    router = Router(source.timetable, source.method)
    store = cache.JourneyStore(source.cache_dir, source.timetable.cache_key, source.method)
    with cursor.connection.cursor(row_factory=dict_row) as reader:
        requests = sql.requests(reader)
    bar = tqdm(requests, desc="TER travel times", unit="commune-target", disable=None)
    count = sql.copy_rows(cursor, route(router, bar, store))
    store.save()
    seconds = round(time.perf_counter() - started, 3)
    timetable = source.timetable
    sql.insert_run(cursor, {
        "file": source.file, "sha256": timetable.sha256, "feed_version": timetable.feed_version,
        "service_date": timetable.service_date, "attribution": attribution(timetable.feed_version),
        "method": dataclasses.asdict(source.method), "stops": len(timetable.stops),
        "connections": len(timetable.connections), "seconds": seconds,
    })
    return TransitStats(count, store.added_total, store.hits, seconds)
