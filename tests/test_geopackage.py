"""coverage.gpkg and the `analyse` views, read by a GIS client nobody here wrote: Debian's GDAL (`ogrinfo`).

The GeoPackage is written by geosvc/cli/geopackage.py from the views of revision 0003; `ogrinfo`
(gdal-bin, installed by scripts/setup.sh) reads it, and reads the same views from PostgreSQL as
the read-only role, as QGIS does (docs/QGIS.md). The expected figures come from elsewhere: row
counts of the tables, and the API's own answers (GET /coverage/assignment, /coverage/catchments).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import psycopg
import pytest
from psycopg.rows import dict_row
from sqlalchemy import make_url

from geosvc.cli.coverage_commands import read_cursor
from geosvc.cli.geopackage import FILE_NAME, write_geopackage
from geosvc.db import analyse
from geosvc.db.pool import libpq_url
from tests.conftest import READER_URL, SYNTHETIC_DIR, ingest_into, running_app, settings_for

LAYERS = ("communes", "zones", "catchments", "mismatch", "sites", "transit")
GEOMETRIES = {"communes": "Multi Polygon", "zones": "Multi Polygon", "catchments": "Multi Polygon",
              "mismatch": "Multi Polygon", "sites": "Point", "transit": "Multi Polygon"}
EPSG_4326 = 'ID["EPSG",4326]'


def ogrinfo(*args: str, password: str | None = None) -> str:
    executable = shutil.which("ogrinfo")
    assert executable, "ogrinfo is missing: Debian's gdal-bin (scripts/setup.sh installs it)"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if password is not None:
        env["PGPASSWORD"] = password  # not on the command line
    result = subprocess.run([executable, "-ro", *args], capture_output=True, text=True, env=env, check=False,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ERROR" not in result.stderr, result.stderr
    return result.stdout


def postgresql(url: str) -> tuple[str, str]:
    """GDAL's PG: data source of the database of `url`, as the read-only role, and its password."""
    database = make_url(url).database
    source = (f"PG:host={READER_URL.host or '127.0.0.1'} port={READER_URL.port or 5432} dbname={database} "
              f"user={READER_URL.username}")
    return source, READER_URL.password or ""


def layer_summaries(text: str) -> dict[str, dict]:
    """`ogrinfo -so` -> {layer: {geometry, count, crs (the WKT), fields: [names]}}."""
    layers = {}
    for block in re.split(r"^Layer name: ", text, flags=re.M)[1:]:
        name, _, body = block.partition("\n")
        geometry = re.search(r"^Geometry: (.+)$", body, re.M)
        count = re.search(r"^Feature Count: (\d+)$", body, re.M)
        fields = re.findall(r"^(\w+): \w[\w() ]* \(\d+\.\d+\)(?: .*)?$", body, re.M)  # then UNIQUE, NOT NULL
        layers[name.strip()] = {
            "geometry": geometry.group(1) if geometry else None,
            "count": int(count.group(1)) if count else None,
            "crs": body.partition("Layer SRS WKT:")[2],
            "fields": fields,
        }
    return layers


def features(text: str) -> list[dict[str, str | None]]:
    """`ogrinfo -q -geom=NO` -> one dict of field texts per feature, None for a null."""
    out = []
    for block in re.split(r"^OGRFeature\([^)]*\):\d+$", text, flags=re.M)[1:]:
        row = {}
        for name, value in re.findall(r"^  (\w+) \(.+?\) = (.*)$", block, re.M):  # (Integer(Boolean))
            row[name] = None if value == "(null)" else value
        out.append(row)
    return out


def metres(value: str | None) -> float | None:
    return None if value is None else float(value)


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gpkg(api_url, tmp_path_factory):
    """coverage.gpkg written as `geosvc coverage report` writes it: the commands' read-only cursor."""
    out = tmp_path_factory.mktemp("geopackage")
    with read_cursor(settings_for(api_url)) as cursor:
        path = write_geopackage(cursor, out)
    assert path == out / FILE_NAME
    return path


@pytest.fixture(scope="module")
def expected(api_url):
    """Feature counts from the tables and from the API (its dissolve may take more than the
    service's 1.5 s on a busy machine: an app of its own with a longer statement time limit)."""
    with running_app(settings_for(api_url, statement_timeout_ms=60_000)) as app:
        return _expected(api_url, app.test_client())


def _expected(api_url, client) -> dict:
    with psycopg.connect(libpq_url(api_url), row_factory=dict_row) as connection:
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM communes) AS communes, "
            "(SELECT count(DISTINCT mission_locale) FROM zones) AS zones, "
            "(SELECT count(*) FROM mission_sites WHERE status = 'served') AS sites"
        ).fetchone()
        columns = {
            name: [row["column_name"] for row in connection.execute(
                "SELECT a.attname AS column_name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'analyse' AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
                "AND a.attname <> 'geom' ORDER BY a.attnum", (name,)).fetchall()]
            for name in LAYERS
        }
    assignment = client.get("/coverage/assignment").get_json()
    catchments = client.get("/coverage/catchments?by=mission_locale").get_json()
    return {
        "counts": {**counts, "mismatch": assignment["communes_nearest_other"],
                   "catchments": len(catchments["features"]), "transit": counts["communes"]},
        "columns": columns,
        "assignment": assignment,
    }


# --- layers, counts, geometry types, CRS -----------------------------------------------------

def test_the_figures_of_this_data(expected):
    assert expected["counts"] == {"communes": 3782, "zones": 42, "sites": 53, "mismatch": 932, "catchments": 42,
                                  "transit": 3782}


def test_the_geopackage_holds_the_views_as_layers(gpkg, expected):
    listing = ogrinfo(str(gpkg))
    for number, name in enumerate(LAYERS, start=1):
        assert f"{number}: {name} ({GEOMETRIES[name]})" in listing
    assert "provenance (None)" in listing and "layer_styles (None)" in listing
    summaries = layer_summaries(ogrinfo("-so", "-al", str(gpkg)))
    assert set(summaries) == {*LAYERS, "provenance", "layer_styles"}
    for name in LAYERS:
        summary = summaries[name]
        assert summary["count"] == expected["counts"][name], name
        assert summary["geometry"] == GEOMETRIES[name], name
        assert EPSG_4326 in summary["crs"], name
        assert summary["fields"] == expected["columns"][name], name  # the view's columns, in its order


def test_the_views_read_by_the_read_only_role(api_url, expected):
    source, password = postgresql(api_url)
    listing = ogrinfo(source, password=password)
    for name in LAYERS:
        assert f"analyse.{name} ({GEOMETRIES[name]})" in listing
    summaries = layer_summaries(ogrinfo("-so", source, *(f"analyse.{name}" for name in LAYERS), password=password))
    for name in LAYERS:
        summary = summaries[f"analyse.{name}"]
        assert summary["count"] == expected["counts"][name], name
        assert summary["geometry"] == GEOMETRIES[name], name
        assert EPSG_4326 in summary["crs"], name
        assert summary["fields"] == expected["columns"][name], name


def test_own_and_nearest_distances_are_the_assignment_answer(gpkg, api_url, expected):
    mismatches = {m["code"]: m for m in expected["assignment"]["mismatches"]}
    rows = features(ogrinfo("-q", "-geom=NO", str(gpkg), "mismatch"))
    assert sorted(row["code"] for row in rows) == sorted(mismatches)
    for row in rows:
        answer = mismatches[row["code"]]
        assert row["own_mission_locale"] == answer["mission_locale"], row["code"]
        assert row["nearest_site_id"] == answer["nearest_site_id"], row["code"]
        assert row["nearest_mission_locale"] == answer["nearest_mission_locale"], row["code"]
        for field in ("own_distance_m", "nearest_distance_m", "extra_distance_m"):
            assert metres(row[field]) == answer[field], (row["code"], field)

    # the largest extra distance, through PostgreSQL, in both views
    first = expected["assignment"]["mismatches"][0]
    source, password = postgresql(api_url)
    for view in ("analyse.mismatch", "analyse.communes"):
        [row] = features(ogrinfo("-q", "-geom=NO", source, view, "-where", f"code = '{first['code']}'",
                                 password=password))
        assert metres(row["own_distance_m"]) == first["own_distance_m"]
        assert metres(row["extra_distance_m"]) == first["extra_distance_m"]
        assert row["own_site_id"] == first["own_site_id"]
    assert row["mismatch"] == "1"


def test_communes_are_mismatched_exactly_where_the_api_says(gpkg, expected):
    rows = features(ogrinfo("-q", "-geom=NO", str(gpkg), "-sql",
                            "SELECT code, mismatch FROM communes WHERE mismatch = 1"))
    assert len(rows) == expected["counts"]["mismatch"]
    assert {row["code"] for row in rows} == {m["code"] for m in expected["assignment"]["mismatches"]}


# --- styles and provenance -------------------------------------------------------------------

def test_every_layer_has_a_default_qgis_style(gpkg):
    rows = features(ogrinfo("-q", str(gpkg), "-sql",
                            "SELECT f_table_name, f_table_schema, f_geometry_column, useAsDefault, styleName "
                            "FROM layer_styles ORDER BY f_table_name"))
    assert [row["f_table_name"] for row in rows] == sorted(LAYERS)
    # what QGIS looks for (its OGR provider): an empty schema, the geometry column, a default
    assert all(row["f_table_schema"] is None or row["f_table_schema"] == "" for row in rows)
    assert {row["f_geometry_column"] for row in rows} == {"geom"}
    assert {row["useAsDefault"] for row in rows} == {"1"}
    with sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True) as connection:
        styles = dict(connection.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    renderers = {name: ET.fromstring(styles[name].split("\n", 1)[1]).find("renderer-v2") for name in LAYERS}
    assert renderers["communes"].get("type") == "graduatedSymbol"
    assert renderers["communes"].get("attr") == "own_distance_m"
    assert len(renderers["communes"].findall("ranges/range")) == 6
    assert renderers["mismatch"].get("attr") == "extra_distance_m"
    assert renderers["zones"].get("type") == "singleSymbol"
    assert renderers["catchments"].get("type") == "categorizedSymbol"
    assert len(renderers["catchments"].findall("categories/category")) == 42
    assert {c.get("value") for c in renderers["sites"].findall("categories/category")} == {"address", "commune"}
    # the TER times: no trip (NULL minutes) in a class of its own (tests/test_transit_indicators.py)
    assert renderers["transit"].get("attr") == 'coalesce("own_walk_minutes", 9999)'
    assert len(renderers["transit"].findall("ranges/range")) == 5


def test_the_geopackage_says_where_the_data_comes_from(gpkg, expected):
    data = expected["assignment"]["data"]
    rows = {row["name"]: row for row in features(ogrinfo("-q", str(gpkg), "provenance"))}
    assert set(rows) == set(data) | {"timetable"}  # the TER timetable of the `transit` layer
    for name, block in data.items():
        assert rows[name]["vintage"] == block["vintage"]
        assert rows[name]["source"] == block["source"]
        assert int(rows[name]["rows"]) == block["rows"]
    summary = ogrinfo("-so", str(gpkg), "communes")
    assert "DESCRIPTION=One row per commune" in summary
    assert data["communes"]["vintage"] in summary and data["zones"]["vintage"] in summary


def test_a_new_file_replaces_the_old_one_and_nothing_else_is_left(api_url, tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"an older file")
    with read_cursor(settings_for(api_url)) as cursor:
        write_geopackage(cursor, tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == [FILE_NAME]
    assert (tmp_path / FILE_NAME).read_bytes().startswith(b"SQLite format 3\x00")


# --- ingestion: the views follow the data, the reader keeps its grants -----------------------

def test_an_ingestion_refreshes_the_views_and_the_reader_keeps_reading_them(fresh_db, tmp_path):
    # a different data set: 6 synthetic communes, no zones, sites of no mission locale
    ingest_into(fresh_db, SYNTHETIC_DIR, allow_shrink=True)
    source, password = postgresql(fresh_db)
    summaries = layer_summaries(ogrinfo("-so", source, *(f"analyse.{name}" for name in LAYERS), password=password))
    assert {name: summaries[f"analyse.{name}"]["count"] for name in LAYERS} == {
        "communes": 6, "zones": 0, "catchments": 0, "mismatch": 0, "sites": 2, "transit": 6,
    }
    with read_cursor(settings_for(fresh_db)) as cursor:  # empty layers are still layers
        path = write_geopackage(cursor, tmp_path)
    summaries = layer_summaries(ogrinfo("-so", "-al", str(path)))
    assert {name: summaries[name]["count"] for name in LAYERS} == {
        "communes": 6, "zones": 0, "catchments": 0, "mismatch": 0, "sites": 2, "transit": 6,
    }
    assert summaries["zones"]["geometry"] == "Multi Polygon" and EPSG_4326 in summaries["zones"]["crs"]

    ingest_into(fresh_db)  # the region again
    summaries = layer_summaries(ogrinfo("-so", source, "analyse.zones", "analyse.catchments", password=password))
    assert summaries["analyse.zones"]["count"] == 42
    assert summaries["analyse.catchments"]["count"] == 42


def test_readers_do_not_wait_for_the_refresh_of_an_ingestion(fresh_db):
    reader = make_url(fresh_db).set(username=READER_URL.username, password=READER_URL.password)
    with psycopg.connect(libpq_url(fresh_db)) as owner:
        with owner.cursor() as cursor:
            cursor.execute("DELETE FROM commune_nearest")  # as an ingestion does, before its COPY
            refreshed = analyse.refresh(cursor)  # not committed yet
        assert refreshed == ["catchments", "zones"]
        with psycopg.connect(libpq_url(reader.render_as_string(hide_password=False))) as connection:
            connection.execute("SET lock_timeout = '1s'")
            # the rows of before the ingestion, without waiting for its commit
            assert connection.execute('SELECT count(*) FROM "analyse".catchments').fetchone()[0] == 42
            assert connection.execute('SELECT count(*) FROM "analyse".zones').fetchone()[0] == 42
        owner.rollback()
