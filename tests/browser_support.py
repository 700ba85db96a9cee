"""Headless Chromium for the page tests, and a live server for it to load.

Debian's `chromium` package (scripts/setup.sh installs it) driven by the Python `playwright`
package; never `playwright install`, which downloads a browser build of its own. Fixtures
using these helpers are at the end of tests/conftest.py (`browser`, `live_url`), for every
page test (the analyst page here, the campaign page later).
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"  # Debian's package
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


@contextlib.contextmanager
def chromium() -> Iterator:
    """A Playwright Browser on the system's Chromium; fails (never skips) when it is missing."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} is missing: `apt-get install -y chromium` (scripts/setup.sh does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def live_server(app) -> Iterator[str]:
    """Serve the app on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclasses.dataclass
class PageWatch:
    """What a page said on its console, threw, and asked of the network."""

    console_errors: list[str] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)

    def external_requests(self, allowed_prefix: str | None = None) -> list[str]:
        """Requests that left the page's own origin (or the file, for a standalone page)."""
        return [
            url for url in self.requests
            if not url.startswith(LOCAL_SCHEMES) and not (allowed_prefix and url.startswith(allowed_prefix))
        ]


def watch(page) -> PageWatch:
    seen = PageWatch()
    page.on("console", lambda message: seen.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    page.on("request", lambda request: seen.requests.append(request.url))
    return seen


def svg_paths(page, pane: str = "overlay") -> int:
    """How many SVG paths Leaflet drew in a pane (one per polygon, or per circle marker)."""
    return page.locator(f".leaflet-{pane}-pane svg path").count()


# --- a tile server for the map's optional tile layer ------------------------------------------

def png(width: int = 256, height: int = 256, rgb: tuple[int, int, int] = (200, 220, 200)) -> bytes:
    """A plain PNG image of one colour (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + \
        chunk(b"IEND", b"")


TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


@dataclasses.dataclass
class TileServer:
    url: str  # the tile URL template, e.g. http://127.0.0.1:PORT/{z}/{x}/{y}.png
    origin: str
    requested: list[str]  # the paths asked for, in order


@contextlib.contextmanager
def tile_server() -> Iterator[TileServer]:
    """A tiny HTTP server on 127.0.0.1 (a free port) answering a PNG for any /{z}/{x}/{y}.png."""
    image = png()
    requested: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            requested.append(self.path)
            if not TILE_PATH.match(self.path):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="tile-server", daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_port}"
    try:
        yield TileServer(url=origin + "/{z}/{x}/{y}.png", origin=origin, requested=requested)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
