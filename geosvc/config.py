"""Settings: defaults in one place, overridden by GEOSVC_* environment variables.

Every setting is read and type-checked once, when the app or the CLI starts, so a
typo in a deployment fails at start-up rather than on the first request.
README.md documents each variable; tests/test_config_and_cli.py fails if one is missing there.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# XDG's cache directory (~/.cache), as most command-line tools of Linux use it
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geosvc"

DEFAULT_DATABASE_URL = "postgresql+psycopg://geosvc:geosvc@127.0.0.1:5432/geosvc"
# The service's own role may only SELECT (created by `geosvc db setup` on a local server).
DEFAULT_READ_DATABASE_URL = "postgresql+psycopg://geosvc_reader:geosvc_reader@127.0.0.1:5432/geosvc"


class ConfigError(ValueError):
    """A GEOSVC_* variable has a value of the wrong type or out of range."""


@dataclasses.dataclass(frozen=True)
class Settings:
    # SQLAlchemy URL with the owning role: ingestion and setup write through it.
    database_url: str = DEFAULT_DATABASE_URL
    # SQLAlchemy URL the web service reads through: a SELECT-only role, or a standby.
    # Left unset with a non-default database_url, the service reads through database_url.
    read_database_url: str = DEFAULT_READ_DATABASE_URL
    # Folder holding communes.geojson, missions.csv, ... (the project's data/ by default).
    data_dir: Path = PROJECT_ROOT / "data"
    # What the ingestion derives from big inputs and may reuse: the TER timetable's day and the
    # journeys already routed, keyed by the feed's SHA-256 (geosvc/transit/cache.py). Safe to delete.
    cache_dir: Path = DEFAULT_CACHE_DIR
    # Per-statement time limit for the web service, so a slow query cannot hang a worker.
    statement_timeout_ms: int = 1500
    # Connections kept open per process; a gunicorn worker handles one request at a time.
    pool_size: int = 4
    # How long a request waits for a free pooled connection before answering 503.
    pool_timeout_s: float = 1.5
    # A site further than this from the commune it says it is in is not served.
    max_site_offset_km: float = 5.0
    log_level: str = "INFO"
    # How often a worker checks for a new ingestion before serving its in-memory answers
    # (search index, nearest-site table): an ingestion shows within this many seconds.
    refresh_interval_s: float = 5.0
    # Per client and per process, on scenarios, catchments and whole-coverage tables.
    expensive_rate_limit: str = "30 per minute"
    # Where rate-limit counters live: memory:// (per process), or redis://... when shared.
    rate_limit_storage: str = "memory://"
    # Origins (comma-separated, e.g. "https://campagne.example.fr") whose pages may call the
    # API from the browser (CORS); empty: none. Parsed by geosvc/campaign/cors.py.
    cors_origins: str = ""
    # Origins (comma-separated) whose pages may show the embeddable widget (GET /widget, in an
    # <iframe> that /widget.js inserts): its Content-Security-Policy frame-ancestors. Empty: 'none',
    # no site may frame it. "*" for any site; "https://*.example.fr" for its subdomains. Separate
    # from cors_origins: framing our page and reading our JSON are different grants (docs/CAMPAIGN.md).
    embed_origins: str = ""
    # Where the campaign page sends a young person whose commune is outside the region: the
    # State's directory of public services, which lists every mission locale of France.
    national_directory_url: str = "https://lannuaire.service-public.fr/"
    # A raster tile layer under the campaign page's map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png
    # (an http(s) URL with {z}, {x} and {y}; {s} in the host for subdomains a, b, c). Empty: no tiles,
    # the plain background, and the Content-Security-Policy names no other origin. When set, its
    # origin (only) is added to the policy's img-src (geosvc/web/security.py).
    tile_url: str = ""
    # The attribution the tile provider requires, shown on the map: text, with <a href="https://..."> links
    # kept (anything else is shown as text), e.g. '© <a href="https://www.openstreetmap.org/copyright">
    # les contributeurs d'OpenStreetMap</a>'. Required when tile_url is set.
    tile_attribution: str = ""
    # Serve GET /bench/constant, the benchmark's baseline (geosvc_tools/bench.py turns it on).
    # Off in production: the endpoint is then neither served nor in /openapi.json.
    bench_endpoints: bool = False
    # Port of the Prometheus /metrics endpoint (geosvc/web/observability.py), served by gunicorn's
    # master for all its workers, on metrics_host only; unset: no metrics endpoint.
    # scripts/serve.sh (deploy/topology.py) sets 9464. Never proxied by nginx.
    metrics_port: int = 0
    # Address the metrics endpoint binds: loopback, so only this machine (a local Prometheus
    # or its agent) can scrape it.
    metrics_host: str = "127.0.0.1"
    # Peers (comma-separated addresses) trusted to name the client in X-Real-IP: the nginx in
    # front (deploy/). Rate limits count per X-Real-IP behind them, per peer address otherwise.
    trusted_proxies: str = "127.0.0.1,::1"
    # On SIGTERM a gunicorn worker finishes its in-flight request for at most this long.
    graceful_timeout_s: float = 20.0

    def __post_init__(self):
        frame_ancestors(self.embed_origins)  # raises ConfigError naming the variable
        if self.tile_url:
            tile_origin(self.tile_url)  # raises ConfigError naming the variable
            if not self.tile_attribution.strip():
                raise ConfigError(f"{env_name('tile_attribution')} is required when {env_name('tile_url')} is set: "
                                  "tile providers require their attribution on the map")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for field in dataclasses.fields(cls):
            name = env_name(field.name)
            if name in environ:
                values[field.name] = _convert(name, environ[name], field.default)
        values.update(overrides)
        if "read_database_url" not in values and values.get("database_url", DEFAULT_DATABASE_URL) != (
            DEFAULT_DATABASE_URL
        ):
            # Another server was named: the local reader role does not exist there.
            values["read_database_url"] = values["database_url"]
        return cls(**values)


def env_name(field_name: str) -> str:
    return "GEOSVC_" + field_name.upper()


def _convert(name: str, raw: str, default):
    """Convert a variable to the type of its default, naming the variable on failure."""
    try:
        if isinstance(default, Path):
            return Path(raw)
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        converted = type(default)(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r}: expected {type(default).__name__}") from exc
    if isinstance(converted, int | float) and converted <= 0:
        raise ConfigError(f"{name}={raw!r}: must be positive")
    return converted


_TILE_HOST = re.compile(r"^(\{s\}\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


def tile_origin(url: str) -> str:
    """The origin a tile URL template loads from, as a Content-Security-Policy source:
    `https://tile.openstreetmap.org/{z}/{x}/{y}.png` -> `https://tile.openstreetmap.org`;
    `https://{s}.tile.example.org/...` -> `https://*.tile.example.org`. Raises ConfigError on
    anything else than an http(s) URL with {z}, {x} and {y}, without credentials or quotes."""
    name = env_name("tile_url")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not _TILE_HOST.match(parts.netloc):
        raise ConfigError(f"{name}={url!r}: expected an http(s) URL such as "
                          "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    if not all(f"{{{key}}}" in url for key in "zxy") or any(c in url for c in "'\" <>;,\\"):
        raise ConfigError(f"{name}={url!r}: the URL needs {{z}}, {{x}} and {{y}}, "
                          "and no quote, space, comma or semicolon")
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


# scheme://host[:port], or scheme://*.host[:port] for every subdomain: a CSP source expression
# that names exactly what a browser sends as a framing page's origin, nothing else.
_EMBED_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")


def frame_ancestors(raw: str) -> str:
    """The CSP frame-ancestors sources of GEOSVC_EMBED_ORIGINS: `https://a.fr, https://b.fr/` ->
    `https://a.fr https://b.fr`; empty -> `'none'`; `*` -> `*`. Raises ConfigError on anything
    that is not an origin (a path, a quote, a semicolon that would end the directive)."""
    origins = list(dict.fromkeys(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()))
    for origin in origins:
        if origin != "*" and not _EMBED_ORIGIN.match(origin):
            raise ConfigError(f"{env_name('embed_origins')}={raw!r}: {origin!r} is not an origin like "
                              "https://campagne.example.fr (or https://*.example.fr, or *)")
    if "*" in origins:
        return "*"
    return " ".join(origins) or "'none'"


def setting_names() -> list[str]:
    return [env_name(field.name) for field in dataclasses.fields(Settings)]
