"""The web layer: the Flask (APIFlask) app and everything only it uses. Nothing imports it."""

from __future__ import annotations


def create_app(settings=None):
    """Build the app; nothing is created at import time."""
    # Imported here so that importing geosvc.web.server does not pay for the web stack.
    from geosvc.web.app import build_app

    return build_app(settings)
