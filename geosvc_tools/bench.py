"""Benchmark and soak: the app under gunicorn on loopback, loaded by wrk.

One command, `scripts/bench.py` (or `geosvc bench`), measures the service on real data, in
scratch databases cloned from the `geosvc_template` template database and dropped after:

* the ingestion of the data (the `geosvc ingest` command as a subprocess: wall time and
  peak RSS);
* the whole coverage (geosvc/coverage/bench.py: the PostGIS statement, the indicators, and
  a brute-force Python computation checked against it);
* each endpoint under wrk: throughput, p50 and p99, and their ratios to `GET /bench/constant`
  (geosvc/web/api/bench.py) measured under the same server, on the same machine, in the same
  run. The ratio is what carries from one machine to another: the share of the framework's
  speed that an endpoint keeps after its own work.

`--france [PATH]` does all of it again on the France-wide data (read in place) and prints
both side by side; `--synthetic-sites N` adds a run on the region with N clearly synthetic
sites (seeded) to show how the coverage and its brute force grow with the number of sites;
`--soak [SECONDS]` instead mixes every endpoint in one URL list at 16 connections for 60 s and
prints the errors and the service's memory (RSS of gunicorn's master and workers) at start
and end.

Each endpoint is a list of URLs built from the data (a seeded sample of commune codes and
reference points, every department, the relevance set's queries and keystrokes) that a wrk
Lua script cycles through. Rounds interleave the endpoints and ratios are taken within each
round, so a neighbour's load on a shared machine slows the baseline and the endpoints alike.

Safety: the server binds 127.0.0.1 only, on a free port, and wrk only targets it; every load
run is bounded in time, and the server and the scratch databases are removed whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from statistics import median

import psycopg
from psycopg import sql as pgsql
from sqlalchemy import make_url

from geosvc.config import PROJECT_ROOT, Settings
from geosvc.db.pool import libpq_url
from geosvc.ops.dbsetup import TEMPLATE_DATABASE  # PostGIS, and the reader's default privileges
from geosvc_tools import coverage_bench
from geosvc_tools.relevance import RELEVANCE_SET, load_cases

HOST = "127.0.0.1"  # loopback only: the benchmark never sends traffic elsewhere
BASELINE = "constant"
RESULT_MARK = "GEOSVC_BENCH_RESULT "
FRANCE_DIR = PROJECT_ROOT.parent / "shared" / "data" / "france"
SCRATCH_PREFIX = "geosvc_bench_"
SEED = 2026
SAMPLE = 2000  # commune codes and points per endpoint (all of them when fewer)
SETTLE_S = 0.5  # idle time before each timed run (see settle)
PRIME_ALL_UP_TO = 200  # URL lists this short are asked in full before the timed runs (see prime)
SOAK_SECONDS = 60.0
SOAK_WARMUP_S = 10.0  # every worker fills its caches (search index, feeds, nearest table) before the first reading
SOAK_SAMPLE_EVERY_S = 5.0
SOAK_MAX_GROWTH = 0.10  # memory growth under 10 %
MB = 1024 * 1024

# wrk runs the script in each of its threads; each cycles through the whole list.
# done() runs once, after the run, with the merged statistics (latencies in µs).
LUA_TEMPLATE = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "bytes": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "connect_errors": %%d, "read_errors": %%d, "write_errors": %%d, ' ..
    '"status_errors": %%d, "timeouts": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


# --- endpoints and their URLs ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    paths: list[str]
    min_throughput_ratio: float | None = None  # target: at least this share of the baseline's req/s
    max_p99_ratio: float | None = None  # target: p99 at most this multiple of the baseline's p99
    max_p99_ms: float | None = None  # target: 99th percentile latency


@dataclasses.dataclass(frozen=True)
class Catalogue:
    """What the URLs are built from: the communes of the database the service reads."""

    codes: list[str]
    departements: list[str]
    points: list[tuple[float, float]]  # reference points (ST_PointOnSurface), lon, lat


def catalogue(database_url: str) -> Catalogue:
    with psycopg.connect(libpq_url(database_url)) as connection:
        rows = connection.execute(
            "SELECT code, departement, ST_X(point::geometry), ST_Y(point::geometry) FROM communes ORDER BY code"
        ).fetchall()
    return Catalogue(
        codes=[row[0] for row in rows], departements=sorted({row[1] for row in rows}),
        points=[(round(row[2], 6), round(row[3], 6)) for row in rows],
    )


def endpoints(data: Catalogue, cases_path: Path = RELEVANCE_SET) -> list[Endpoint]:
    """The constant baseline first, then every endpoint with its targets.

    Search and autocomplete take the relevance set's queries (names, typos, postcodes, former
    names as people type them; autocomplete every keystroke from the 2nd character); the
    others a seeded sample of the data's communes, or every department.
    """
    queries = [case.query for case in load_cases(cases_path)]
    keystrokes = list(dict.fromkeys(query[:n] for query in queries for n in range(2, len(query) + 1)))
    codes = random.Random(SEED).sample(data.codes, min(SAMPLE, len(data.codes)))
    points = random.Random(SEED + 1).sample(data.points, min(SAMPLE, len(data.points)))
    return [
        Endpoint(BASELINE, ["/bench/constant"]),
        Endpoint("nearest", [_url(f"/communes/{code}/nearest", k=3) for code in codes],
                 min_throughput_ratio=0.85, max_p99_ratio=1.5),
        Endpoint("own-ml", [_url(f"/communes/{code}/mission-locale", k=3) for code in codes],
                 min_throughput_ratio=0.85),
        Endpoint("search", [_url("/communes", q=q) for q in queries]),
        Endpoint("autocomplete", [_url("/communes/autocomplete", q=q) for q in keystrokes],
                 min_throughput_ratio=0.6, max_p99_ms=20.0),
        # no If-None-Match: a full 200 with the whole body every time (no Accept-Encoding either)
        Endpoint("dept-feed", [f"/departements/{code}/communes" for code in data.departements],
                 min_throughput_ratio=0.5),
        Endpoint("point", [_url("/nearest", lon=lon, lat=lat) for lon, lat in points]),
    ]


ENDPOINT_NAMES = [BASELINE, "nearest", "own-ml", "search", "autocomplete", "dept-feed", "point"]
WHAT = {
    BASELINE: "GET /bench/constant",
    "nearest": "GET /communes/{code}/nearest?k=3",
    "own-ml": "GET /communes/{code}/mission-locale?k=3",
    "search": "GET /communes?q=",
    "autocomplete": "GET /communes/autocomplete?q=",
    "dept-feed": "GET /departements/{code}/communes (no If-None-Match)",
    "point": "GET /nearest?lon=&lat=",
}


def _url(path: str, **params) -> str:
    return f"{path}?{urllib.parse.urlencode(params)}"


def interleave(lists: list[list[str]]) -> list[str]:
    """One list where each input list has the same share: a, b, c, a, b, c... (shorter ones wrap)."""
    longest = max(len(paths) for paths in lists)
    return [paths[i % len(paths)] for i in range(longest) for paths in lists]


# --- the server and the load generator ---------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors, timeouts and non-2xx/3xx answers
    status_errors: int = 0  # answers with a status of 400 or more
    socket_errors: int = 0  # connect, read and write errors
    timeouts: int = 0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclasses.dataclass(frozen=True)
class Options:
    database_url: str
    read_database_url: str | None = None  # None: the server reads through database_url
    workers: int = 2
    connections: int = 16
    # One wrk thread drives 16 connections at these rates; a second one would compete with
    # the server's workers for a 2-core machine and inflate every latency.
    threads: int = 1
    duration_s: float = 2.0  # per endpoint and round: 10 s per endpoint in all
    rounds: int = 5
    warmup_s: float = 1.0


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    pid: int  # gunicorn's master


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int, read_database_url: str | None = None,
             startup_timeout_s: float = 120.0) -> Iterator[Server]:
    """The app under gunicorn (sync workers, as `geosvc serve`) on a free loopback port."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"{HOST}:{port}",
        "--log-level", "warning", "geosvc.web:create_app()",
    ]
    env = dict(os.environ, GEOSVC_DATABASE_URL=database_url, GEOSVC_LOG_LEVEL="WARNING", GEOSVC_BENCH_ENDPOINTS="1")
    env.pop("GEOSVC_READ_DATABASE_URL", None)
    if read_database_url:
        env["GEOSVC_READ_DATABASE_URL"] = read_database_url
    server = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    try:
        _wait_until_healthy(base_url, server, startup_timeout_s)
        yield Server(base_url, server.pid)
    finally:
        server.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown of its workers
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_healthy(base_url: str, server: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode} before answering /health")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base_url}/health did not answer 200 within {timeout_s:.0f} s")
        time.sleep(0.2)


def lua_script(paths: list[str]) -> str:
    for path in paths:
        # URL-encoded paths are plain ASCII without quotes: safe inside a Lua string
        if not path.isascii() or '"' in path or "\\" in path or not path.startswith("/"):
            raise ValueError(f"not a URL-encoded path: {path!r}")
    quoted = ", ".join(f'"{path}"' for path in paths)
    return LUA_TEMPLATE % {"paths": quoted, "mark": RESULT_MARK}


def parse_wrk_output(name: str, output: str) -> Result:
    line = next((line for line in output.splitlines() if line.startswith(RESULT_MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {name}:\n{output[-2000:]}")
    raw = json.loads(line[len(RESULT_MARK):])
    sockets = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
    return Result(
        name=name, requests=raw["requests"], seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000, p90_ms=raw["p90_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000, errors=sockets + raw["status_errors"] + raw["timeouts"],
        status_errors=raw["status_errors"], socket_errors=sockets, timeouts=raw["timeouts"],
    )


def _wrk_command(base_url: str, script: str, *, duration_s: float, connections: int, threads: int) -> list[str]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian package `wrk`; scripts/setup.sh installs it)")
    if not base_url.startswith(f"http://{HOST}:"):
        raise ValueError(f"refusing to load anything but {HOST}: {base_url}")
    return [
        wrk, "--threads", str(threads), "--connections", str(connections),
        "--duration", f"{max(1, round(duration_s))}s", "--timeout", "5s", "--script", script, base_url,
    ]


def run_wrk(base_url: str, endpoint: Endpoint, *, duration_s: float, connections: int, threads: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="ascii") as script:
        script.write(lua_script(endpoint.paths))
        script.flush()
        command = _wrk_command(base_url, script.name, duration_s=duration_s, connections=connections,
                               threads=threads)
        finished = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr.strip()[-2000:]}")
    return parse_wrk_output(endpoint.name, finished.stdout)


def run(options: Options, selected: list[Endpoint]) -> list[list[Result]]:
    """Start the server once, load each endpoint in turn, `rounds` times, then stop the server.

    Rounds interleave the endpoints, so that a neighbour's load on a shared machine
    slows the baseline and the endpoints alike; each round's ratios are computed
    within the round, and the report takes their median.
    """
    rounds = []
    with gunicorn(options.database_url, options.workers, options.read_database_url) as server:
        prime(server.url, selected, options)
        if options.warmup_s:
            # every worker builds its search index, feeds... on first use: not what we measure
            for endpoint in selected:
                run_wrk(server.url, endpoint, duration_s=options.warmup_s, connections=options.connections,
                        threads=options.threads)
        for _ in range(options.rounds):
            results = []
            for endpoint in selected:
                settle(server.url)
                results.append(run_wrk(server.url, endpoint, duration_s=options.duration_s,
                                       connections=options.connections, threads=options.threads))
            rounds.append(results)
    return rounds


def settle(base_url: str) -> None:
    """Wait until the requests a previous load left queued are served, so that no run pays
    for the one before it (after the slowest endpoint, the queue takes ~0.1 s to drain)."""
    time.sleep(SETTLE_S)
    with urllib.request.urlopen(f"{base_url}/bench/constant", timeout=30) as response:  # noqa: S310 - loopback
        response.read()  # answered after whatever was queued before it


def prime(base_url: str, selected: list[Endpoint], options: Options, timeout_s: float = 120.0) -> None:
    """Have every worker build what it keeps in memory before anything is timed.

    A worker builds its search index, its nearest table, each department's feed... on the
    first request that needs it; with France's data some take seconds, longer than a warm-up.
    Short URL lists (the departments) are asked in full, long ones by their first URL, each
    4 x workers times over `connections` concurrent connections, so that every worker gets
    them (gunicorn hands a request to whichever worker accepts first). Statuses are not
    checked here: the timed runs count errors.
    """
    from concurrent.futures import ThreadPoolExecutor

    paths = [path for e in selected for path in (e.paths if len(e.paths) <= PRIME_ALL_UP_TO else e.paths[:1])]

    def fetch(path: str) -> None:
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError), \
                urllib.request.urlopen(base_url + path, timeout=timeout_s) as response:  # noqa: S310 - loopback
            response.read()

    with ThreadPoolExecutor(max_workers=options.connections) as pool:
        list(pool.map(fetch, paths * (4 * options.workers)))


# --- summaries and targets ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Summary:
    """One endpoint over all rounds: medians, and the ratios to the baseline of the same round."""

    name: str
    throughput: float
    p50_ms: float
    p99_ms: float
    worst_p99_ms: float
    throughput_ratio: float | None
    p50_ratio: float | None
    p99_ratio: float | None
    requests: int
    errors: int


def summarise(rounds: list[list[Result]]) -> list[Summary]:
    summaries = []
    for position, name in enumerate(result.name for result in rounds[0]):
        results = [round_[position] for round_ in rounds]
        bases = [next((r for r in round_ if r.name == BASELINE), None) for round_ in rounds]

        def ratio(attribute: str, results=results, bases=bases) -> float | None:
            if any(base is None or not getattr(base, attribute) for base in bases):
                return None
            return median(getattr(r, attribute) / getattr(b, attribute) for r, b in zip(results, bases, strict=True))

        summaries.append(Summary(
            name=name, throughput=median(r.throughput for r in results), p50_ms=median(r.p50_ms for r in results),
            p99_ms=median(r.p99_ms for r in results), worst_p99_ms=max(r.p99_ms for r in results),
            throughput_ratio=ratio("throughput"), p50_ratio=ratio("p50_ms"), p99_ratio=ratio("p99_ms"),
            requests=sum(r.requests for r in results), errors=sum(r.errors for r in results),
        ))
    return summaries


def report(summaries: list[Summary], selected: list[Endpoint], options: Options) -> tuple[list[str], list[str]]:
    """(table lines, missed targets)."""
    lines = [
        f"{'endpoint':<14} {'req/s':>8} {'x const':>8} {'p50 ms':>8} {'x const':>8} "
        f"{'p99 ms':>8} {'x const':>8} {'worst p99':>10} {'urls':>6} {'errors':>7}",
    ]
    urls = {endpoint.name: len(endpoint.paths) for endpoint in selected}
    for s in summaries:
        lines.append(
            f"{s.name:<14} {s.throughput:>8.0f} {_shown(s.throughput_ratio)} {s.p50_ms:>8.2f} {_shown(s.p50_ratio)} "
            f"{s.p99_ms:>8.2f} {_shown(s.p99_ratio)} {s.worst_p99_ms:>10.2f} {urls[s.name]:>6} {s.errors:>7}"
        )
    missed = []
    by_name = {s.name: s for s in summaries}
    for endpoint in selected:
        summary = by_name[endpoint.name]
        if summary.errors:
            missed.append(f"{endpoint.name}: {summary.errors} errors or non-2xx answers")
        if endpoint.min_throughput_ratio is not None and summary.throughput_ratio is not None:
            ok = summary.throughput_ratio >= endpoint.min_throughput_ratio
            lines.append(f"target {endpoint.name} throughput >= {endpoint.min_throughput_ratio:.2f} x {BASELINE}: "
                         f"{summary.throughput_ratio:.2f} {_verdict(ok)}")
            if not ok:
                missed.append(f"{endpoint.name} throughput {summary.throughput_ratio:.2f} x {BASELINE}")
        if endpoint.max_p99_ratio is not None and summary.p99_ratio is not None:
            ok = summary.p99_ratio <= endpoint.max_p99_ratio
            lines.append(f"target {endpoint.name} p99 <= {endpoint.max_p99_ratio:g} x {BASELINE}'s p99: "
                         f"{summary.p99_ratio:.2f} {_verdict(ok)}")
            if not ok:
                missed.append(f"{endpoint.name} p99 {summary.p99_ratio:.2f} x {BASELINE}")
        if endpoint.max_p99_ms is not None:
            ok = summary.p99_ms <= endpoint.max_p99_ms
            lines.append(f"target {endpoint.name} p99 <= {endpoint.max_p99_ms:g} ms at {options.connections} "
                         f"connections: {summary.p99_ms:.2f} ms (worst round {summary.worst_p99_ms:.2f}) "
                         f"{_verdict(ok)}")
            if not ok:
                missed.append(f"{endpoint.name} p99 {summary.p99_ms:.2f} ms")
    return lines, missed


def _shown(value: float | None) -> str:
    return f"{value:>8.2f}" if value is not None else f"{'-':>8}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


# --- scratch databases and ingestion -----------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Scratch:
    name: str
    owner_url: str  # the owning role: ingestion writes through it
    reader_url: str  # the read-only role: the service reads through it


@contextlib.contextmanager
def scratch_database(settings: Settings, label: str) -> Iterator[Scratch]:
    """A database of its own, cloned from the template as the owning role; dropped after."""
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{label}"
    owner = make_url(settings.database_url)
    reader = make_url(settings.read_database_url)
    with _admin(settings) as admin:
        _drop(admin, name)
        for attempt in range(10):
            try:
                admin.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    pgsql.Identifier(name), pgsql.Identifier(TEMPLATE_DATABASE)))
                break
            except psycopg.errors.ObjectInUse:
                # someone is connected to the template right now (another session's setup)
                if attempt == 9:
                    raise
                time.sleep(1)
    try:
        yield Scratch(
            name=name,
            owner_url=owner.set(database=name).render_as_string(hide_password=False),
            reader_url=reader.set(database=name).render_as_string(hide_password=False),
        )
    finally:
        with _admin(settings) as admin:
            _drop(admin, name)


def drop_stale_scratch_databases(settings: Settings) -> list[str]:
    """Scratch databases of benchmark runs that died before cleaning up (their process is gone)."""
    dropped = []
    with _admin(settings) as admin:
        names = [row[0] for row in admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND pg_get_userbyid(datdba) = current_user",
            (SCRATCH_PREFIX.replace("_", r"\_") + "%",),
        )]
        for name in names:
            found = re.match(rf"{SCRATCH_PREFIX}(\d+)_", name)
            if found and not Path(f"/proc/{found.group(1)}").exists():
                _drop(admin, name)
                dropped.append(name)
    return dropped


@contextlib.contextmanager
def _admin(settings: Settings) -> Iterator[psycopg.Connection]:
    url = make_url(settings.database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=5) as connection:
        yield connection


def _drop(admin: psycopg.Connection, name: str) -> None:
    # only our own role's sessions (autovacuum runs as a superuser; DROP DATABASE stops it itself)
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                  "AND usename = current_user AND pid <> pg_backend_pid()", (name,))
    admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(name)))


@dataclasses.dataclass(frozen=True)
class Ingestion:
    seconds: float  # wall time of the `geosvc ingest` process, Python start-up included
    pipeline_s: float | None  # what the command reports ("loaded in X s": read, validate, load)
    peak_rss_bytes: int  # ru_maxrss of the ingestion process (PostgreSQL's own memory is not in it)
    communes: int | None
    sites: str  # "served 52, rejected 0, superseded 1"


def time_ingestion(database_url: str, data_dir: Path, timeout_s: float = 900.0) -> Ingestion:
    """`geosvc ingest --data-dir DATA_DIR` as a subprocess into `database_url`: time and peak memory."""
    command = [*_geosvc_command(), "ingest", "--data-dir", str(data_dir)]
    env = dict(os.environ, GEOSVC_DATABASE_URL=database_url, GEOSVC_LOG_LEVEL="WARNING", GEOSVC_BENCH_ENDPOINTS="1")
    env.pop("GEOSVC_READ_DATABASE_URL", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        watchdog = threading.Timer(timeout_s, process.kill)
        watchdog.start()
        try:
            # wait4: the resource usage of this very child (RUSAGE_CHILDREN would mix in the others)
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output = out.read().decode(errors="replace")
        errors = err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"geosvc ingest --data-dir {data_dir} failed ({process.returncode}):\n"
                           f"{(errors + output)[-3000:]}")
    loaded = re.search(r"^loaded in ([0-9.]+) s", output, re.MULTILINE)
    communes = re.search(r"^communes per department: .*\(total (\d+)\)", output, re.MULTILINE)
    sites = re.search(r"^sites per status: (.*) \(total \d+\)", output, re.MULTILINE)
    return Ingestion(
        seconds=seconds, pipeline_s=float(loaded.group(1)) if loaded else None,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # kilobytes on Linux
        communes=int(communes.group(1)) if communes else None, sites=sites.group(1) if sites else "?",
    )


def _geosvc_command() -> list[str]:
    script = Path(sys.executable).with_name("geosvc")  # the console script of this virtualenv
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from geosvc.cli import main; main(prog_name='geosvc')"]


# --- synthetic sites (never mixed with the real data: a copy of the folder, a scratch database) ---

SYNTHETIC_PREFIX = "synthetic-"


def synthetic_data_dir(data_dir: Path, count: int, into: Path, seed: int = SEED) -> Path:
    """`into` gets links to every file of data_dir but missions.csv, which gets the real rows
    plus `count` clearly synthetic sites: each at a random point inside a random commune."""
    import shapely
    from shapely.geometry import shape

    for path in data_dir.iterdir():
        if path.is_file() and path.name != "missions.csv":
            (into / path.name).symlink_to(path.resolve())
    features = json.loads((data_dir / "communes.geojson").read_text(encoding="utf-8"))["features"]
    rng = random.Random(seed)
    with (data_dir / "missions.csv").open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    for number in range(1, count + 1):
        feature = rng.choice(features)
        polygon = shape(feature["geometry"])
        minx, miny, maxx, maxy = polygon.bounds
        while True:  # rejection sampling in the bounding box
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(polygon, lon, lat):
                break
        code = feature["properties"]["code"]
        rows.append(dict.fromkeys(columns, "") | {
            "id": f"{SYNTHETIC_PREFIX}{number:05d}-{code}", "name": f"SYNTHETIC benchmark site {number}",
            "insee": code, "city": feature["properties"].get("nom", ""), "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
            "source": f"SYNTHETIC: geosvc bench --synthetic-sites {count}, seed {seed}; not a real place",
        })
    with (into / "missions.csv").open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return into


# --- one data set: ingestion, coverage, endpoints ----------------------------------------

@dataclasses.dataclass(frozen=True)
class Targets:
    coverage_s: float | None
    ingestion_s: float | None
    peak_rss_bytes: int | None


REGION_TARGETS = Targets(coverage_s=coverage_bench.TARGET_S, ingestion_s=10.0, peak_rss_bytes=None)
FRANCE_TARGETS = Targets(coverage_s=2.0, ingestion_s=60.0, peak_rss_bytes=2 * 1024 * MB)
NO_TARGETS = Targets(None, None, None)


@dataclasses.dataclass
class Scale:
    label: str
    data_dir: Path
    targets: Targets
    ingestion: Ingestion | None = None
    coverage: coverage_bench.Figures | None = None
    index_build_s: float | None = None  # one worker's search index, best of INDEX_BUILD_RUNS
    selected: list[Endpoint] = dataclasses.field(default_factory=list)
    rounds: list[list[Result]] = dataclasses.field(default_factory=list)

    @property
    def summaries(self) -> list[Summary]:
        return summarise(self.rounds) if self.rounds else []


def measure_scale(scale: Scale, settings: Settings, options: Options, only: set[str] | None, *,
                  coverage_runs: int, brute_force_runs: int | None, say=print) -> Scale:
    from geosvc.cli.coverage_commands import read_cursor

    with scratch_database(settings, re.sub(r"\W", "_", scale.label.lower())) as scratch:
        say(f"[{scale.label}] ingesting {scale.data_dir} into a scratch database ({scratch.name})")
        scale.ingestion = time_ingestion(scratch.owner_url, scale.data_dir)
        say(f"[{scale.label}] ingestion {scale.ingestion.seconds:.1f} s, peak RSS "
            f"{scale.ingestion.peak_rss_bytes / MB:.0f} MB; timing the coverage")
        reading = Settings(database_url=scratch.owner_url, read_database_url=scratch.reader_url)
        with read_cursor(reading) as cursor:
            scale.coverage = coverage_bench.measure(cursor, coverage_runs, brute_force_runs)
            scale.index_build_s = time_index_build(cursor)
        if only is None or only - {BASELINE}:
            scale.selected = select(endpoints(catalogue(scratch.reader_url)), only)
            say(f"[{scale.label}] loading {', '.join(e.name for e in scale.selected)} under gunicorn + wrk")
            scale.rounds = run(dataclasses.replace(options, database_url=scratch.owner_url,
                                                   read_database_url=scratch.reader_url), scale.selected)
    return scale


INDEX_BUILD_RUNS = 3


def time_index_build(cursor) -> float:
    """Seconds a worker takes to build its search index from the database (best of a few); the
    names of France, read once per process, are read before and not counted (docs/SEARCH.md)."""
    from geosvc import search

    search.outside_names()
    times = []
    for _ in range(INDEX_BUILD_RUNS):
        started = time.perf_counter()
        search.build_index(cursor)
        times.append(time.perf_counter() - started)
    return min(times)


def select(all_endpoints: list[Endpoint], only: set[str] | None) -> list[Endpoint]:
    if only is None:
        return all_endpoints
    return [endpoint for endpoint in all_endpoints if endpoint.name in only | {BASELINE}]


def scale_targets(scale: Scale) -> tuple[list[str], list[str]]:
    """(lines, missed) for the ingestion and coverage targets of one data set."""
    lines, missed = [], []
    targets, ingestion, coverage = scale.targets, scale.ingestion, scale.coverage

    def check(ok: bool, text: str) -> None:
        lines.append(f"target {text} {_verdict(ok)}")
        if not ok:
            missed.append(f"{scale.label}: {text}")

    if ingestion and targets.ingestion_s is not None:
        check(ingestion.seconds <= targets.ingestion_s,
              f"ingestion <= {targets.ingestion_s:g} s: {ingestion.seconds:.1f} s")
    if ingestion and targets.peak_rss_bytes is not None:
        check(ingestion.peak_rss_bytes < targets.peak_rss_bytes,
              f"ingestion memory < {targets.peak_rss_bytes / MB / 1024:g} GB: "
              f"{ingestion.peak_rss_bytes / MB:.0f} MB")
    if coverage:
        if targets.coverage_s is not None:
            check(coverage.total.best_s <= targets.coverage_s,
                  f"coverage (statement + indicators, best) <= {targets.coverage_s:g} s: "
                  f"{coverage.total.best_s:.3f} s")
        check(coverage.speedup >= coverage_bench.TARGET_SPEEDUP,
              f"coverage >= {coverage_bench.TARGET_SPEEDUP:g} x faster than the brute force: "
              f"{coverage.speedup:.2f} x")
        check(coverage.comparison.identical,
              f"identical answers: {coverage.comparison.same_site}/{coverage.comparison.communes}")
    return lines, missed


def side_by_side(scales: list[Scale]) -> list[str]:
    """The figures of every data set in columns, with the growth from the first to each other."""
    first = scales[0]
    width = 24
    header = f"{'':<44}" + "".join(f"{s.label:>{width}}" for s in scales)
    if len(scales) > 1:
        header += "".join(f"{'x ' + s.label:>{width}}" for s in scales[1:])
    lines = [header]

    def row(label: str, value, text=None) -> None:
        values = [value(s) for s in scales]
        cells = "".join(f"{(text or _plain)(v):>{width}}" for v in values)
        if len(scales) > 1:
            cells += "".join(f"{_growth(values[0], v):>{width}}" for v in values[1:])
        lines.append(f"{label:<44}{cells}")

    def cov(attribute):
        return lambda s: attribute(s.coverage) if s.coverage else None

    def ing(attribute):
        return lambda s: attribute(s.ingestion) if s.ingestion else None

    row("communes", cov(lambda c: c.communes), _integer)
    row("served sites", cov(lambda c: c.sites), _integer)
    row("ingestion: geosvc ingest process (s)", ing(lambda i: i.seconds), _seconds)
    row("  of which read + validate + load (s)", ing(lambda i: i.pipeline_s), _seconds)
    row("  peak RSS of the process (MB)", ing(lambda i: i.peak_rss_bytes / MB), _integer)
    row("coverage: PostGIS statement, best (s)", cov(lambda c: c.statement.best_s), _seconds3)
    row("  median (s)", cov(lambda c: c.statement.median_s), _seconds3)
    row("  + indicators, best (s)", cov(lambda c: c.total.best_s), _seconds3)
    row("brute force, pyproj.Geod x numpy, best (s)", cov(lambda c: c.brute_force.best_s), _seconds3)
    row("search index build per worker, best (s)", lambda s: s.index_build_s, _seconds3)
    lines.append(f"{'brute force / statement (target >= 100)':<44}" + "".join(
        f"{(f'{s.coverage.speedup:.2f}' if s.coverage else '-'):>{width}}" for s in scales))
    lines.append(f"{'identical answers (same site, max diff)':<44}" + "".join(
        f"{_identical(s.coverage):>{width}}" for s in scales))
    names = [summary.name for summary in first.summaries]
    for name in names:
        def summary_of(scale: Scale, name=name) -> Summary | None:
            return next((s for s in scale.summaries if s.name == name), None)

        row(f"{name}: req/s", lambda s, f=summary_of: f(s).throughput if f(s) else None, _integer)
        if name != BASELINE:
            row("  throughput x constant", lambda s, f=summary_of: f(s).throughput_ratio if f(s) else None, _ratio)
        row("  p50 (ms)", lambda s, f=summary_of: f(s).p50_ms if f(s) else None, _ms)
        row("  p99 (ms)", lambda s, f=summary_of: f(s).p99_ms if f(s) else None, _ms)
        if name != BASELINE:
            row("  p99 x constant", lambda s, f=summary_of: f(s).p99_ratio if f(s) else None, _ratio)
    return lines


def _plain(value) -> str:
    return "-" if value is None else str(value)


def _integer(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _seconds(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _seconds3(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ms(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ratio(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _growth(first, other) -> str:
    if not first or other is None:
        return "-"
    return f"{other / first:.2f}"


def _identical(coverage: coverage_bench.Figures | None) -> str:
    if coverage is None:
        return "-"
    c = coverage.comparison
    return f"{'yes' if c.identical else 'NO'} {c.same_site}/{c.communes}, {c.max_difference_m * 1000:.2f} mm"


# --- soak -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Soak:
    seconds: float
    connections: int
    urls: int
    result: Result
    processes: int  # gunicorn's master and workers
    memory_start: int  # bytes: sum of their RSS after the warm-up
    memory_end: int
    memory_max: int
    samples: list[tuple[float, int]]  # (seconds into the soak, bytes)
    endpoints: tuple[str, ...] = ()

    @property
    def growth(self) -> float:
        return (self.memory_end - self.memory_start) / self.memory_start

    def lines(self) -> list[str]:
        r = self.result
        curve = ", ".join(f"{t:.0f}s {m / MB:.0f}" for t, m in self.samples)
        return [
            f"soak: {self.seconds:g} s at {self.connections} connections over {self.urls} URLs mixing "
            f"{', '.join(self.endpoints)}; {r.requests:,} requests, {r.throughput:.0f} req/s, p50 {r.p50_ms:.1f} ms, "
            f"p99 {r.p99_ms:.1f} ms, max {r.max_ms:.0f} ms",
            f"errors: {r.errors} (status >= 400: {r.status_errors}, socket errors: {r.socket_errors}, "
            f"timeouts: {r.timeouts}) (target 0) {_verdict(r.errors == 0)}",
            f"service memory (RSS of gunicorn's {self.processes} processes): start {self.memory_start / MB:.1f} MB, "
            f"end {self.memory_end / MB:.1f} MB, max {self.memory_max / MB:.1f} MB, growth {self.growth:+.1%} "
            f"(target < {SOAK_MAX_GROWTH:.0%}) {_verdict(self.growth < SOAK_MAX_GROWTH)}",
            f"memory over time (MB): {curve}",
        ]

    def missed(self) -> list[str]:
        missed = []
        if self.result.errors:
            missed.append(f"soak: {self.result.errors} errors")
        if self.growth >= SOAK_MAX_GROWTH:
            missed.append(f"soak: memory growth {self.growth:+.1%}")
        return missed


def soak(options: Options, selected: list[Endpoint], seconds: float = SOAK_SECONDS,
         warmup_s: float = SOAK_WARMUP_S, sample_every_s: float = SOAK_SAMPLE_EVERY_S) -> Soak:
    """Every endpoint but the baseline in one URL list, for `seconds`, reading the service's memory."""
    loaded = [e for e in selected if e.name != BASELINE]
    mixed = Endpoint("soak", interleave([e.paths for e in loaded]))
    with gunicorn(options.database_url, options.workers, options.read_database_url) as server:
        prime(server.url, selected, options)
        if warmup_s:
            run_wrk(server.url, mixed, duration_s=warmup_s, connections=options.connections,
                    threads=options.threads)
        processes, start = service_memory(server.pid)
        samples = [(0.0, start)]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="ascii") as script, \
                tempfile.TemporaryFile("w+") as out:
            script.write(lua_script(mixed.paths))
            script.flush()
            command = _wrk_command(server.url, script.name, duration_s=seconds, connections=options.connections,
                                   threads=options.threads)
            started = time.monotonic()
            load = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                while load.poll() is None:
                    if time.monotonic() - started > seconds + 60:
                        raise RuntimeError("wrk did not finish in time")
                    time.sleep(min(sample_every_s, 0.5))
                    elapsed = time.monotonic() - started
                    if elapsed - samples[-1][0] >= sample_every_s and elapsed < seconds:
                        samples.append((elapsed, service_memory(server.pid)[1]))
            finally:
                if load.poll() is None:
                    load.kill()
                    load.wait()
            _, end = service_memory(server.pid)
            samples.append((time.monotonic() - started, end))
            out.seek(0)
            output = out.read()
        if load.returncode != 0:
            raise RuntimeError(f"wrk failed ({load.returncode}): {output[-2000:]}")
    return Soak(
        seconds=seconds, connections=options.connections, urls=len(mixed.paths),
        result=parse_wrk_output("soak", output), processes=processes, memory_start=start, memory_end=end,
        memory_max=max(memory for _, memory in samples), samples=samples,
        endpoints=tuple(e.name for e in loaded),
    )


def service_memory(pid: int) -> tuple[int, int]:
    """(processes, bytes): the sum of the resident set sizes of `pid` and its children, from /proc."""
    pids = [pid, *_children(pid)]
    return len(pids), sum(_rss(p) for p in pids)


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# --- the command ---------------------------------------------------------------------------

def main(argv: list[str] | None = None, prog: str = "scripts/bench.py") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Ingestion, coverage and endpoint figures of geosvc on real data (region, and France with "
        "--france), endpoints as ratios to a constant JSON endpoint of the same app; or a soak (--soak).")
    parser.add_argument("--france", nargs="?", type=Path, const=FRANCE_DIR, default=None, metavar="PATH",
                        help=f"also measure the France-wide data, read in place (default {FRANCE_DIR})")
    parser.add_argument("--synthetic-sites", type=int, default=0, metavar="N",
                        help="also measure the region with N synthetic sites added (seeded; scratch database only)")
    parser.add_argument("--soak", nargs="?", type=float, const=SOAK_SECONDS, default=None, metavar="SECONDS",
                        help=f"soak instead: every endpoint mixed, {SOAK_SECONDS:g} s by default; errors and memory")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--duration", type=float, default=2.0,
                        help="seconds of load per endpoint and round (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)")
    parser.add_argument("--only", help="comma-separated endpoint names (the constant baseline always runs); "
                        f"{', '.join(ENDPOINT_NAMES[1:])}, or none (ingestion and coverage only)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    only = None
    if args.only:
        only = {name for name in args.only.split(",") if name and name != "none"}
        unknown = only - set(ENDPOINT_NAMES)
        if unknown:
            parser.error(f"unknown endpoint(s): {', '.join(sorted(unknown))}")
    if args.france is not None and not (args.france / "communes.geojson").is_file():
        parser.error(f"{args.france}: no communes.geojson there")
    settings = Settings.from_env()
    options = Options(
        database_url=settings.database_url, read_database_url=settings.read_database_url, workers=args.workers,
        connections=args.connections, threads=args.threads, duration_s=args.duration, rounds=args.rounds,
        warmup_s=args.warmup,
    )

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    for name in drop_stale_scratch_databases(settings):
        say(f"dropped {name}, left by a benchmark run that died")
    if args.soak is not None:
        if only is not None and not only - {BASELINE}:
            parser.error("--soak needs at least one endpoint besides the constant one")
        return _soak_main(args, settings, options, only, say)

    missed: list[str] = []
    scales = [Scale("region", settings.data_dir, REGION_TARGETS)]
    if args.france is not None:
        scales.append(Scale("France", args.france, FRANCE_TARGETS))
    with tempfile.TemporaryDirectory(prefix="geosvc-bench-") as synthetic_dir:
        if args.synthetic_sites:
            say(f"writing {args.synthetic_sites} synthetic sites (seed {SEED}) next to a link to each region file")
            synthetic_data_dir(settings.data_dir, args.synthetic_sites, Path(synthetic_dir))
            scales.append(Scale(f"region+{args.synthetic_sites}", Path(synthetic_dir), NO_TARGETS))
        for scale in scales:
            # the brute force of a big data set takes seconds a run: once is enough to compare
            big = scale.label != "region"
            measure_scale(scale, settings, options, only, coverage_runs=5, brute_force_runs=1 if big else None,
                          say=say)

    print(f"geosvc benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; gunicorn {options.workers} sync workers on "
          f"{HOST}, wrk {options.threads} thread(s) x {options.connections} connections; {options.rounds} "
          f"interleaved rounds of {options.duration_s:g} s per endpoint, medians; ratios to '{BASELINE}' "
          "within each round")
    for name in ENDPOINT_NAMES:
        print(f"  {name:<13} {WHAT[name]}")
    for scale in scales:
        print(f"\n== {scale.label}: {scale.data_dir} ==")
        if scale.ingestion:
            i = scale.ingestion
            print(f"ingestion: {_integer(i.communes)} communes, sites {i.sites}; geosvc ingest process "
                  f"{i.seconds:.1f} s (read + validate + load {_seconds(i.pipeline_s)} s), "
                  f"peak RSS {i.peak_rss_bytes / MB:.0f} MB")
        if scale.coverage:
            print("\n".join(coverage_bench.lines(scale.coverage, scale.targets.coverage_s or coverage_bench.TARGET_S)))
        if scale.rounds:
            lines, endpoint_missed = report(scale.summaries, scale.selected, options)
            print("\n".join(lines))
            missed += [f"{scale.label}: {line}" for line in endpoint_missed]
        lines, scale_missed = scale_targets(scale)
        print("\n".join(lines))
        missed += scale_missed
    if len(scales) > 1:
        print("\n== side by side ==")
        print("\n".join(side_by_side(scales)))
    if args.json:
        args.json.write_text(json.dumps({
            "options": dataclasses.asdict(options) | {"database_url": None, "read_database_url": None},
            "scales": [_scale_json(scale) for scale in scales],
            "missed": missed,
        }, indent=2, default=str), encoding="utf-8")
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


def _soak_main(args, settings: Settings, options: Options, only: set[str] | None, say) -> int:
    data_dir, label = (args.france, "France") if args.france is not None else (settings.data_dir, "region")
    with scratch_database(settings, f"soak_{label.lower()}") as scratch:
        say(f"[soak] ingesting {data_dir} into a scratch database ({scratch.name})")
        time_ingestion(scratch.owner_url, data_dir)
        selected = select(endpoints(catalogue(scratch.reader_url)), only)
        say(f"[soak] {SOAK_WARMUP_S:g} s of warm-up, then {args.soak:g} s of "
            f"{', '.join(e.name for e in selected if e.name != BASELINE)} mixed")
        result = soak(dataclasses.replace(options, database_url=scratch.owner_url,
                                          read_database_url=scratch.reader_url), selected, args.soak)
    print(f"geosvc soak on the {label} data, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs; "
          f"gunicorn {options.workers} sync workers on {HOST}, wrk {options.threads} thread(s)")
    print("\n".join(result.lines()))
    if args.json:
        args.json.write_text(json.dumps(dataclasses.asdict(result), indent=2), encoding="utf-8")
    missed = result.missed()
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


def _scale_json(scale: Scale) -> dict:
    return {
        "label": scale.label, "data_dir": str(scale.data_dir),
        "ingestion": dataclasses.asdict(scale.ingestion) if scale.ingestion else None,
        "coverage": (dataclasses.asdict(scale.coverage) | {"speedup": scale.coverage.speedup}
                     if scale.coverage else None),
        "index_build_s": scale.index_build_s,
        "summaries": [dataclasses.asdict(s) for s in scale.summaries],
        "rounds": [[dataclasses.asdict(r) | {"throughput": r.throughput} for r in round_] for round_ in scale.rounds],
    }
