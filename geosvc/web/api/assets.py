"""Front-end assets served by the app itself: Leaflet from node_modules (no CDN at run time).

`npm ci` (scripts/setup.sh) installs the version pinned in package.json/package-lock.json;
this blueprint serves its dist/ folder at /vendor/leaflet/ (leaflet.js, leaflet.css and
images/). The analyst page uses it, and so can any later page. The report's standalone
map inlines the same files (geosvc/cli/html_map.py), through `leaflet_file`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from geosvc.config import PROJECT_ROOT

LEAFLET_DIST = PROJECT_ROOT / "node_modules" / "leaflet" / "dist"
LEAFLET_URL = "/vendor/leaflet"

bp = Blueprint("assets", __name__, static_folder=str(LEAFLET_DIST), static_url_path=LEAFLET_URL)


class AssetsMissing(RuntimeError):
    """Leaflet is not installed: `npm ci` has not been run."""


def leaflet_file(name: str) -> Path:
    """A file of Leaflet's dist/ folder, e.g. 'leaflet.js' or 'images/layers.png'."""
    path = LEAFLET_DIST / name
    if not path.is_file():
        raise AssetsMissing(f"{path} is missing: run `npm ci --no-audit --no-fund` (scripts/setup.sh does)")
    return path
