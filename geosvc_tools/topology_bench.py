"""Benchmark of the production topology (deploy/topology.py) against plain `geosvc serve` and
against nginx serving the same answers as files from disk, on loopback, in one run.

    python scripts/bench_topology.py [--duration 10] [--skip-before] [--json]

Measured (every wrk run bounded by --duration, every server stopped at the end):

1. nginx static: Debian's nginx serving the nearest-by-code answers (the exact bytes the
   service gives, one file per commune) and the department feeds, from disk;
2. nearest by code, every request a different commune, wrk at 16 connections: through the
   topology (after one pass that fills its cache) -> ratio to nginx static;
3. the same under 500 slow-header + 200 slow-reading clients (geosvc_tools/slow_clients.py):
   p99 and errors, through the topology ("after") and against plain `geosvc serve` ("before");
4. a spike of 2,000 connections on the five department feeds: throughput and errors through
   the topology -> ratio to nginx static serving the same files.

It reads the database the service reads (GEOSVC_READ_DATABASE_URL / GEOSVC_DATABASE_URL, already
ingested: `bash scripts/serve.sh` or `geosvc ingest`), never writes to it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from geosvc.config import PROJECT_ROOT, Settings
from geosvc_tools.bench import HOST, Endpoint, Result, catalogue, free_port, run_wrk
from geosvc_tools.slow_clients import raise_descriptor_limit

TOPOLOGY = PROJECT_ROOT / "deploy" / "topology.py"
SLOW_HEADERS = 500
SLOW_READERS = 200
SPIKE_CONNECTIONS = 2000
NORMAL_CONNECTIONS = 16
TARGET_P99_MS = 50.0
TARGET_NEAREST_RATIO = 0.5
ROUNDS = 3  # static / topology pairs for the nearest-by-code ratio
SLOW_RAMP_S = 3.0  # slow clients connect, then wait for this long before the measured run

STATIC_NGINX = """
worker_processes auto;
worker_rlimit_nofile %(nofile)d;
pid %(dir)s/nginx.pid;
error_log stderr warn;
events { worker_connections 16384; multi_accept on; }
http {
    default_type application/json;
    access_log off;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_requests 10000;
    open_file_cache max=10000 inactive=60s;
    client_body_temp_path %(dir)s/tmp; proxy_temp_path %(dir)s/tmp; fastcgi_temp_path %(dir)s/tmp;
    uwsgi_temp_path %(dir)s/tmp; scgi_temp_path %(dir)s/tmp;
    server { listen 127.0.0.1:%(port)d backlog=4096; root %(dir)s/www; }
}
"""


@dataclasses.dataclass
class Figures:
    static_nearest: Result | None = None
    topology_nearest: Result | None = None
    topology_under_slow: Result | None = None
    before_nearest: Result | None = None
    before_under_slow: Result | None = None
    static_spike: Result | None = None
    topology_spike: Result | None = None
    slow_after: dict | None = None
    slow_before: dict | None = None
    nearest_ratios: list | None = None  # topology / nginx static, each round


def _env_for_service(settings: Settings) -> dict:
    env = dict(os.environ, GEOSVC_LOG_LEVEL="WARNING")
    env["GEOSVC_DATABASE_URL"] = settings.database_url
    env["GEOSVC_READ_DATABASE_URL"] = settings.read_database_url
    return env


def _wait(url: str, process: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f} s")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 40.0) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def topology(settings: Settings, workdir: Path, log) -> Iterator[str]:
    """deploy/topology.py run on free loopback ports: the same code as scripts/serve.sh."""
    port = free_port()
    env = _env_for_service(settings) | {
        "GEOSVC_UPSTREAM_PORT": str(free_port()), "GEOSVC_METRICS_PORT": str(free_port()),
        "GEOSVC_RUNTIME_DIR": str(workdir / "topology"),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([sys.executable, str(TOPOLOGY), "run", "--host", HOST, "--port", str(port)],
                               env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        _wait(f"http://{HOST}:{port}/readyz", process)
        yield f"http://{HOST}:{port}"
    finally:
        _stop(process)


@contextlib.contextmanager
def plain_serve(settings: Settings, log) -> Iterator[str]:
    """`geosvc serve` as it was run on the network before: gunicorn's sync workers, nothing in front."""
    port = free_port()
    geosvc = str(Path(sys.executable).parent / "geosvc")
    env = _env_for_service(settings)
    for name in ("GEOSVC_METRICS_PORT", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    process = subprocess.Popen([geosvc, "serve", "--host", HOST, "--port", str(port)], env=env,
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        _wait(f"http://{HOST}:{port}/livez", process)
        yield f"http://{HOST}:{port}"
    finally:
        _stop(process, timeout_s=30)


@contextlib.contextmanager
def static_nginx(root: Path, log) -> Iterator[str]:
    port = free_port()
    (root / "tmp").mkdir(exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(STATIC_NGINX % {"dir": root, "port": port, "nofile": 20000})
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx, "-p", str(root), "-c", str(conf), "-g", "daemon off;"],
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        _wait(f"http://{HOST}:{port}/departements/59/communes", process, 10)
        yield f"http://{HOST}:{port}"
    finally:
        _stop(process, signal.SIGQUIT, 10)


def fetch_all(base_url: str, paths: list[str], into: Path | None = None, workers: int = 8) -> None:
    """Ask every path once (fills the topology's cache) and, with `into`, write the bodies as files."""
    def one(path: str) -> None:
        for attempt in range(5):  # a 503 (the shared machine's database busy): ask again, a few times
            try:
                with urllib.request.urlopen(base_url + path, timeout=30) as answer:  # noqa: S310 - loopback
                    body = answer.read()
                break
            except urllib.error.HTTPError as exc:
                if exc.code != 503 or attempt == 4:
                    raise
                time.sleep(1)
        if into is not None:
            target = into / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))


@contextlib.contextmanager
def slow_clients(base_url: str, headers: int, readers: int, duration_s: float, log) -> Iterator[dict]:
    """The slow clients in their own process for `duration_s`; the dict is filled with their counts."""
    port = base_url.rsplit(":", 1)[1]
    counts: dict = {}
    process = subprocess.Popen(
        [sys.executable, "-m", "geosvc_tools.slow_clients", "--port", port, "--headers", str(headers),
         "--readers", str(readers), "--duration", str(duration_s)],
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True)
    try:
        time.sleep(SLOW_RAMP_S)
        yield counts
    finally:
        try:
            out, _ = process.communicate(timeout=duration_s + 30)
            counts.update(json.loads(out.strip().splitlines()[-1]) if out.strip() else {})
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(settings: Settings, duration_s: float, skip_before: bool, log) -> Figures:
    raise_descriptor_limit(SPIKE_CONNECTIONS * 4)
    data = catalogue(settings.read_database_url)
    nearest = Endpoint("nearest by code", [f"/communes/{code}/nearest" for code in data.codes])
    feed_paths = [f"/departements/{code}/communes" for code in data.departements]
    feeds = Endpoint("department feeds", feed_paths)
    figures = Figures()
    slow_s = duration_s + SLOW_RAMP_S + 3
    with tempfile.TemporaryDirectory(prefix="geosvc-topology-bench-") as scratch:
        workdir = Path(scratch)
        workdir.chmod(0o755)  # nginx's workers (www-data, when run as root) read their files there
        www = workdir / "static" / "www"
        with topology(settings, workdir, log) as front:
            # one pass: fills nginx's cache, and the files nginx static serves are the same bytes
            fetch_all(front, feed_paths, into=www, workers=1)
            fetch_all(front, nearest.paths, into=www)
            with static_nginx(workdir / "static", log) as static:
                # interleaved rounds, the median ratio: a neighbour's load on a shared machine
                # slows both sides alike (as geosvc_tools/bench.py does)
                pairs = []
                for _ in range(ROUNDS):
                    pairs.append((run_wrk(static, nearest, duration_s=duration_s / ROUNDS,
                                          connections=NORMAL_CONNECTIONS, threads=1),
                                  run_wrk(front, nearest, duration_s=duration_s / ROUNDS,
                                          connections=NORMAL_CONNECTIONS, threads=1)))
                pairs.sort(key=lambda pair: pair[1].throughput / max(pair[0].throughput, 1e-9))
                figures.static_nearest, figures.topology_nearest = pairs[len(pairs) // 2]
                figures.nearest_ratios = [round(b.throughput / max(a.throughput, 1e-9), 3) for a, b in pairs]
                figures.static_spike = run_wrk(static, feeds, duration_s=duration_s,
                                               connections=SPIKE_CONNECTIONS, threads=2)
                figures.topology_spike = run_wrk(front, feeds, duration_s=duration_s,
                                                 connections=SPIKE_CONNECTIONS, threads=2)
            with slow_clients(front, SLOW_HEADERS, SLOW_READERS, slow_s, log) as counts:
                figures.topology_under_slow = run_wrk(front, nearest, duration_s=duration_s,
                                                      connections=NORMAL_CONNECTIONS, threads=1)
            figures.slow_after = counts
        if not skip_before:
            with plain_serve(settings, log) as plain:
                fetch_all(plain, nearest.paths[:200])  # every worker's table is built before it counts
                figures.before_nearest = run_wrk(plain, nearest, duration_s=duration_s,
                                                 connections=NORMAL_CONNECTIONS, threads=1)
                with slow_clients(plain, SLOW_HEADERS, SLOW_READERS, slow_s, log) as counts:
                    figures.before_under_slow = run_wrk(plain, nearest, duration_s=duration_s,
                                                        connections=NORMAL_CONNECTIONS, threads=1)
                figures.slow_before = counts
    return figures


def _line(label: str, result: Result | None, ratio_to: Result | None = None) -> str:
    if result is None:
        return f"{label:<58} (not measured)"
    if not result.requests:
        return f"{label:<58} 0 answers in {result.seconds:.0f} s: the service answered nobody"
    ratio = f"  ratio to nginx static {result.throughput / ratio_to.throughput:.2f}" if ratio_to else ""
    return (f"{label:<58} {result.throughput:>9,.0f} req/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:8.2f} ms"
            f"  errors {result.errors} (timeouts {result.timeouts}){ratio}")


def report(figures: Figures) -> tuple[list[str], list[str]]:
    lines = [
        _line("nginx static, nearest-by-code files (16 conn.)", figures.static_nearest),
        _line("topology, nearest by code (16 conn.)", figures.topology_nearest, figures.static_nearest),
        _line("topology, nearest under 500 slow-header + 200 slow-reading", figures.topology_under_slow),
        _line("plain geosvc serve, nearest (16 conn.)", figures.before_nearest),
        _line("plain geosvc serve, nearest under the same slow clients", figures.before_under_slow),
        _line("nginx static, department feeds, spike of 2,000 conn.", figures.static_spike),
        _line("topology, department feeds, spike of 2,000 conn.", figures.topology_spike, figures.static_spike),
        f"nearest by code, ratio to nginx static in each round: {figures.nearest_ratios} (median shown)",
        f"slow clients against the topology: {figures.slow_after}",
        f"slow clients against plain geosvc serve: {figures.slow_before}",
    ]
    failures = []
    under = figures.topology_under_slow
    if under is None or not under.requests or under.p99_ms > TARGET_P99_MS or under.errors:
        failures.append(f"under slow clients: p99 ≤ {TARGET_P99_MS:.0f} ms and 0 errors")
    if figures.topology_nearest and figures.static_nearest and (
            figures.topology_nearest.throughput < TARGET_NEAREST_RATIO * figures.static_nearest.throughput):
        failures.append(f"nearest by code ≥ {TARGET_NEAREST_RATIO} of nginx static")
    if figures.topology_spike is None or figures.topology_spike.errors:
        failures.append("spike of 2,000 connections without errors")
    return lines, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (bounded: 1-60)")
    parser.add_argument("--skip-before", action="store_true", help="do not measure plain `geosvc serve`")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    duration_s = min(60.0, max(1.0, args.duration))
    with tempfile.TemporaryFile("w+") as log:
        try:
            figures = measure(Settings.from_env(), duration_s, args.skip_before, log)
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:])
            raise
    lines, failures = report(figures)
    print(f"topology benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {duration_s:.0f} s per run")
    for line in lines:
        print(line)
    print("targets: " + ("all met" if not failures else "MISSED: " + "; ".join(failures)))
    if args.json:
        print(json.dumps({key: (dataclasses.asdict(value) if isinstance(value, Result) else value)
                          for key, value in dataclasses.asdict(figures).items()}, default=str))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
