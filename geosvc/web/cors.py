"""CORS for the origins of GEOSVC_CORS_ORIGINS, with flask-cors.

The campaign site may live on another origin (its own domain, or a CDN) and call the
API from the browser. Only the listed origins get `Access-Control-Allow-Origin` (echoed
back, with `Vary: Origin` so a shared cache keeps one copy per origin); with the setting
empty, no CORS header is sent at all. "*" allows any origin: every answer is public data.
Only reads are allowed cross-origin; no credentials (the API has none).
"""

from __future__ import annotations

import re

from flask_cors import CORS

from geosvc.config import ConfigError, Settings, env_name

# scheme://host[:port], nothing after: what a browser sends in `Origin`
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?$")
# browsers may cache a preflight answer for this long
PREFLIGHT_MAX_AGE_S = 86400


def parse_origins(raw: str) -> list[str]:
    origins = [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]
    for origin in origins:
        if origin != "*" and not ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"{env_name('cors_origins')}={raw!r}: {origin!r} is not an origin like https://example.fr"
            )
    return origins


def init_app(app, settings: Settings) -> None:
    origins = parse_origins(settings.cors_origins)
    if not origins:
        return
    CORS(
        app,
        origins=origins,
        methods=["GET", "HEAD", "OPTIONS"],
        # readable by the page's script, for its own revalidation bookkeeping
        expose_headers=["ETag"],
        max_age=PREFLIGHT_MAX_AGE_S,
        supports_credentials=False,
    )
