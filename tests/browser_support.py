"""Headless Chromium for the page tests, and a live server for it to load.

Debian's `chromium` package (scripts/setup.sh installs it) driven by the Python `playwright`
package; never `playwright install`, which downloads a browser build of its own. Fixtures
using these helpers are at the end of tests/conftest.py (`browser`, `live_url`), for every
page test (the analyst page here, the campaign page later).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
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
