"""The database away: latency of every public read while PostgreSQL is stopped.

A private PostgreSQL instance (geosvc/ops/pginstance.py, so the shared server is never
stopped) is provisioned and loaded with the project's data; the app runs under gunicorn
against it, every worker warms up, then the instance is stopped and wrk loads each public
read (and the constant baseline) in turn. Target: p99 <= 50 ms and no errors (non-2xx) while
the database is away, as with it; the same run with the database up is printed beside it.

    .venv/bin/python scripts/bench_away.py [--duration 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import make_url

from geosvc.config import Settings
from geosvc.ops.dbsetup import provision
from geosvc.ops.pginstance import PgInstance
from geosvc_tools.bench import (
    BASELINE,
    Endpoint,
    Options,
    catalogue,
    endpoints,
    free_port,
    gunicorn,
    prime,
    run_wrk,
    summarise,
    time_ingestion,
)

TARGET_P99_MS = 50.0
PUBLIC = ("nearest", "own-ml", "search", "autocomplete", "dept-feed", "point")


def public_endpoints(reader_url: str) -> list[Endpoint]:
    found = [e for e in endpoints(catalogue(reader_url)) if e.name in (BASELINE, *PUBLIC)]
    sample = found[1].paths  # the nearest endpoint's commune sample
    codes = [path.split("/")[2] for path in sample]
    found.append(Endpoint("commune", [f"/communes/{code}" for code in codes]))
    found.append(Endpoint("sites", ["/missions"]))
    return found


def load(base_url: str, selected: list[Endpoint], options: Options) -> list[list]:
    rounds = []
    for _ in range(options.rounds):
        rounds.append([run_wrk(base_url, endpoint, duration_s=options.duration_s, connections=options.connections,
                               threads=options.threads) for endpoint in selected])
    return rounds


def table(title: str, rounds: list[list]) -> tuple[list[str], list[str]]:
    lines = [title, f"{'endpoint':<14}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'worst p99':>11}{'errors':>8}"]
    missed = []
    for summary in summarise(rounds):
        lines.append(f"{summary.name:<14}{summary.throughput:>8.0f}{summary.p50_ms:>9.2f}{summary.p99_ms:>9.2f}"
                     f"{summary.worst_p99_ms:>11.2f}{summary.errors:>8}")
        if summary.name != BASELINE and (summary.p99_ms > TARGET_P99_MS or summary.errors):
            missed.append(f"{title} {summary.name}: p99 {summary.p99_ms:.1f} ms, {summary.errors} errors")
    return lines, missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load per endpoint and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    instance = PgInstance.create(free_port())
    instance.start()
    try:
        owner = make_url(settings.database_url).set(host="127.0.0.1", port=instance.port, database="geosvc")
        reader = make_url(settings.read_database_url).set(host="127.0.0.1", port=instance.port, database="geosvc")
        owner_url, reader_url = (url.render_as_string(hide_password=False) for url in (owner, reader))
        provision(owner_url, reader_url, say=lambda _line: None)
        time_ingestion(owner_url, settings.data_dir)
        selected = public_endpoints(reader_url)
        options = Options(owner_url, reader_url, workers=args.workers, duration_s=args.duration, rounds=args.rounds)
        with gunicorn(owner_url, args.workers, reader_url) as server:
            prime(server.url, selected, options)
            for endpoint in selected:  # every worker builds its answers: not what is measured
                run_wrk(server.url, endpoint, duration_s=1.0, connections=options.connections, threads=1)
            up_lines, _ = table("database up", load(server.url, selected, options))
            instance.stop()
            time.sleep(1.0)
            away_lines, missed = table("database away", load(server.url, selected, options))
    finally:
        instance.destroy()
    print(f"geosvc with the database away, {time.strftime('%Y-%m-%d %H:%M')}; gunicorn {args.workers} sync workers, "
          f"wrk 1 thread x 16 connections, {args.rounds} rounds of {args.duration:g} s, medians; "
          f"target p99 <= {TARGET_P99_MS:g} ms and no errors with the database away")
    print("\n".join(up_lines + [""] + away_lines))
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
