"""HTTP benchmark: the app under gunicorn on loopback, loaded by wrk, compared with a constant answer.

Each endpoint is a list of URLs that a wrk Lua script cycles through; its throughput
and latency percentiles are printed as they are and as a ratio to those of
`GET /bench/constant` (geosvc/api/bench.py), measured under the same server, on the
same machine, in the same run. The ratio is what carries from one machine to another:
the share of the framework's speed that an endpoint keeps after its own work.

Safety: the server binds 127.0.0.1 only, on a free port, and wrk only targets it; every
load run lasts `duration_s` (5 rounds of 2 s per endpoint by default, plus a 1 s warm-up),
and the server is stopped whatever happens.

Adding an endpoint: append an `Endpoint` to `endpoints()` (a name, its URLs, and
optionally its targets); `scripts/bench.py --only NAME` runs a subset.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from statistics import median

from geosvc.config import Settings
from geosvc.relevance import RELEVANCE_SET, load_cases

HOST = "127.0.0.1"  # loopback only: the benchmark never sends traffic elsewhere
BASELINE = "constant"
RESULT_MARK = "GEOSVC_BENCH_RESULT "

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


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    paths: list[str]
    min_throughput_ratio: float | None = None  # target: at least this share of the baseline's req/s
    max_p99_ms: float | None = None  # target: 99th percentile latency


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


def endpoints(cases_path: Path = RELEVANCE_SET) -> list[Endpoint]:
    """The constant baseline first, then the search endpoints with their targets (issue 3).

    URLs come from the relevance set, so the load mixes names, typos, postcodes and former
    names as people type them; autocomplete gets every keystroke (2nd character onwards).
    """
    queries = [case.query for case in load_cases(cases_path)]
    keystrokes = list(dict.fromkeys(query[:n] for query in queries for n in range(2, len(query) + 1)))
    return [
        Endpoint(BASELINE, ["/bench/constant"]),
        Endpoint("autocomplete", [_url("/communes/autocomplete", q=q) for q in keystrokes],
                 min_throughput_ratio=0.6, max_p99_ms=20.0),
        Endpoint("search", [_url("/communes", q=q) for q in queries]),
    ]


def _url(path: str, **params) -> str:
    return f"{path}?{urllib.parse.urlencode(params)}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int, read_database_url: str | None = None,
             startup_timeout_s: float = 30.0) -> Iterator[str]:
    """The app under gunicorn (sync workers, as `geosvc serve`) on a free loopback port; yields its URL."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"{HOST}:{port}",
        "--log-level", "warning", "geosvc:create_app()",
    ]
    env = dict(os.environ, GEOSVC_DATABASE_URL=database_url, GEOSVC_LOG_LEVEL="WARNING")
    env.pop("GEOSVC_READ_DATABASE_URL", None)
    if read_database_url:
        env["GEOSVC_READ_DATABASE_URL"] = read_database_url
    server = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    try:
        _wait_until_healthy(base_url, server, startup_timeout_s)
        yield base_url
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
    errors = sum(raw[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return Result(
        name=name, requests=raw["requests"], seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000, p90_ms=raw["p90_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000, errors=errors,
    )


def run_wrk(base_url: str, endpoint: Endpoint, *, duration_s: float, connections: int, threads: int) -> Result:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian package `wrk`; scripts/setup.sh installs it)")
    if not base_url.startswith(f"http://{HOST}:"):
        raise ValueError(f"refusing to load anything but {HOST}: {base_url}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="ascii") as script:
        script.write(lua_script(endpoint.paths))
        script.flush()
        command = [
            wrk, "--threads", str(threads), "--connections", str(connections),
            "--duration", f"{max(1, round(duration_s))}s", "--timeout", "5s", "--script", script.name, base_url,
        ]
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
    with gunicorn(options.database_url, options.workers, options.read_database_url) as base_url:
        if options.warmup_s:
            # every worker builds its search index on its first search: not what we measure
            for endpoint in selected:
                run_wrk(base_url, endpoint, duration_s=options.warmup_s, connections=options.connections,
                        threads=options.threads)
        for _ in range(options.rounds):
            rounds.append([
                run_wrk(base_url, endpoint, duration_s=options.duration_s, connections=options.connections,
                        threads=options.threads)
                for endpoint in selected
            ])
    return rounds


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
        f"gunicorn {options.workers} sync workers on {HOST}, wrk {options.threads} threads, "
        f"{options.connections} connections; {options.rounds} interleaved rounds of {options.duration_s:g} s "
        f"per endpoint; {os.cpu_count()} CPUs; medians over the rounds, ratios to '{BASELINE}' of the same round",
        f"{'endpoint':<14} {'req/s':>8} {'x const':>8} {'p50 ms':>8} {'x const':>8} "
        f"{'p99 ms':>8} {'x const':>8} {'worst p99':>10} {'urls':>6} {'errors':>7}",
    ]
    urls = {endpoint.name: len(endpoint.paths) for endpoint in selected}

    def shown(value: float | None) -> str:
        return f"{value:>8.2f}" if value is not None else f"{'-':>8}"

    for s in summaries:
        lines.append(
            f"{s.name:<14} {s.throughput:>8.0f} {shown(s.throughput_ratio)} {s.p50_ms:>8.2f} {shown(s.p50_ratio)} "
            f"{s.p99_ms:>8.2f} {shown(s.p99_ratio)} {s.worst_p99_ms:>10.2f} {urls[s.name]:>6} {s.errors:>7}"
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
                         f"{summary.throughput_ratio:.2f} {'ok' if ok else 'MISSED'}")
            if not ok:
                missed.append(f"{endpoint.name} throughput {summary.throughput_ratio:.2f} x {BASELINE}")
        if endpoint.max_p99_ms is not None:
            ok = summary.p99_ms <= endpoint.max_p99_ms
            lines.append(f"target {endpoint.name} p99 <= {endpoint.max_p99_ms:g} ms at {options.connections} "
                         f"connections: {summary.p99_ms:.2f} ms (worst round {summary.worst_p99_ms:.2f}) "
                         f"{'ok' if ok else 'MISSED'}")
            if not ok:
                missed.append(f"{endpoint.name} p99 {summary.p99_ms:.2f} ms")
    return lines, missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Throughput and latency of geosvc endpoints under gunicorn, "
                                     "as ratios to a constant JSON endpoint of the same app.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--duration", type=float, default=2.0,
                        help="seconds of load per endpoint and round (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)")
    parser.add_argument("--only", help="comma-separated endpoint names (the constant baseline always runs)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    options = Options(
        database_url=settings.database_url, read_database_url=settings.read_database_url, workers=args.workers,
        connections=args.connections, threads=args.threads, duration_s=args.duration, rounds=args.rounds,
        warmup_s=args.warmup,
    )
    selected = endpoints()
    if args.only:
        wanted = {BASELINE, *args.only.split(",")}
        unknown = wanted - {endpoint.name for endpoint in selected}
        if unknown:
            parser.error(f"unknown endpoint(s): {', '.join(sorted(unknown))}")
        selected = [endpoint for endpoint in selected if endpoint.name in wanted]
    rounds = run(options, selected)
    summaries = summarise(rounds)
    lines, missed = report(summaries, selected, options)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({
            "options": dataclasses.asdict(options) | {"database_url": None, "read_database_url": None},
            "summaries": [dataclasses.asdict(s) for s in summaries],
            "rounds": [[dataclasses.asdict(r) | {"throughput": r.throughput} for r in round_] for round_ in rounds],
        }, indent=2), encoding="utf-8")
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    return 1 if missed else 0
