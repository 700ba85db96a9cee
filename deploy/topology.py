"""The production topology on one machine: nginx in front, gunicorn's sync workers behind it on
loopback, a private redis-server for the rate-limit counters; started and stopped together.

    python deploy/topology.py run [--host 127.0.0.1] [--port 8000] [--workers 2]
    python deploy/topology.py render --out DIR [--listen 80] [--upstream 127.0.0.1:8001] [--runtime-dir D]

`run` is what `scripts/serve.sh` ends with (and what tests/test_topology.py and the topology
benchmark start): it needs no systemd, no running nginx and no root (as root, nginx's workers
run as www-data). In order, it

1. renders deploy/nginx/*.template into a runtime folder (GEOSVC_RUNTIME_DIR; default
   /run/geosvc-PORT as root, else $TMPDIR/geosvc-UID-PORT), which also holds nginx's cache,
   its temporary files, its access log (access.log, JSON) and the redis socket;
2. with more than one worker and GEOSVC_RATE_LIMIT_STORAGE unset, starts redis-server on a
   unix socket of that folder (no TCP port, nothing saved to disk) and points the workers at it;
3. starts `geosvc serve` on GEOSVC_UPSTREAM_PORT (loopback, default 8001) and waits until every
   worker... until /readyz answers (the in-memory answers are built);
4. starts nginx on --host:--port (default 127.0.0.1:8000), in the foreground, after `nginx -t`.

SIGTERM or SIGINT stops it gracefully: nginx first (SIGQUIT: it stops accepting and finishes
every request in flight, slow downloads included, for at most GEOSVC_GRACEFUL_TIMEOUT_S), then
gunicorn (SIGTERM: each worker finishes its request), then redis. If one of them dies, the
others are stopped and the command fails. Only the standard library: it runs with any python3.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
PROJECT_ROOT = DEPLOY.parent
TEMPLATES = DEPLOY / "nginx"

DEFAULT_PORT = 8000
DEFAULT_UPSTREAM_PORT = 8001
DEFAULT_METRICS_PORT = 9464
# how long nginx keeps a public answer before revalidating it in the background (docs/OPERATIONS.md)
DEFAULT_CACHE_VALID_S = 60
DEFAULT_GRACEFUL_S = 20.0
READY_TIMEOUT_S = 90.0  # the workers build their in-memory answers before /readyz says ready

# The app's security headers (geosvc/web/security.py), for the files nginx serves itself.
STATIC_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "public, max-age=3600",
    "X-Request-ID": "$geosvc_request_id",
}


# nginx's own error answers (a request it refuses or cannot pass on: too large, malformed, a
# missing static file, the app unreachable) in the app's one JSON error shape, with the app's
# security headers, instead of its HTML pages. status -> (code, message); 494 is nginx's
# "request header too large", answered as 431. Errors the app sends pass through untouched.
ERROR_PAGES = {
    400: ("bad_request", "the request is malformed"),
    404: ("not_found", "no such file"),
    405: ("method_not_allowed", "this method is not allowed here"),
    413: ("payload_too_large", "the request body is over 64 KiB"),
    414: ("uri_too_long", "the request line is over 8 KB"),
    494: ("request_header_fields_too_large", "a request header is over 8 KB, or all of them over 32 KB"),
    502: ("bad_gateway", "the service is not answering; try again shortly"),
    504: ("gateway_timeout", "the service took too long to answer; try again shortly"),
}
ERROR_STATUS = {494: 431}  # what the client sees
ERROR_HEADERS = {**{name: value for name, value in STATIC_HEADERS.items() if name != "Cache-Control"},
                 "Cache-Control": "no-store"}


def render_error_pages() -> str:
    """`error_page` directives and the internal locations that answer them (geosvc.conf.template)."""
    headers = "".join(f'\n        add_header {name} "{value}" always;' for name, value in ERROR_HEADERS.items())
    lines = []
    for status, (code, message) in ERROR_PAGES.items():
        shown = ERROR_STATUS.get(status, status)
        body = json.dumps({"status": shown, "code": code, "message": message}, separators=(",", ":"))
        lines.append(f"error_page {status} {'=' + str(shown) + ' ' if shown != status else ''}"
                     f"/_geosvc_error/{shown};")
        lines.append(f"location = /_geosvc_error/{shown} {{\n        internal;\n        default_type application/json;"
                     f"{headers}\n        return {shown} '{body}\\n';\n    }}")
    return "\n    ".join(dict.fromkeys(lines))


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"topology: {name}={raw!r}: expected a whole number")
    if value <= 0:
        sys.exit(f"topology: {name}={raw!r}: must be positive")
    return value


def default_runtime_dir(port: int) -> Path:
    if os.geteuid() == 0:
        return Path(f"/run/geosvc-{port}")
    return Path(tempfile.gettempdir()) / f"geosvc-{os.getuid()}-{port}"


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    assert "@" not in "".join(line.split("#")[0] for line in template.splitlines() if "@" in line), template
    return template


def render_site(listen: str, upstream: str, runtime_dir: Path, cache_valid_s: int,
                access_log: str | None = None) -> str:
    headers = "\n        ".join(f"add_header {name} \"{value}\" always;" for name, value in STATIC_HEADERS.items())
    return _fill((TEMPLATES / "geosvc.conf.template").read_text(), {
        "LISTEN": listen,
        "UPSTREAM": upstream,
        "RUNTIME_DIR": str(runtime_dir),
        "CACHE_VALID": str(cache_valid_s),
        "ACCESS_LOG": access_log or f"{runtime_dir}/access.log geosvc_json buffer=64k flush=1s",
        "STATIC_DIR": str(PROJECT_ROOT / "geosvc" / "web" / "static"),
        "LEAFLET_DIR": str(PROJECT_ROOT / "node_modules" / "leaflet" / "dist"),
        "STATIC_HEADERS": headers,
        "ERROR_PAGES": render_error_pages(),
    })


def render_main(runtime_dir: Path) -> str:
    user = ""
    if os.geteuid() == 0:
        with contextlib.suppress(KeyError):
            pwd.getpwnam("www-data")
            user = "user www-data;  # as root: workers drop to www-data"
    return _fill((TEMPLATES / "nginx.conf.template").read_text(), {
        "NOFILE": str(raise_nofile()),
        "USER_LINE": user, "RUNTIME_DIR": str(runtime_dir), "ERROR_LOG": "stderr",
    })


def write_config(runtime_dir: Path, host: str, port: int, upstream_port: int, cache_valid_s: int) -> Path:
    runtime_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.chmod(0o755)  # nginx's workers (www-data) read their cache and temporary files there
    if os.geteuid() == 0:
        for folder in runtime_dir.resolve().parents:
            if not folder.stat().st_mode & 0o001:
                raise SystemExit(f"topology: nginx's workers (www-data) cannot enter {folder}, a parent of "
                                 f"GEOSVC_RUNTIME_DIR={runtime_dir}: choose another folder, or chmod o+x it")
    (runtime_dir / "geosvc.conf").write_text(
        render_site(f"{_bracketed(host)}:{port}", f"127.0.0.1:{upstream_port}", runtime_dir, cache_valid_s))
    main = runtime_dir / "nginx.conf"
    main.write_text(render_main(runtime_dir))
    return main


def raise_nofile(wanted: int = 65536) -> int:
    """Raise this process's descriptor limit (inherited by nginx) as far as allowed: 65,536."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _die_with_parent() -> None:
    """In the child: receive SIGTERM if this supervisor dies (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _start(argv: list[str], env: dict | None = None) -> subprocess.Popen:
    # own session: a Ctrl-C reaches the supervisor only, which stops each child gracefully
    return subprocess.Popen(argv, env=env, start_new_session=True, preexec_fn=_die_with_parent)


def _wait_ready(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f} s")


def _wait_socket(path: Path, process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
            probe.connect(str(path))
            return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server: no socket {path} after {timeout_s:.0f} s")


def _stop(process: subprocess.Popen | None, sig: int, timeout_s: float, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        print(f"topology: {name} still running after {timeout_s:.0f} s: killed", file=sys.stderr)
        process.kill()
        process.wait()


def geosvc_command() -> str:
    beside = Path(sys.executable).parent / "geosvc"
    found = str(beside) if beside.exists() else shutil.which("geosvc")
    if not found:
        sys.exit("topology: no `geosvc` command (run scripts/setup.sh, or use the virtualenv's python)")
    return found


def run(host: str, port: int, workers: int) -> int:
    upstream_port = env_int("GEOSVC_UPSTREAM_PORT", DEFAULT_UPSTREAM_PORT)
    cache_valid_s = env_int("GEOSVC_PROXY_CACHE_VALID_S", DEFAULT_CACHE_VALID_S)
    runtime_dir = Path(os.environ.get("GEOSVC_RUNTIME_DIR") or default_runtime_dir(port))
    graceful_s = float(os.environ.get("GEOSVC_GRACEFUL_TIMEOUT_S") or DEFAULT_GRACEFUL_S)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    main_conf = write_config(runtime_dir, host, port, upstream_port, cache_valid_s)
    check = subprocess.run([nginx, "-t", "-q", "-p", str(runtime_dir), "-c", str(main_conf)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        print(check.stderr, file=sys.stderr)
        return 1

    env = dict(os.environ)
    env.setdefault("GEOSVC_METRICS_PORT", str(DEFAULT_METRICS_PORT))
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(runtime_dir / "prometheus"))
    env.setdefault("GEOSVC_TRUSTED_PROXIES", "127.0.0.1,::1")

    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    redis = app = front = None
    status = 0
    try:
        if workers > 1 and not env.get("GEOSVC_RATE_LIMIT_STORAGE"):
            sock = runtime_dir / "redis.sock"
            redis = _start([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", "0",
                            "--unixsocket", str(sock), "--unixsocketperm", "700", "--save", "",
                            "--appendonly", "no", "--loglevel", "warning", "--dir", str(runtime_dir)])
            _wait_socket(sock, redis)
            env["GEOSVC_RATE_LIMIT_STORAGE"] = f"redis+unix://{sock}"
        app = _start([geosvc_command(), "serve", "--host", "127.0.0.1", "--port", str(upstream_port),
                      "--workers", str(workers)], env)
        _wait_ready(f"http://127.0.0.1:{upstream_port}/readyz", app, READY_TIMEOUT_S)
        front = _start([nginx, "-p", str(runtime_dir), "-c", str(main_conf), "-g", "daemon off;"])
        _wait_ready(f"http://{_bracketed(host if host not in ('0.0.0.0', '::') else '127.0.0.1')}:{port}/livez",
                    front, 10.0)
        print(f"geosvc listening on http://{_bracketed(host)}:{port}/  (nginx in front of gunicorn on "
              f"127.0.0.1:{upstream_port}; metrics on 127.0.0.1:{env['GEOSVC_METRICS_PORT']}/metrics; "
              f"runtime folder {runtime_dir})", file=sys.stderr, flush=True)
        while not stopping:
            for name, process in (("nginx", front), ("gunicorn", app), ("redis-server", redis)):
                if process is not None and process.poll() is not None:
                    print(f"topology: {name} exited with {process.returncode}: stopping", file=sys.stderr)
                    stopping, status = True, 1
                    break
            else:
                time.sleep(0.2)
    except RuntimeError as exc:
        print(f"topology: {exc}", file=sys.stderr)
        status = 1
    finally:
        # nginx first: it finishes what it is sending, and needs gunicorn for what it is fetching
        _stop(front, signal.SIGQUIT, graceful_s + 5, "nginx")
        _stop(app, signal.SIGTERM, graceful_s + 5, "gunicorn")
        _stop(redis, signal.SIGTERM, 5, "redis-server")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    run_parser = commands.add_parser("run", help="start nginx + gunicorn (+ redis) and supervise them")
    run_parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on (default loopback)")
    run_parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    run_parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one per core)")
    render_parser = commands.add_parser("render", help="write the nginx site for a server (geosvc.conf)")
    render_parser.add_argument("--out", required=True, type=Path, help="file to write")
    render_parser.add_argument("--listen", default="80")
    render_parser.add_argument("--upstream", default=f"127.0.0.1:{DEFAULT_UPSTREAM_PORT}")
    render_parser.add_argument("--runtime-dir", type=Path, default=Path("/var/cache/nginx/geosvc"),
                               help="where nginx keeps its cache (created by nginx)")
    render_parser.add_argument("--cache-valid", type=int, default=DEFAULT_CACHE_VALID_S)
    args = parser.parse_args(argv)
    if args.command == "render":
        args.out.write_text(render_site(args.listen, args.upstream, args.runtime_dir, args.cache_valid,
                                        access_log="/var/log/nginx/geosvc.json geosvc_json buffer=64k flush=1s"))
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    if args.command in (None, "run"):
        defaults = {"host": "127.0.0.1", "port": DEFAULT_PORT, "workers": 2}
        values = {key: getattr(args, key, default) for key, default in defaults.items()}
        return run(values["host"], values["port"], values["workers"])
    return 2


if __name__ == "__main__":
    sys.exit(main())
