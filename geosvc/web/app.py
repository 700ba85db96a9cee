"""The app factory's body: configuration, error handling, the read pool, the blueprints."""

from __future__ import annotations

import logging

from apiflask import APIFlask

from geosvc import __version__
from geosvc.config import Settings
from geosvc.web import cors, errors, httpcache, observability, ratelimit, security, state
from geosvc.web.api import (
    assets,
    bench,
    campaign,
    communes,
    coverage,
    docs,
    health,
    missions,
    missions_locales,
    search,
)
from geosvc.web.api.schemas import ErrorOut

DESCRIPTION = (
    "Which mission locale is nearest to a commune of Hauts-de-France. Distances are geodesic "
    "metres on the WGS84 ellipsoid; every answer says which data (source and vintage) it comes from."
)


def build_app(settings: Settings | None = None) -> APIFlask:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    # docs_path=None: the docs page is geosvc/web/api/docs.py (no CDN, no inline script)
    app = APIFlask(__name__, title="geosvc", version=__version__, docs_path=None)
    app.config.update(_api_config())
    app.json.sort_keys = False  # keep the documented field order
    app.config["GEOSVC_SETTINGS"] = settings
    errors.init_app(app)
    security.init_app(app)
    ratelimit.init_app(app)
    httpcache.init_app(app)  # compression; ETags and 304s are per view
    cors.init_app(app, settings)  # before the pool: a bad GEOSVC_CORS_ORIGINS fails fast
    state.init_app(app, settings)
    observability.init_app(app)  # request id, JSON request log, metrics (runs first after a view)
    for blueprint in (
        communes.bp, missions_locales.bp, search.bp, missions.bp, health.bp,
        coverage.bp, coverage.page_bp, assets.bp, campaign.bp, campaign.page_bp,
    ):
        app.register_blueprint(blueprint)
    if settings.bench_endpoints:
        # the benchmark's baseline only: never served, nor documented, in production
        app.register_blueprint(bench.bp)
    app.register_blueprint(docs.bp)
    return app


def _api_config() -> dict:
    return {
        "DESCRIPTION": DESCRIPTION,
        "VALIDATION_ERROR_STATUS_CODE": 400,
        "VALIDATION_ERROR_SCHEMA": ErrorOut,
        "HTTP_ERROR_SCHEMA": ErrorOut,
        # APIFlask's default writes the first request's Host into `servers`, cached for the life
        # of the worker: every later client was told `http://evil.example/`. Without `servers`,
        # OpenAPI means the document's own origin.
        "AUTO_SERVERS": False,
    }
