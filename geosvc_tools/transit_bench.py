"""The TER travel times' cost at ingestion (issue 16): the full computation, no cache, against the target.

Issue 16's target: every commune × both targets (own mission locale, nearest site) × both modes (walk,
bike) routed at ingestion in ≤ 60 s. Measured here, in one run, on a scratch database:

* the timetable's day read from the zip (partridge), cold;
* two whole ingestions of the project's data with no cache (GEOSVC_CACHE_DIR unused): one with the
  feed, one with a copy of the data without it — the baseline, measured in the same run, so that the
  figure is a ratio that does not depend on the machine's speed;
* the routing alone, as the ingestion reports it (all requests × 2 modes, journeys shared between
  own and nearest computed once).

Output: the figures and `PASS`/`MISS` against the 60 s target.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from geosvc.config import Settings
from geosvc.db.pool import make_engine
from geosvc.ingest.pipeline import ingest
from geosvc.transit.feed import DEFAULT_SERVICE_DATE, load_timetable
from geosvc.transit.ingest import FEED_GLOB
from geosvc_tools.bench import scratch_database

TARGET_S = 60.0


def _ingest(url: str, data_dir: Path, settings: Settings):
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        summary = ingest(engine, data_dir, max_offset_km=settings.max_site_offset_km, cache_dir=None)
        return summary, time.perf_counter() - started
    finally:
        engine.dispose()


def measure(settings: Settings, data_dir: Path) -> list[str]:
    feed = next(data_dir.glob(FEED_GLOB))
    started = time.perf_counter()
    timetable = load_timetable(feed, DEFAULT_SERVICE_DATE)
    read_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp, scratch_database(settings, "transit") as scratch:
        without = Path(tmp) / "data"
        shutil.copytree(data_dir, without, ignore=shutil.ignore_patterns("gtfs"))
        _, baseline_s = _ingest(scratch.owner_url, without, settings)
        summary, with_s = _ingest(scratch.owner_url, data_dir, settings)
    stats = summary.transit
    total_s = read_s + stats.seconds
    return [
        f"timetable: {feed.name}, {len(timetable.connections)} connections, {len(timetable.stops)} stops "
        f"on {DEFAULT_SERVICE_DATE.isoformat()}",
        f"read the day (partridge, cold): {read_s:.1f} s",
        f"routing at ingestion: {stats.rows} rows, {stats.routed} journeys routed "
        f"({stats.cached} shared between own and nearest) in {stats.seconds:.1f} s",
        f"ingestion without the feed (baseline, same run): {baseline_s:.1f} s; with it: {with_s:.1f} s; "
        f"ratio {with_s / baseline_s:.2f}",
        f"TER part (read + routing): {total_s:.1f} s = {total_s / TARGET_S:.2f} of the {TARGET_S:.0f} s target: "
        f"{'PASS' if total_s <= TARGET_S else 'MISS'}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench_transit.py", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="default: GEOSVC_DATA_DIR or data/")
    options = parser.parse_args(argv)
    settings = Settings.from_env()
    for line in measure(settings, options.data_dir or settings.data_dir):
        print(line)
    return 0
