"""The report's standalone HTML map: one file, no network, no server.

Leaflet's JS and CSS (its images as data: URIs), the page's own JS and CSS, and the data
(GeoJSON, indicators) are all inlined, so the file opens offline from anywhere. The map
is drawn by the same coverage_map.js as the /analyse page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from geosvc.web.api.assets import LEAFLET_DIST, leaflet_file

WEB = Path(__file__).resolve().parent.parent / "web"
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
TEMPLATE = "coverage_map_standalone.html"
CSS_IMAGE = re.compile(r"url\((images/[A-Za-z0-9._-]+\.png)\)")


def render(title: str, indicators: dict, communes_geojson: str, layers: dict[str, str]) -> str:
    """The page; `indicators` is the JSON-ready answer of GET /coverage, GeoJSON given as text."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return environment.get_template(TEMPLATE).render(
        title=title,
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        leaflet_version=_leaflet_version(),
        leaflet_css=Markup(_inline_images(leaflet_file("leaflet.css").read_text(encoding="utf-8"))),
        leaflet_js=_script(leaflet_file("leaflet.js").read_text(encoding="utf-8")),
        page_css=Markup((STATIC / "analyse.css").read_text(encoding="utf-8")),
        coverage_map_js=_script((STATIC / "coverage_map.js").read_text(encoding="utf-8")),
        standalone_js=_script((STATIC / "standalone.js").read_text(encoding="utf-8")),
        indicators_json=_json_block(json.dumps(indicators, ensure_ascii=False)),
        communes_json=_json_block(communes_geojson),
        layers=[(name, _json_block(text)) for name, text in layers.items()],
    )


def _json_block(text: str) -> Markup:
    # Inside <script type="application/json">, only "</script" could end the block early;
    # "\u003c" is the same character to JSON.parse, and "<" never appears outside strings.
    return Markup(text.replace("<", "\\u003c"))


def _script(source: str) -> Markup:
    return Markup(source.replace("</script", "<\\/script"))


def _inline_images(css: str) -> str:
    def data_uri(match: re.Match) -> str:
        encoded = base64.b64encode(leaflet_file(match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return CSS_IMAGE.sub(data_uri, css)


def _leaflet_version() -> str:
    package = LEAFLET_DIST.parent / "package.json"
    try:
        return json.loads(package.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "unknown version"
