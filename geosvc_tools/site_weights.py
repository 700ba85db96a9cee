"""Weights and Lighthouse scores of the campaign page's static build (`geosvc export --site`).

    python scripts/site_weights.py [--site DIR] [--no-lighthouse] [--json]

Without --site it builds the site into a temporary folder from the database the service reads
(GEOSVC_READ_DATABASE_URL / GEOSVC_DATABASE_URL, already ingested), never writing to it. It prints
the weights the build measured (its manifest.json: bytes, and bytes compressed by Python's gzip
module at level 9, against the budgets), then serves the folder with Debian's nginx (gzip on, under
a sub-path: the page's URLs are relative) and runs Lighthouse 12 (npm, node_modules/.bin) with
Debian's Chromium, mobile preset (Lighthouse's default: simulated slow 4G and a 4x slower CPU), on
the categories accessibility, best-practices and performance. Performance is noisy on a shared
machine: run it a few times before quoting it.

tests/test_static_site.py uses the same `static_nginx` and `lighthouse`.
"""

from __future__ import annotations

import argparse
import contextlib
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
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from geosvc.config import PROJECT_ROOT

LIGHTHOUSE = PROJECT_ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("accessibility", "best-practices", "performance")
PREFIX = "/campagne/"  # where static_nginx serves the folder: any path works, the URLs are relative

# A plain static host: Debian's mime types, gzip for the text types (the weights' measure is gzip),
# the folder under PREFIX. docs/CAMPAIGN.md shows the same for a server.
NGINX_CONF = """\
%(user)s
worker_processes 1;
pid %(run)s/nginx.pid;
error_log %(run)s/error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log %(run)s/access.log;
    sendfile on;
    client_body_temp_path %(run)s/tmp; proxy_temp_path %(run)s/tmp; fastcgi_temp_path %(run)s/tmp;
    uwsgi_temp_path %(run)s/tmp; scgi_temp_path %(run)s/tmp;
    gzip on;
    gzip_comp_level 6;
    gzip_min_length 256;
    gzip_vary on;
    gzip_types text/css application/javascript application/json image/svg+xml;
    server {
        listen 127.0.0.1:%(port)d;
        location = / { return 302 %(prefix)s; }
        location %(prefix)s {
            alias %(site)s/;
            index index.html;
            etag on;
            add_header Cache-Control "public, max-age=300";
        }
    }
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def static_nginx(site: Path, prefix: str = PREFIX) -> Iterator[str]:
    """Debian's nginx serving `site` at http://127.0.0.1:PORT{prefix}, gzip on; yields that URL.
    As root its workers run as www-data, so `site` and its parents must be readable by all."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    run = Path(tempfile.mkdtemp(prefix="geosvc-static-nginx-"))
    run.chmod(0o755)
    (run / "tmp").mkdir()
    port = free_port()
    user = "user www-data;" if os.geteuid() == 0 else ""
    conf = run / "nginx.conf"
    conf.write_text(NGINX_CONF % {"user": user, "run": run, "port": port, "prefix": prefix,
                                  "site": site.resolve()})
    log = open(run / "nginx.out", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([nginx, "-p", str(run), "-c", str(conf), "-g", "daemon off;"],
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}{prefix}"
    try:
        _wait(url, process, run)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        shutil.rmtree(run, ignore_errors=True)


def _wait(url: str, process: subprocess.Popen, run: Path, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = (run / "error.log").read_text() if (run / "error.log").exists() else ""
            raise RuntimeError(f"nginx exited with {process.returncode}: {errors}{(run / 'nginx.out').read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer {url} within {timeout_s} s")


def lighthouse(url: str, report: Path | None = None, timeout_s: float = 240.0) -> dict:
    """Lighthouse's JSON report of `url` (mobile preset) on Debian's Chromium; raises on failure."""
    if not LIGHTHOUSE.exists():
        raise RuntimeError(f"{LIGHTHOUSE} is missing: `npm ci` (scripts/setup.sh does)")
    with tempfile.TemporaryDirectory(prefix="geosvc-lighthouse-") as scratch:
        output = report or Path(scratch) / "report.json"
        completed = subprocess.run(
            [str(LIGHTHOUSE), url, "--chrome-flags=--headless=new --no-sandbox",
             f"--only-categories={','.join(CATEGORIES)}", "--output=json", f"--output-path={output}", "--quiet"],
            env=dict(os.environ, CHROME_PATH=CHROMIUM), capture_output=True, text=True, timeout=timeout_s,
            # its own profile and temporary files, removed with the folder
            cwd=scratch,
        )
        if completed.returncode != 0 or not output.exists():
            raise RuntimeError(f"lighthouse failed ({completed.returncode}): {completed.stderr[-2000:]}")
        return json.loads(output.read_text())


def scores(result: dict) -> dict:
    """{category: score 0..1} and the metrics quoted for performance."""
    audits = result["audits"]
    return {
        "categories": {name: result["categories"][name]["score"] for name in CATEGORIES},
        "metrics": {
            key: audits[key].get("displayValue")
            for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                        "speed-index", "cumulative-layout-shift", "total-byte-weight")
        },
        "failing": sorted(
            f"{category['id']}: {ref['id']}"
            for category in result["categories"].values() for ref in category["auditRefs"]
            if ref.get("weight") and audits[ref["id"]].get("score") is not None and audits[ref["id"]]["score"] < 1
        ),
        "form_factor": result["configSettings"]["formFactor"],
        "lighthouse": result["lighthouseVersion"],
    }


def weight_lines(manifest: dict) -> list[str]:
    w = manifest["weights"]

    def kb(n: int) -> str:
        return f"{n / 1000:,.1f} KB"

    first, index = w["first_load"], w["search_index"]
    vintages = ", ".join(f"{name}: {block.get('vintage', '')}" for name, block in manifest["data"].items())
    return [
        f"data: {vintages}",
        f"first load (gzip -9)        {kb(first['gzip']):>11}  budget {kb(first['budget_gzip'])}  "
        f"({first['files']} files, {kb(first['bytes'])} raw: {', '.join(first['paths'])})",
        f"search index (gzip -9)      {kb(index['gzip']):>11}  budget {kb(index['budget_gzip'])}  "
        f"({kb(index['bytes'])} raw); with search_client.js, on first focus: {kb(w['search_on_first_focus']['gzip'])}",
        f"outside names (gzip -9)     {kb(w['outside_names']['gzip']):>11}  on demand only "
        f"({kb(w['outside_names']['bytes'])} raw)",
        f"mission locale answers      {w['mission_locale_answers']['files']:,} files, "
        f"{kb(w['mission_locale_answers']['bytes'])} raw, {kb(w['mission_locale_answers']['gzip'])} gzip "
        f"(mean {w['mission_locale_answers']['bytes'] / max(1, w['mission_locale_answers']['files']):,.0f} bytes)",
        f"outlines                    {w['outlines']['files']:,} files, {kb(w['outlines']['bytes'])} raw, "
        f"{kb(w['outlines']['gzip'])} gzip",
        f"grid                        {w['grid']['files']:,} files, {kb(w['grid']['bytes'])} raw, "
        f"{kb(w['grid']['gzip'])} gzip (largest cell {kb(w['grid']['largest_cell_gzip'])} gzip)",
        f"total                       {w['total']['files']:,} files + manifest.json, {kb(w['total']['bytes'])} raw, "
        f"{kb(w['total']['gzip'])} gzip",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="an existing build (default: build one into a temporary folder)")
    parser.add_argument("--no-lighthouse", action="store_true", help="weights only")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        site = args.site
        if site is None:
            from geosvc.campaign.site_export import export_site
            from geosvc.config import Settings

            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="geosvc-site-")))
            scratch.chmod(0o755)  # nginx's workers (www-data, as root) read it
            site = scratch / "site"
            for line in export_site(Settings.from_env(), site):
                print(line, file=sys.stderr)
        manifest = json.loads((site / "manifest.json").read_text())
        figures: dict = {"weights": manifest["weights"], "data": manifest["data"]}
        if not args.json:
            print("\n".join(weight_lines(manifest)), flush=True)
        if not args.no_lighthouse:
            url = stack.enter_context(static_nginx(site))
            figures["lighthouse"] = scores(lighthouse(url))
            if not args.json:
                found = figures["lighthouse"]
                print(f"lighthouse {found['lighthouse']} ({found['form_factor']}) on {url}: " + ", ".join(
                    f"{name} {score:.2f}" for name, score in found["categories"].items()))
                print("  " + ", ".join(f"{k} {v}" for k, v in found["metrics"].items()))
                if found["failing"]:
                    print("  below 1: " + "; ".join(found["failing"]))
        if args.json:
            print(json.dumps(figures, indent=1))
    return 0
