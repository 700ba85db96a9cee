"""The app factory's body: configuration, error handling, the read pool, the blueprints."""

from __future__ import annotations

import atexit
import logging

from apiflask import APIFlask
from flask import Blueprint
from swagger_ui_bundle import swagger_ui_path

from geosvc import __version__, errors
from geosvc.api import communes, health, missions, search
from geosvc.api.context import EXTENSION
from geosvc.api.schemas import ErrorOut
from geosvc.config import Settings
from geosvc.db import ReadDatabase

DESCRIPTION = (
    "Which mission locale is nearest to a commune of Hauts-de-France. Distances are geodesic "
    "metres on the WGS84 ellipsoid; every answer says which data (source and vintage) it comes from."
)
SWAGGER_STATIC = "/docs/static"


def build_app(settings: Settings | None = None) -> APIFlask:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    app = APIFlask("geosvc", title="geosvc", version=__version__, docs_ui="swagger-ui")
    app.config.update(_api_config())
    app.json.sort_keys = False  # keep the documented field order
    app.config["GEOSVC_SETTINGS"] = settings
    errors.init_app(app)
    database = ReadDatabase(settings)
    app.extensions[EXTENSION] = database
    atexit.register(database.close)
    for blueprint in (communes.bp, search.bp, missions.bp, health.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(_swagger_assets())
    return app


def _api_config() -> dict:
    return {
        "DESCRIPTION": DESCRIPTION,
        "VALIDATION_ERROR_STATUS_CODE": 400,
        "VALIDATION_ERROR_SCHEMA": ErrorOut,
        "HTTP_ERROR_SCHEMA": ErrorOut,
        # The docs page must work without internet: Swagger UI is served by the app
        # from the swagger-ui-bundle package instead of a CDN.
        "SWAGGER_UI_CSS": f"{SWAGGER_STATIC}/swagger-ui.css",
        "SWAGGER_UI_BUNDLE_JS": f"{SWAGGER_STATIC}/swagger-ui-bundle.js",
        "SWAGGER_UI_STANDALONE_PRESET_JS": f"{SWAGGER_STATIC}/swagger-ui-standalone-preset.js",
        "SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "DOCS_FAVICON": f"{SWAGGER_STATIC}/favicon-32x32.png",
    }


def _swagger_assets() -> Blueprint:
    return Blueprint(
        "swagger_assets", __name__,
        static_folder=str(swagger_ui_path), static_url_path=SWAGGER_STATIC,
    )
