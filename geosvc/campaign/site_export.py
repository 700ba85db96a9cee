"""`geosvc export --site DIR`: the campaign page and everything it reads, as static files.

Any static host (nginx, a CDN bucket, `python -m http.server`) serves DIR with no Python and no
database; the page (index.html, the template of `/` with data-static="1") finds every file by a
URL relative to itself, so DIR can be hosted under any path. docs/CAMPAIGN.md, "Static build".

    index.html                              the page (geosvc/web/templates/campaign.html)
    widget.html, widget.js                  the embeddable widget: its compact page and the script
                                            another site includes (with data-frame="widget.html")
    static/campaign.js, hours.js, transit.js, campaign.css, static_data.js, search_client.js, embed.js
    vendor/leaflet/leaflet.js, leaflet.js.map, leaflet.css, images/*.png
    departements.json                       = GET /departements                     (same bytes)
    departements/{code}/communes.json       = GET /departements/{code}/communes     (same bytes)
    missions.json                           = GET /missions (parsed), as `geosvc export --out`
    communes/{code}/mission-locale.json     = GET /communes/{code}/mission-locale?k=3 (same bytes)
    communes/{code}/outline.json            the commune's polygon for the map: a GeoJSON Feature,
                                            coordinates to 5 decimals (about 1 m), no data block
    search/index.json, search/outside.json  the client-side search (geosvc/campaign/search_export.py)
    grid/index.json, grid/{x}_{y}.json      "use my location": the cells of 1/10 degree that hold
                                            communes; per cell, every commune whose polygon comes
                                            within 2 km of it (GeoJSON, 5 decimals)
    manifest.json                           data block, the weights (gzip), every file's size and SHA-256

Everything is read in one repeatable-read snapshot (an ingestion running meanwhile cannot mix old
and new data across files), written into a new folder beside DIR, then swapped with DIR in one
rename (Linux renameat2 RENAME_EXCHANGE; elsewhere two renames a few microseconds apart): a
server serving DIR sees the old site or the new one, never a mix nor a half-written file.

Weights are measured as a static host sends the files compressed: Python's gzip module at level 9
(`search_export.sizes`). Budgets (issue 13): the first load (the page, its CSS and scripts,
Leaflet, and what the page fetches before any interaction: departements.json) at most 150 KB, the
region's search index at most 100 KB; the names of the rest of France are loaded on demand only.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import datetime as dt
import hashlib
import html.parser
import json
import math
import os
import shutil
import time
from pathlib import Path

import jinja2
import shapely
from psycopg import Cursor
from shapely.geometry import mapping

from geosvc.campaign import export as feeds_export
from geosvc.campaign import feeds
from geosvc.campaign.search_export import INDEX_PATH, OUTSIDE_PATH, client_files, sizes
from geosvc.config import PROJECT_ROOT, Settings
from geosvc.core.search_index import label
from geosvc.db import campaign as campaign_sql
from geosvc.db.pool import ReadDatabase
from geosvc.mission_locale import build_mission_locale_table
from geosvc.provenance import data_block
from geosvc.search import build_index

FORMAT = "geosvc-static-site"
VERSION = 1
MANIFEST = "manifest.json"
PAGE = "index.html"
WIDGET_PAGE = "widget.html"
WIDGET_SCRIPT = "widget.js"
NEAREST_K = 3  # the page's k (campaign.js NEAREST_K): the answers are those of ?k=3
COORDINATE_DECIMALS = 5  # about 1 m; the source polygons are already simplified (data/PROVENANCE.md)
CELLS_PER_DEGREE = 10  # grid cells of 0.1 degree (static_data.js cellKey)
GRID_INDEX = "grid/index.json"
GRID_CELL = "grid/{key}.json"
FIRST_LOAD_BUDGET_GZIP = 150_000
SEARCH_INDEX_BUDGET_GZIP = 100_000
# what campaign.js fetches as the page loads, before any interaction (loadDepartements)
FETCHED_AT_LOAD = ("departements.json",)

WEB = Path(__file__).resolve().parents[1] / "web"
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
STATIC_FILES = ("campaign.js", "hours.js", "transit.js", "campaign.css", "static_data.js", "search_client.js",
                "embed.js")
LEAFLET_DIST = PROJECT_ROOT / "node_modules" / "leaflet" / "dist"
LEAFLET_FILES = ("leaflet.js", "leaflet.js.map", "leaflet.css", "images/layers.png", "images/layers-2x.png",
                 "images/marker-icon.png", "images/marker-icon-2x.png", "images/marker-shadow.png")

# The page's endpoints (url_for in the template) as files of the build, relative to index.html.
# The autocomplete's URL names the search index and the point query's the grid's index:
# static_data.js reads them so.
PAGE_FILES = {
    "campaign.departements": "departements.json",
    "campaign.departement_communes": "departements/{code}/communes.json",
    "search.autocomplete": INDEX_PATH,
    "missions_locales.own_mission_locale": "communes/{code}/mission-locale.json",
    "campaign.nearest": GRID_INDEX,
    "campaign.commune_outline": "communes/{code}/outline.json",
}
MISSION_LOCALE_FILE = PAGE_FILES["missions_locales.own_mission_locale"]
OUTLINE_FILE = PAGE_FILES["campaign.commune_outline"]


class SiteExportError(RuntimeError):
    """The build cannot be written: Leaflet missing, or DIR is not a folder this command may replace."""


@dataclasses.dataclass(frozen=True)
class SiteFile:
    path: str  # relative to the site folder, with '/'
    body: bytes
    api: str | None = None  # the API answer it equals, if any


def export_site(settings: Settings, out_dir: Path) -> list[str]:
    """Build the site from one snapshot, swap it into out_dir; return the lines to print."""
    started = time.perf_counter()
    _check_target(out_dir)
    database = ReadDatabase(settings)
    try:
        with database.cursor() as cursor:
            data, files = read_site_data(cursor)
    finally:
        database.close()
    files += [SiteFile(PAGE, render_page(settings)), SiteFile(WIDGET_PAGE, render_page(settings, "widget.html")),
              SiteFile(WIDGET_SCRIPT, (STATIC / WIDGET_SCRIPT).read_bytes())] + asset_files()
    files.sort(key=lambda file: file.path)
    manifest = build_manifest(files, data)
    write_site(out_dir, files + [SiteFile(MANIFEST, feeds.encode(manifest))])
    return report_lines(manifest, out_dir, time.perf_counter() - started)


# --- the data, from one snapshot ------------------------------------------------------------------

def read_site_data(cursor: Cursor) -> tuple[dict, list[SiteFile]]:
    """(data block, every data file): all read through `cursor`, hence from one snapshot."""
    data = data_block(cursor)
    files = [SiteFile(file.path, file.body, file.api_path) for file in feeds_export.documents(cursor)]
    shapes = campaign_sql.commune_shapes(cursor)
    table = build_mission_locale_table(cursor)
    for row in shapes:
        answer = table.own_encoded(row["code"], NEAREST_K)
        if answer is None:
            raise SiteExportError(f"commune {row['code']} has no answer in the mission locale table")
        files.append(SiteFile(MISSION_LOCALE_FILE.format(code=row["code"]), answer.body,
                              f"/communes/{row['code']}/mission-locale?k={NEAREST_K}"))
    files += [SiteFile(path, body) for path, body in client_files(build_index(cursor)).items()]
    communes = [Shape(row, shapely.from_wkb(row["wkb"])) for row in shapes]
    files += [SiteFile(OUTLINE_FILE.format(code=shape.code), outline(shape)) for shape in communes]
    files += grid_files(communes, data)
    return data, files


class Shape:
    """A commune's polygon, its coordinates rounded, and their GeoJSON encoded once: every outline
    and grid cell holding it reuses the text (json.dumps of floats is most of the build's time)."""

    def __init__(self, row: dict, geometry: shapely.Geometry):
        self.row = row
        self.code = row["code"]
        self.geometry = shapely.transform(geometry, lambda coordinates: coordinates.round(COORDINATE_DECIMALS))
        self.geojson = json.dumps(mapping(self.geometry), separators=(",", ":"))


def outline(shape: Shape) -> bytes:
    """The map's outline: GET /communes/{code}/outline's Feature, lighter (5 decimals, no data
    block: the manifest and the commune's answer carry it). feeds.encode's bytes for
    {"type": "Feature", "geometry": ..., "properties": {code, nom, departement, label}}."""
    row = shape.row
    properties = feeds.encode({"code": row["code"], "nom": row["nom"], "departement": row["departement"],
                               "label": label(row["nom"], row["departement"], row["homonym"])})
    return b'{"type":"Feature","geometry":' + shape.geojson.encode() + b',"properties":' + properties + b"}"


def grid_files(communes: list[Shape], data: dict) -> list[SiteFile]:
    """The point query's grid: per cell of 1/CELLS_PER_DEGREE degree, every commune whose polygon
    comes within the service's tolerance (2 km) of the cell, so that the commune containing a
    point of the cell, or the nearest within 2 km, is always in it; and the list of cells."""
    tolerance_m = feeds.POINT_TOLERANCE_M
    geometries = [shape.geometry for shape in communes]
    tree = shapely.STRtree(geometries)
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(geometries)
    # degrees of the tolerance, 1 % generous: north of the region a degree of longitude is shortest
    margin_lat = tolerance_m / 110_574 * 1.01
    margin_lon = tolerance_m / (111_320 * math.cos(math.radians(max_lat + 1))) * 1.01
    files, keys = [], []
    for x in range(math.floor((min_lon - margin_lon) * CELLS_PER_DEGREE),
                   math.floor((max_lon + margin_lon) * CELLS_PER_DEGREE) + 1):
        for y in range(math.floor((min_lat - margin_lat) * CELLS_PER_DEGREE),
                       math.floor((max_lat + margin_lat) * CELLS_PER_DEGREE) + 1):
            box = shapely.box(x / CELLS_PER_DEGREE - margin_lon, y / CELLS_PER_DEGREE - margin_lat,
                              (x + 1) / CELLS_PER_DEGREE + margin_lon, (y + 1) / CELLS_PER_DEGREE + margin_lat)
            found = sorted(tree.query(box, predicate="intersects"), key=lambda i: communes[i].code)
            if not found:
                continue
            key = f"{x}_{y}"
            keys.append(key)
            # a FeatureCollection of {"type": "Feature", "geometry": ..., "properties": {"code": ...}}
            features = ",".join(f'{{"type":"Feature","geometry":{communes[i].geojson},'
                                f'"properties":{{"code":{json.dumps(communes[i].code)}}}}}' for i in found)
            files.append(SiteFile(GRID_CELL.format(key=key),
                                  f'{{"type":"FeatureCollection","features":[{features}]}}'.encode()))
    index = {
        "format": "geosvc-grid",
        "cells_per_degree": CELLS_PER_DEGREE,
        "tolerance_m": tolerance_m,
        "about": "a cell 'x_y' spans longitudes x/cells_per_degree to (x+1)/cells_per_degree and latitudes likewise; "
                 "grid/x_y.json lists every commune whose polygon comes within tolerance_m of it "
                 f"(coordinates to {COORDINATE_DECIMALS} decimals)",
        "cells": keys,
        "data": data,
    }
    return [SiteFile(GRID_INDEX, feeds.encode(index))] + files


# --- the page and its assets -----------------------------------------------------------------------

def render_page(settings: Settings, template: str = "campaign.html") -> bytes:
    """index.html: the template of `/` (rendered there by Flask), here with jinja2 itself, the
    endpoints as files of the build (PAGE_FILES), and the static mode's data attributes; or
    widget.html from the template of `/widget` (its department comes from the frame's URL)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    environment.globals["url_for"] = _url_for
    page = environment.get_template(template).render(
        departement="",
        static={"search_outside_url": OUTSIDE_PATH, "grid_url": GRID_CELL.format(key="CODE")},
        national_directory_url=settings.national_directory_url,
        tile_url=settings.tile_url, tile_attribution=settings.tile_attribution,
    )
    return page.encode()


def _url_for(endpoint: str, **values) -> str:
    if endpoint == "campaign_page.page":
        return PAGE
    if endpoint == "static":
        return f"static/{values['filename']}"
    if endpoint == "assets.static":
        return f"vendor/leaflet/{values['filename']}"
    if endpoint not in PAGE_FILES:
        raise SiteExportError(f"the page links to {endpoint}, which has no file in the static build "
                              "(geosvc/campaign/site_export.py PAGE_FILES)")
    return PAGE_FILES[endpoint].format(**values)


def asset_files() -> list[SiteFile]:
    files = [SiteFile(f"static/{name}", (STATIC / name).read_bytes()) for name in STATIC_FILES]
    for name in LEAFLET_FILES:
        path = LEAFLET_DIST / name
        if not path.is_file():
            raise SiteExportError(f"{path} is missing: run `npm ci --no-audit --no-fund` (scripts/setup.sh does)")
        files.append(SiteFile(f"vendor/leaflet/{name}", path.read_bytes()))
    return files


def first_load_paths(page: bytes) -> list[str]:
    """What a browser fetches before any interaction: the page, the stylesheets and scripts it
    names, and what campaign.js fetches at once (FETCHED_AT_LOAD)."""
    class Assets(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.paths: list[str] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "link" and attrs.get("rel") == "stylesheet":
                self.paths.append(attrs["href"])
            elif tag == "script" and attrs.get("src"):
                self.paths.append(attrs["src"])

    parser = Assets()
    parser.feed(page.decode())
    return [PAGE, *parser.paths, *FETCHED_AT_LOAD]


# --- manifest and weights ------------------------------------------------------------------------

def build_manifest(files: list[SiteFile], data: dict) -> dict:
    measured = {file.path: (len(file.body), sizes(file.body)[1]) for file in files}
    return {
        "format": FORMAT,
        "version": VERSION,
        "generator": "geosvc export --site",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": data,
        "weights": weights(files, measured),
        "files": [
            {"path": file.path, "bytes": measured[file.path][0], "gzip": measured[file.path][1],
             "sha256": hashlib.sha256(file.body).hexdigest()} | ({"api": file.api} if file.api else {})
            for file in files
        ],
    }


def weights(files: list[SiteFile], measured: dict[str, tuple[int, int]]) -> dict:
    page = next(file.body for file in files if file.path == PAGE)

    def group(members: list[str], **extra) -> dict:
        raw = sum(measured[path][0] for path in members)
        packed = sum(measured[path][1] for path in members)
        return {"files": len(members), "bytes": raw, "gzip": packed} | extra

    def matching(prefix: str, suffix: str) -> list[str]:
        return [file.path for file in files if file.path.startswith(prefix) and file.path.endswith(suffix)]

    first = first_load_paths(page)
    cells = [path for path in matching("grid/", ".json") if path != GRID_INDEX]
    return {
        "measure": "bytes, and bytes compressed by Python's gzip module at level 9 (mtime 0)",
        "first_load": group(first, paths=first, budget_gzip=FIRST_LOAD_BUDGET_GZIP),
        "search_index": group([INDEX_PATH], budget_gzip=SEARCH_INDEX_BUDGET_GZIP),
        "search_on_first_focus": group([INDEX_PATH, "static/search_client.js"]),
        "outside_names": group([OUTSIDE_PATH]),
        "mission_locale_answers": group(matching("communes/", "/mission-locale.json")),
        "outlines": group(matching("communes/", "/outline.json")),
        "grid": group([GRID_INDEX, *cells], largest_cell_gzip=max((measured[p][1] for p in cells), default=0)),
        "total": group([file.path for file in files]),
    }


def report_lines(manifest: dict, out_dir: Path, elapsed_s: float) -> list[str]:
    w = manifest["weights"]

    def line(name: str, entry: dict, note: str = "") -> str:
        budget = f" (budget {entry['budget_gzip']:,}{'' if entry['gzip'] <= entry['budget_gzip'] else ': OVER'})" \
            if "budget_gzip" in entry else ""
        return (f"{name:<24}{entry['files']:>6,} files {entry['bytes']:>12,} bytes {entry['gzip']:>11,} gzip"
                f"{budget}{note}")

    return [
        line("first load", w["first_load"], ": " + ", ".join(w["first_load"]["paths"])),
        line("search index", w["search_index"]),
        line("search on first focus", w["search_on_first_focus"], " (index + search_client.js)"),
        line("outside names", w["outside_names"], " (only when the region has no match as typed)"),
        line("mission locale answers", w["mission_locale_answers"]),
        line("outlines", w["outlines"]),
        line("grid", w["grid"], f" (largest cell {w['grid']['largest_cell_gzip']:,} gzip)"),
        line("total", w["total"], f" + {MANIFEST}"),
        f"{MANIFEST}: site written to {out_dir} in {elapsed_s:.1f} s",
    ]


# --- writing: a new folder, swapped in ------------------------------------------------------------

def _check_target(out_dir: Path) -> None:
    """DIR may be new, empty, or a previous build (it is replaced whole): never another folder."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise SiteExportError(f"{out_dir} is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        try:
            previous = json.loads((out_dir / MANIFEST).read_bytes()).get("format")
        except (OSError, ValueError, AttributeError):
            previous = None
        if previous != FORMAT:
            raise SiteExportError(f"{out_dir} is not empty and holds no static build ({MANIFEST}): "
                                  "choose a new or empty folder, it would be replaced whole")


def write_site(out_dir: Path, files: list[SiteFile]) -> None:
    _check_target(out_dir)
    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staged = out_dir.with_name(f".{out_dir.name}.building-{os.getpid()}")
    if staged.exists():
        shutil.rmtree(staged)
    try:
        staged.mkdir()  # mode 0777 less the umask, as the files: a web server's user may read them
        for file in files:
            path = staged / file.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(file.body)
        if out_dir.exists():
            _exchange(staged, out_dir)  # staged now holds the previous build
            shutil.rmtree(staged)
        else:
            os.rename(staged, out_dir)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically (Linux renameat2); elsewhere, two renames."""
    with contextlib.suppress(AttributeError, OSError):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
    aside = b.with_name(b.name + f".previous-{os.getpid()}")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)
