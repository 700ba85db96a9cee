"""geosvc: the nearest mission locale for every commune of Hauts-de-France, from PostGIS."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(settings=None):
    """Build the Flask (APIFlask) app; nothing is created at import time."""
    # Imported here so that `geosvc ingest` does not pay for the web stack.
    from geosvc.web import build_app

    return build_app(settings)
