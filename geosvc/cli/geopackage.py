"""coverage.gpkg: the views of the `analyse` schema as one GeoPackage, styled for QGIS.

Layers `communes`, `zones`, `catchments`, `mismatch` and `sites` are read with SQL from the
views (geosvc/db/analyse.py; defined once, by revision 0003), with the same columns, CRS
EPSG:4326. Beside them:

* `layer_styles`: a default QGIS style per layer, in the table QGIS itself reads from a
  GeoPackage (its schema; geosvc/cli/qml.py writes the QML);
* `provenance`: one row per data set (file, source, vintage, rows, load time), the `data`
  block every answer of the API carries; each layer's description (gpkg_contents) and the
  file's metadata (gpkg_metadata) repeat its source and vintage.

Written with pyogrio (GDAL, bundled in its wheels) as GeoPackage 1.3, which GDAL 3.6 (Debian
12, and the QGIS built on it) reads without a warning; into a temporary file renamed at the
end, so a failure never leaves half a file where the previous one was. docs/QGIS.md.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import os
import tempfile
from pathlib import Path

import numpy as np
from psycopg import Cursor
from pyogrio.raw import write

from geosvc.cli import qml
from geosvc.db import analyse
from geosvc.db import transit as transit_sql
from geosvc.provenance import data_block, timetable_block

FILE_NAME = "coverage.gpkg"
DATASET_OPTIONS = {"VERSION": "1.3"}
GEOMETRY_TYPES = {"MULTIPOLYGON": "MultiPolygon", "POLYGON": "Polygon", "POINT": "Point", "MULTIPOINT": "MultiPoint"}
TEXT, INTEGER, BIG_INTEGER, REAL, BOOLEAN = "text", "int32", "int64", "float64", "bool"
# PostgreSQL type name -> field kind; any other type is written as its text
FIELD_KINDS = {
    "text": TEXT, "varchar": TEXT, "bpchar": TEXT, "name": TEXT,
    "int2": INTEGER, "int4": INTEGER, "int8": BIG_INTEGER,
    "float4": REAL, "float8": REAL, "numeric": REAL,
    "bool": BOOLEAN,
}

# (identifier, description) of each layer, as gpkg_contents holds them
TITLES = {
    "communes": ("Communes: nearest site and own mission locale",
                 "One row per commune: its nearest served site (any mission locale), its own mission locale (the "
                 "union's zones) and that one's nearest served site, extra_distance_m = own - nearest, mismatch "
                 "(the nearest site is another mission locale's; empty without a zone)."),
    "zones": ("Zones of the missions locales",
              "One row per mission locale with a zone: the union of its communes, geodesic area, and the distances "
              "of its communes to its nearest served site (mean, population-weighted mean, max)."),
    "catchments": ("Catchments by mission locale",
                   "The communes dissolved by the mission locale of their nearest served site, with the served "
                   "figures (communes, population, distances)."),
    "mismatch": ("Communes nearer another mission locale",
                 "The communes whose nearest served site belongs to another mission locale than their own, with "
                 "both distances and the extra distance."),
    "transit": ("Communes: time by TER to own mission locale and nearest site",
                "One row per commune: minutes by SNCF TER train or coach (no city bus) from its reference point, "
                "leaving at 08:00, to the first reached served site of its own mission locale (own_*) and to its "
                "nearest site (nearest_*), walking (4.5 km/h, at most 2 km) or biking (15 km/h, at most 8 km) to "
                "and from the stops; empty minutes: no trip arriving by 14:00."),
    "sites": ("Served sites",
              "The served mission locale sites; location_precision 'commune': placed at its commune's reference "
              "point (the distance is then approximate)."),
}
UNITS = "Distances: geodesic metres on the WGS84 ellipsoid from each commune's reference point, rounded to 0.1 m."

# QGIS's own layer_styles table, as it creates it in a GeoPackage (its OGR provider)
STYLE_FIELDS = ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML",
                "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time")
PROVENANCE_FIELDS = ("name", "file", "source", "vintage", "rows", "loaded_at", "records_from", "records_to")


def write_geopackage(cursor: Cursor, out_dir: Path) -> Path:
    """Write out_dir/coverage.gpkg (replacing it) from the `analyse` views; returns its path.

    `cursor` returns dict rows and sees one snapshot (the commands' read-only, repeatable-read
    cursor), so the layers agree with each other and with the other files of the report.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    # the TER timetable too: the `transit` layer's times come from it (its entry of the datasets table)
    provenance = data_block(cursor) | timetable_block(cursor)
    layers = [analyse.layer(cursor, name) for name in analyse.LAYERS]
    target = out_dir / FILE_NAME
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".coverage-gpkg-") as folder:
        path = Path(folder) / FILE_NAME
        run = transit_sql.run(cursor)
        attribution = f"Timetable of {run['service_date'].isoformat()}: {run['attribution']}" if run else None
        for layer in layers:
            _write_layer(path, layer, provenance, attribution)
        _write_provenance(path, provenance)
        _write_styles(path, layers)
        os.replace(path, target)
    return target


def data_summary(provenance: dict) -> str:
    """One line: each data set's vintage (the source is in the `provenance` table)."""
    parts = []
    for name, block in provenance.items():
        dated = block.get("records_dated")
        records = f", records dated {dated['from']} to {dated['to']}" if dated else ""
        parts.append(f"{name}: {block['vintage'] or 'vintage unknown'} ({block['file']}{records})")
    return "; ".join(parts)


def _write_layer(path: Path, layer: analyse.Layer, provenance: dict, attribution: str | None) -> None:
    identifier, description = TITLES[layer.name]
    if layer.name == "transit":  # the licence asks for the attribution beside the figures
        description += f" {attribution}." if attribution else " No TER timetable was loaded: no time."
    fields, data, masks = _fields(layer)
    geometry = np.empty(len(layer.rows), dtype=object)
    geometry[:] = [bytes(row[analyse.GEOMETRY_COLUMN]) if row[analyse.GEOMETRY_COLUMN] is not None else None
                   for row in layer.rows]
    write(
        str(path), geometry, data, fields, field_mask=masks, layer=layer.name, driver="GPKG",
        geometry_type=GEOMETRY_TYPES[layer.geometry_type.upper()], crs=f"EPSG:{layer.srid}",
        dataset_options=DATASET_OPTIONS,
        layer_options={"FID": "fid", "GEOMETRY_NAME": analyse.GEOMETRY_COLUMN, "IDENTIFIER": identifier,
                       "DESCRIPTION": f"{description} {UNITS} Data: {data_summary(provenance)}."},
        layer_metadata={"view": f"{analyse.SCHEMA}.{layer.name}", "key": layer.key},
        dataset_metadata={"title": "geosvc: coverage by the official zones of the missions locales",
                          "data": data_summary(provenance), "units": UNITS},
    )


def _fields(layer: analyse.Layer) -> tuple[list[str], list[np.ndarray], list[np.ndarray | None]]:
    names, data, masks = [], [], []
    for name, pg_type in layer.columns:
        values = [row[name] for row in layer.rows]
        array, mask = _array(values, FIELD_KINDS.get(pg_type))
        names.append(name)
        data.append(array)
        masks.append(mask)
    return names, data, masks


def _array(values: list, kind: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    if kind in (INTEGER, BIG_INTEGER, REAL, BOOLEAN):
        mask = np.array([value is None for value in values], dtype=bool)
        fill = False if kind == BOOLEAN else 0
        array = np.array([fill if value is None else value for value in values], dtype=kind)
        return array, mask if mask.any() else None
    array = np.empty(len(values), dtype=object)  # None stays a null
    array[:] = [value if value is None or isinstance(value, str) else str(value) for value in values]
    return array, None


def _write_provenance(path: Path, provenance: dict) -> None:
    rows = []
    for name, block in provenance.items():
        dated = block.get("records_dated") or {}
        rows.append((name, block["file"], block["source"], block["vintage"], block["rows"], block["loaded_at"],
                     dated.get("from"), dated.get("to")))
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(PROVENANCE_FIELDS)
    data, masks = [], []
    for field, values in zip(PROVENANCE_FIELDS, columns, strict=True):
        array, mask = _array(list(values), INTEGER if field == "rows" else TEXT)
        data.append(array)
        masks.append(mask)
    write(str(path), None, data, list(PROVENANCE_FIELDS), field_mask=masks, layer="provenance", driver="GPKG",
          layer_options={"FID": "fid", "IDENTIFIER": "Data sources and vintages",
                         "DESCRIPTION": "Where each loaded file comes from and which year it describes: the `data` "
                                        "block of every answer of the geosvc API."})


def _write_styles(path: Path, layers: list[analyse.Layer]) -> None:
    now = np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "ms")
    styles = [(layer.name, *_style(layer)) for layer in layers]  # (table, style name, QML)
    count = len(styles)
    text_columns = {
        "f_table_catalog": [""] * count, "f_table_schema": [""] * count,
        "f_table_name": [table for table, _, _ in styles],
        "f_geometry_column": [analyse.GEOMETRY_COLUMN] * count,
        "styleName": [name for _, name, _ in styles], "styleQML": [text for _, _, text in styles],
        "styleSLD": [""] * count, "description": [f"geosvc default style of {table}" for table, _, _ in styles],
        "owner": [""] * count, "ui": [""] * count,
    }
    data = []
    for field in STYLE_FIELDS:
        if field == "useAsDefault":
            data.append(np.ones(count, dtype=bool))
        elif field == "update_time":
            data.append(np.full(count, now))
        else:
            data.append(_array(text_columns[field], TEXT)[0])
    write(str(path), None, data, list(STYLE_FIELDS), layer="layer_styles", driver="GPKG",
          layer_options={"FID": "id"})


# --- the styles ------------------------------------------------------------------------

KM = 1000.0
BEYOND = 10_000 * KM  # the upper bound of a last, open class
DISTANCE_CLASSES = [(0, 5), (5, 10), (10, 15), (15, 20), (20, 30), (30, None)]
DISTANCE_COLORS = ["255,255,178", "254,217,118", "254,178,76", "253,141,60", "240,59,32", "189,0,38"]
NO_TRIP_MINUTES = 9999  # above any time: the 14:00 cutoff is 360 min after 08:00
MINUTE_CLASSES = [(0, 30, "up to 30 min"), (30, 60, "30–60 min"), (60, 90, "60–90 min"),
                  (90, 360, "more than 90 min"), (360, NO_TRIP_MINUTES, "no trip arriving by 14:00")]
MINUTE_COLORS = ["26,152,80", "145,207,96", "254,224,139", "252,141,89", "120,120,120"]
EXTRA_CLASSES = [(0, 2), (2, 5), (5, 10), (10, 20), (20, None)]
EXTRA_COLORS = ["242,240,247", "203,201,226", "158,154,200", "117,107,177", "84,39,143"]


def _style(layer: analyse.Layer) -> tuple[str, str]:
    """(style name, QML) of a layer."""
    if layer.name == "communes":
        return "distance to own mission locale", qml.graduated(
            "own_distance_m", _classes(DISTANCE_CLASSES, DISTANCE_COLORS, outline="150,150,150,255"))
    if layer.name == "mismatch":
        return "extra distance", qml.graduated(
            "extra_distance_m", _classes(EXTRA_CLASSES, EXTRA_COLORS, outline="110,110,110,255"))
    if layer.name == "transit":
        # NULL minutes (no trip by 14:00) would not be drawn by a graduated renderer: the expression
        # puts them in a class of their own
        return "time by TER to own mission locale, walking", qml.graduated(
            f'coalesce("own_walk_minutes", {NO_TRIP_MINUTES})', _minute_classes())
    if layer.name == "zones":
        return "zone outlines", qml.single(
            qml.Fill("0,0,0,0", outline="30,30,30,255", outline_width_mm=0.6, filled=False), label="name")
    if layer.name == "catchments":
        codes = sorted({(row["mission_locale"], row["mission_locale_name"] or row["mission_locale"])
                        for row in layer.rows})
        return "by mission locale", qml.categorized("mission_locale", [
            (code, name, qml.Fill(_hue(index), outline="255,255,255,255", outline_width_mm=0.3))
            for index, (code, name) in enumerate(codes)
        ])
    return "by location precision", qml.categorized("location_precision", [
        ("address", "at its address", qml.Marker("31,73,125,255")),
        ("commune", "at its commune's reference point (approximate)",
         qml.Marker("255,255,255,255", outline="31,73,125,255")),
    ])


def _classes(bounds, colors, outline: str) -> list[tuple[float, float, str, qml.Fill]]:
    classes = []
    for (lower, upper), color in zip(bounds, colors, strict=True):
        legend = f"{lower}–{upper} km" if upper is not None else f"more than {lower} km"
        top = upper * KM if upper is not None else BEYOND
        classes.append((lower * KM, top, legend, qml.Fill(f"{color},255", outline=outline, outline_width_mm=0.05)))
    return classes


def _minute_classes() -> list[tuple[float, float, str, qml.Fill]]:
    return [(lower, upper, legend, qml.Fill(f"{color},255", outline="150,150,150,255", outline_width_mm=0.05))
            for (lower, upper, legend), color in zip(MINUTE_CLASSES, MINUTE_COLORS, strict=True)]


def _hue(index: int) -> str:
    """Distinct colours for neighbouring categories: hues a golden angle apart."""
    red, green, blue = colorsys.hsv_to_rgb((index * 0.381966) % 1.0, 0.45, 0.95)
    return f"{round(red * 255)},{round(green * 255)},{round(blue * 255)},200"
