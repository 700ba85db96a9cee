"""What a view needs from the running app, without importing the app."""

from __future__ import annotations

from flask import current_app

from geosvc.db.pool import ReadDatabase

EXTENSION = "geosvc.read_db"


def read_db() -> ReadDatabase:
    return current_app.extensions[EXTENSION]
