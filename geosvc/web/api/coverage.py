"""Coverage analysis over HTTP: indicators, communes, catchments, quality, zones vs nearest, scenarios.

Thin adapters over geosvc.coverage; every answer carries `method` and `data` (which data,
of which vintage). Tabular answers also come as CSV (`?format=csv`), with the same two
facts in the X-Geosvc-Method and X-Geosvc-Data headers (ASCII-escaped JSON).
"""

from __future__ import annotations

import json

from apiflask import APIBlueprint
from flask import Blueprint, Response, current_app, render_template

from geosvc.coverage import catchments, quality, scenarios, tables, zones
from geosvc.coverage.indicators import indicators
from geosvc.coverage.network import compute, stored_network
from geosvc.coverage.provenance import answer_meta
from geosvc.db import datasets
from geosvc.web.api.coverage_schemas import (
    AssignmentOut,
    CatchmentsQuery,
    CommunesCoverageOut,
    CommunesQuery,
    CoverageQuery,
    FormatQuery,
    IndicatorsOut,
    QualityOut,
    ScenarioIn,
    ScenarioOut,
)
from geosvc.web.ratelimit import expensive
from geosvc.web.state import assignment_cache, catchment_cache, read_db

bp = APIBlueprint("coverage", __name__, tag="Coverage")
page_bp = Blueprint("analyse", __name__)

GEOJSON = "application/geo+json"
# The non-JSON answers, documented in /openapi.json next to the JSON ones.
CSV_CONTENT = {"text/csv": {"schema": {"type": "string", "description": "RFC 4180 CSV, UTF-8, header line"}}}
GEOJSON_CONTENT = {GEOJSON: {"schema": {
    "type": "object", "required": ["type", "features"],
    "description": "GeoJSON FeatureCollection; foreign members name, method and data (source and vintage)",
    "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]}, "features": {"type": "array"}},
}}}
ERRORS = {400: "Invalid parameter", 429: "Rate limit exceeded", 503: "Database unavailable, or no data loaded"}


@bp.get("/coverage")
@bp.input(CoverageQuery, location="query")
@bp.output(IndicatorsOut)
@bp.doc(
    summary="Coverage indicators: region, departments, EPCI, sites, missions locales",
    responses={200: {"description": "JSON, or CSV with format=csv (table=areas, sites or missions_locales)",
                     "content": CSV_CONTENT}, **ERRORS},
)
@expensive
def get_coverage(query_data: dict):
    with read_db().cursor() as cursor:
        coverage = compute(cursor, stored_network(cursor))
        body = indicators(coverage, query_data["thresholds_km"], query_data["farthest"])
        meta = answer_meta(cursor)
    if query_data["format"] == "csv":
        return _indicators_csv(body, query_data["table"], meta)
    return body | meta


@bp.get("/coverage/communes")
@bp.input(CommunesQuery, location="query")
@bp.output(CommunesCoverageOut)
@bp.doc(
    summary="Every commune's nearest served sites (JSON, CSV, or GeoJSON polygons for a choropleth)",
    responses={200: {"description": "JSON; CSV with format=csv; GeoJSON polygons with format=geojson",
                     "content": CSV_CONTENT | GEOJSON_CONTENT}, **ERRORS},
)
@expensive
def get_communes(query_data: dict):
    with read_db().cursor() as cursor:
        coverage = compute(cursor, stored_network(cursor))
        selected = _select(coverage.communes, query_data)
        meta = answer_meta(cursor)
        if query_data["format"] == "geojson":
            wanted = {c.code for c in selected}
            features = [f for f in catchments.commune_features(cursor, coverage) if f[1]["code"] in wanted]
            return _geojson(features, "communes", meta)
    records = [tables.commune_record(commune, coverage) for commune in selected]
    if query_data["format"] == "csv":
        rows = [tables.commune_csv_row(record) for record in records]
        return _csv(tables.to_csv(rows, tables.COMMUNE_COLUMNS), "coverage_communes.csv", meta)
    return {"count": len(records), "communes": records, "method": meta["method"], "data": meta["data"]}


@bp.get("/coverage/catchments")
@bp.input(CatchmentsQuery, location="query")
@bp.doc(
    summary="Catchment polygons (by nearest site or its mission locale) or Voronoi cells, as GeoJSON",
    responses={200: {"description": "a GeoJSON FeatureCollection", "content": GEOJSON_CONTENT}, **ERRORS},
)
@expensive
def get_catchments(query_data: dict):
    by = query_data["by"]
    with read_db().cursor() as cursor:
        meta = answer_meta(cursor)
        version = datasets.data_fingerprint(cursor)

        def layer_text() -> str:
            features = catchments.layer(cursor, compute(cursor, stored_network(cursor)), by)
            method = catchments.VORONOI_METHOD if by == "voronoi" else catchments.CATCHMENT_METHOD
            return catchments.feature_collection(
                features, name=f"catchments by {by}", method=meta["method"], data=meta["data"], layer_method=method,
            )

        # the polygons only change with the data: dissolved once per data version and layer
        text = catchment_cache().get_or_compute((by, version), layer_text)
    return Response(text, mimetype=GEOJSON)


@bp.get("/coverage/quality")
@bp.output(QualityOut)
@bp.doc(summary="Data-quality report: incomplete communes, approximate, unserved, misplaced and duplicate sites",
        responses=[503])
def get_quality():
    with read_db().cursor() as cursor:
        return quality.report(cursor) | {"data": answer_meta(cursor)["data"]}


@bp.get("/coverage/assignment")
@bp.input(FormatQuery, location="query")
@bp.output(AssignmentOut)
@bp.doc(summary="Communes whose nearest site belongs to another mission locale than their own (the union's zones)",
        responses={200: {"description": "JSON, or CSV of the mismatches with format=csv", "content": CSV_CONTENT},
                   **ERRORS})
@expensive
def get_assignment(query_data: dict):
    answer_format = query_data["format"]
    cache = assignment_cache()
    with read_db().cursor() as cursor:
        version = datasets.data_fingerprint(cursor)

        def report() -> tuple[dict, dict]:
            return zones.report(cursor, compute(cursor, stored_network(cursor))), answer_meta(cursor)

        def encoded() -> tuple[str, dict]:
            body, meta = cache.get_or_compute(("report", version), report)
            if answer_format == "csv":
                return tables.to_csv(body["mismatches"], tables.MISMATCH_COLUMNS), meta
            document = AssignmentOut().dump(body | {"method": meta["method"], "data": meta["data"]})
            return current_app.json.response(document).get_data(as_text=True), meta

        # the region's assignment only changes with the data: computed, and encoded (the schema's
        # dump took most of a cached answer's time), once per data version and format
        text, meta = cache.get_or_compute((answer_format, version), encoded)
    if answer_format == "csv":
        return _csv(text, "assignment_mismatches.csv", meta)
    return current_app.response_class(text, mimetype="application/json")


@bp.post("/coverage/scenarios")
@bp.input(ScenarioIn, location="json")
@bp.output(ScenarioOut)
@bp.doc(
    summary="What-if: add, close or move sites; the same indicators plus deltas against the current network",
    description="Nothing is stored: the hypothetical network exists only for this request. "
    "Ids must be served sites, each used once; points must lie inside a commune of the region; "
    "a new site's mission_locale, when given, must be a code of GET /missions-locales.",
    responses=[400, 413, 429, 503],  # 413: bodies over 64 KiB (geosvc/security.py)
)
@expensive
def post_scenario(json_data: dict):
    with read_db().cursor() as cursor:
        result = scenarios.run(cursor, json_data, json_data["thresholds_km"], json_data["farthest"])
        return result | answer_meta(cursor)


@page_bp.get("/analyse")
def analyse_page():
    """The analyst page: choropleth, catchments, indicators, scenario form (geosvc/web/static/analyse.js)."""
    return render_template("analyse.html")


def _select(communes, query: dict) -> list:
    selected = [
        c for c in communes
        if query.get("departement") in (None, c.departement)
        and query.get("epci") in (None, c.epci)
        and ("beyond_km" not in query or c.distance_m > query["beyond_km"] * 1000)
    ]
    if query["order"] == "distance":
        selected.sort(key=lambda c: (-c.distance_m, c.code))
    return selected


def _indicators_csv(body: dict, table: str, meta: dict) -> Response:
    if table == "sites":
        text = tables.to_csv(body["sites"], tables.SITE_COLUMNS)
    elif table == "missions_locales":
        text = tables.to_csv(tables.mission_locale_csv_rows(body["missions_locales"]), tables.MISSION_LOCALE_COLUMNS)
    else:
        text = tables.to_csv(tables.area_csv_rows(body), tables.area_columns(body["thresholds_km"]))
    return _csv(text, f"coverage_{table}.csv", meta)


def _csv(text: str, filename: str, meta: dict) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    _provenance_headers(response, meta)
    return response


def _geojson(features, name: str, meta: dict) -> Response:
    text = catchments.feature_collection(features, name=name, method=meta["method"], data=meta["data"])
    return Response(text, mimetype=GEOJSON)


def _provenance_headers(response: Response, meta: dict) -> None:
    # HTTP headers are Latin-1: escape to ASCII JSON so the vintage text survives intact
    response.headers["X-Geosvc-Method"] = json.dumps(meta["method"])
    response.headers["X-Geosvc-Data"] = json.dumps(meta["data"], default=str, separators=(",", ":"))
