"""Coverage analysis over HTTP: indicators (nearest site, and own mission locale by the union's zones),
communes, catchments, quality, zones vs nearest (assignment), scenarios.

Thin adapters over geosvc.coverage; every answer carries `method` and `data` (which data,
of which vintage). Tabular answers also come as CSV (`?format=csv`), with the same two
facts in the X-Geosvc-Method and X-Geosvc-Data headers (ASCII-escaped JSON).
"""

from __future__ import annotations

import json

from apiflask import APIBlueprint
from flask import Blueprint, Response, current_app, render_template

from geosvc.core.errors import NotFound
from geosvc.coverage import catchments, quality, scenarios, tables, transit, transit_scenario, zones
from geosvc.coverage import own as own_sites
from geosvc.coverage.indicators import indicators
from geosvc.coverage.network import Coverage, compute, stored_network
from geosvc.coverage.own import Own
from geosvc.coverage.provenance import answer_meta
from geosvc.db import coverage as coverage_sql
from geosvc.db import datasets
from geosvc.web.api.coverage_schemas import (
    AssignmentOut,
    AssignmentQuery,
    CatchmentsQuery,
    CommunesCoverageOut,
    CommunesQuery,
    CoverageQuery,
    IndicatorsOut,
    QualityOut,
    ScenarioIn,
    ScenarioOut,
    TerAccessCommunesOut,
    TerAccessCommunesQuery,
    TerAccessOut,
    TerAccessQuery,
    TerAccessWorstQuery,
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
    summary="Coverage indicators: region, departments, EPCI, sites, missions locales, and by the official zones",
    description="Each area also has `own`: the same figures over the distance to one's own mission locale (the "
    "union's zones); `zones` gives them per mission locale's zone. Without zones: `own_mission_locale.available` "
    "is false with the reason.",
    responses={200: {"description": "JSON, or CSV with format=csv (table=areas, sites, missions_locales or zones)",
                     "content": CSV_CONTENT}, **ERRORS},
)
@expensive
def get_coverage(query_data: dict):
    with read_db().cursor() as cursor:
        coverage, own = _current(cursor)
        body = indicators(coverage, query_data["thresholds_km"], query_data["farthest"], own)
        meta = answer_meta(cursor)
    if query_data["format"] == "csv":
        return _indicators_csv(body, query_data["table"], meta)
    # Encoded as is: the body holds exactly IndicatorsOut's fields, in JSON's own types, so the
    # schema's dump would change nothing (tests/test_coverage_zones.py checks it) and it took a
    # third of the answer's time once the zones were added.
    return current_app.json.response(body | meta)


@bp.get("/coverage/communes")
@bp.input(CommunesQuery, location="query")
@bp.output(CommunesCoverageOut)
@bp.doc(
    summary="Every commune's nearest served sites and own mission locale's (JSON, CSV, or GeoJSON polygons)",
    responses={200: {"description": "JSON; CSV with format=csv; GeoJSON polygons with format=geojson",
                     "content": CSV_CONTENT | GEOJSON_CONTENT},
               404: "zone: no mission locale has this code", **ERRORS},
)
@expensive
def get_communes(query_data: dict):
    with read_db().cursor() as cursor:
        coverage, own = _current(cursor)
        selected = _select(coverage, own, query_data)
        meta = answer_meta(cursor)
        if query_data["format"] == "geojson":
            wanted = {c.code for c in selected}
            features = [f for f in catchments.commune_features(cursor, coverage, own) if f[1]["code"] in wanted]
            if query_data["order"] != "code":  # the features in the order asked for
                rank = {c.code: i for i, c in enumerate(selected)}
                features.sort(key=lambda f: rank[f[1]["code"]])
            return _geojson(features, "communes", meta)
    records = [tables.commune_record(commune, coverage, own) for commune in selected]
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
            features = catchments.layer(cursor, _current(cursor)[0], by)
            return catchments.feature_collection(
                features, name=f"catchments by {by}", method=meta["method"], data=meta["data"],
                layer_method=catchments.layer_method(by),
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
@bp.input(AssignmentQuery, location="query")
@bp.output(AssignmentOut)
@bp.doc(summary="Zones vs catchments: communes whose nearest site belongs to another mission locale than their own",
        description="format=csv: the mismatches (table=mismatches) or the zone x catchment cross-table "
        "(table=cross); format=geojson: the mismatched communes' polygons, a map layer.",
        responses={200: {"description": "JSON; CSV with format=csv; GeoJSON polygons with format=geojson",
                         "content": CSV_CONTENT | GEOJSON_CONTENT}, **ERRORS})
@expensive
def get_assignment(query_data: dict):
    answer_format = query_data["format"]
    kind = f"csv-{query_data['table']}" if answer_format == "csv" else answer_format
    cache = assignment_cache()
    with read_db().cursor() as cursor:
        version = datasets.data_fingerprint(cursor)

        def report() -> tuple[dict, dict]:
            return zones.report(cursor, *_current(cursor)), answer_meta(cursor)

        def encoded() -> tuple[str, dict]:
            body, meta = cache.get_or_compute(("report", version), report)
            if kind == "csv-mismatches":
                return tables.to_csv(body["mismatches"], tables.MISMATCH_COLUMNS), meta
            if kind == "csv-cross":
                return tables.to_csv(body["cross_table"], tables.CROSS_COLUMNS), meta
            if kind == "geojson":
                features = zones.mismatch_features(cursor, body)
                layer = catchments.feature_collection(
                    features, name="communes nearer another mission locale's site", method=meta["method"],
                    data=meta["data"], layer_method=zones.DEFINITION, available=body["available"],
                    reason=body["reason"],
                )
                return layer, meta
            document = AssignmentOut().dump(body | {"method": meta["method"], "data": meta["data"]})
            return current_app.json.response(document).get_data(as_text=True), meta

        # the region's assignment only changes with the data: computed, and encoded (the schema's
        # dump took most of a cached answer's time), once per data version and format
        text, meta = cache.get_or_compute((kind, version), encoded)
    if kind == "geojson":
        return Response(text, mimetype=GEOJSON)
    if answer_format == "csv":
        name = "assignment_mismatches.csv" if kind == "csv-mismatches" else "zone_catchment.csv"
        return _csv(text, name, meta)
    return current_app.response_class(text, mimetype="application/json")


@bp.post("/coverage/scenarios")
@bp.input(ScenarioIn, location="json")
@bp.output(ScenarioOut)
@bp.doc(
    summary="What-if: add, close or move sites; the same indicators plus deltas against the current network",
    description="Nothing is stored: the hypothetical network exists only for this request. "
    "Ids must be served sites, each used once; points must lie inside a commune of the region; "
    "a new site's mission_locale, when given, must be a code of GET /missions-locales. "
    "`ter`: the change in TER access; the communes whose own or nearest sites change are routed again over the "
    "timetable of the stored travel times (`ter.available` false, with `ter.reason`, when there is none).",
    responses=[400, 413, 429, 503],  # 413: bodies over 64 KiB (geosvc/security.py)
)
@expensive
def post_scenario(json_data: dict):
    settings = current_app.config["GEOSVC_SETTINGS"]
    files = transit_scenario.Files(settings.data_dir, settings.cache_dir)
    with read_db().cursor() as cursor:
        result = scenarios.run(cursor, json_data, json_data["thresholds_km"], json_data["farthest"],
                               current=_current(cursor), transit_files=files)
        return result | answer_meta(cursor)


TRANSIT_NOTE = ("SNCF TER trains and coaches only (no city or departmental bus), on the timetable of one day of "
                "early 2025; `timetable` gives its date and the attribution to show with the figures (ODbL)")


@bp.get("/coverage/transit")
@bp.input(TerAccessQuery, location="query")
@bp.output(TerAccessOut)
@bp.doc(
    summary="Access by TER: population and communes within 30, 60, 90 min and with no trip, by area",
    description="By region, department, EPCI and zone (a commune on several zones counts in each), for the "
    "commune's own mission locale and its nearest site, walking or biking to and from the stops. " + TRANSIT_NOTE
    + ". Without a timetable: `available` false and no area.",
    responses={200: {"description": "JSON, or CSV with format=csv (one row per area, target and mode)",
                     "content": CSV_CONTENT}, **ERRORS},
)
@expensive
def get_transit(query_data: dict):
    by = query_data["by"]
    levels = list(transit.LEVELS) if by == "all" else [by]
    with read_db().cursor() as cursor:
        meta = transit.answer_meta(cursor)
        areas = transit.indicators(cursor, query_data["thresholds_min"], levels) if meta["available"] else []
    thresholds = sorted(set(query_data["thresholds_min"]))
    if query_data["format"] == "csv":
        text = tables.to_csv(transit.indicator_rows(areas, meta["timetable"]), transit.indicator_columns(thresholds))
        return _transit_csv(text, "coverage_transit.csv", meta)
    # encoded as is, like GET /coverage: the body holds exactly TerAccessOut's fields (tests check the dump)
    return current_app.json.response({"by": by, "thresholds_min": thresholds, "areas": areas} | meta)


@bp.get("/coverage/transit/communes")
@bp.input(TerAccessCommunesQuery, location="query")
@bp.output(TerAccessCommunesOut)
@bp.doc(
    summary="Every commune's time by TER to its own mission locale and to its nearest site, walking and biking",
    description=TRANSIT_NOTE + ". format=geojson: the commune polygons with the four times (a map layer); "
    "order=worst: the worst served first, by `target` and `mode`.",
    responses={200: {"description": "JSON; CSV with format=csv; GeoJSON polygons with format=geojson",
                     "content": CSV_CONTENT | GEOJSON_CONTENT},
               404: "zone: no mission locale has this code", **ERRORS},
)
@expensive
def get_transit_communes(query_data: dict):
    return _transit_communes(query_data)


@bp.get("/coverage/transit/worst")
@bp.input(TerAccessWorstQuery, location="query")
@bp.output(TerAccessCommunesOut)
@bp.doc(
    summary="The communes worst served by TER: no trip first (most inhabitants first), then the longest times",
    description="Ranked by `target` and `mode` (own walk by default); communes without that target are left "
    "out. The same records as /coverage/transit/communes. " + TRANSIT_NOTE + ".",
    responses={200: {"description": "JSON, or CSV with format=csv", "content": CSV_CONTENT},
               404: "zone: no mission locale has this code", **ERRORS},
)
@expensive
def get_transit_worst(query_data: dict):
    return _transit_communes(query_data | {"order": "worst", "legs": True})


@page_bp.get("/analyse")
def analyse_page():
    """The analyst page: choropleth, catchments, indicators, scenario form (geosvc/web/static/analyse.js)."""
    return render_template("analyse.html")


def _current(cursor) -> tuple[Coverage, Own]:
    """The current network's coverage and own sites, computed once per data version.

    They only change with an ingestion (the network is the stored one), like the catchment
    polygons they are kept beside; reading and shaping them (~0.1 s), and measuring the zones'
    areas (~0.2 s), took most of GET /coverage's time. Immutable: shared by every request.
    """
    version = datasets.data_fingerprint(cursor)

    def build() -> tuple[Coverage, Own]:
        network = stored_network(cursor)
        return compute(cursor, network), own_sites.compute(cursor, network, own_sites.zone_areas(cursor))

    return catchment_cache().get_or_compute(("current coverage", version), build)


def _select(coverage, own, query: dict) -> list:
    zone = None
    if "zone" in query:
        mission = coverage.network.missions_locales.get(query["zone"])
        if mission is None:
            raise NotFound(f"zone: no mission locale has the code {query['zone']} (see GET /missions-locales)",
                           code="mission_locale_not_found")
        zone = set(mission.zone)
    nearest_own = {c.code: own.nearest(c.code) for c in coverage.communes}

    def own_distance(commune) -> float | None:
        best = nearest_own[commune.code]
        return None if best is None else best.distance_m

    selected = [
        c for c in coverage.communes
        if query.get("departement") in (None, c.departement)
        and query.get("epci") in (None, c.epci)
        and (zone is None or c.code in zone)
        and ("beyond_km" not in query or c.distance_m > query["beyond_km"] * 1000)
        and ("own_beyond_km" not in query
             or (own_distance(c) is not None and own_distance(c) > query["own_beyond_km"] * 1000))
    ]
    if query["order"] == "distance":
        selected.sort(key=lambda c: (-c.distance_m, c.code))
    elif query["order"] == "own_distance":
        selected.sort(key=lambda c: (own_distance(c) is None, -(own_distance(c) or 0), c.code))
    return selected


def _indicators_csv(body: dict, table: str, meta: dict) -> Response:
    if table == "sites":
        text = tables.to_csv(body["sites"], tables.SITE_COLUMNS)
    elif table == "zones":
        text = tables.to_csv(tables.zone_csv_rows(body["zones"]), tables.zone_columns(body["thresholds_km"]))
    elif table == "missions_locales":
        text = tables.to_csv(tables.mission_locale_csv_rows(body["missions_locales"]), tables.MISSION_LOCALE_COLUMNS)
    else:
        text = tables.to_csv(tables.area_csv_rows(body), tables.area_columns(body["thresholds_km"]))
    return _csv(text, f"coverage_{table}.csv", meta)


def _transit_communes(query: dict):
    with read_db().cursor() as cursor:
        meta = transit.answer_meta(cursor)
        version = datasets.data_fingerprint(cursor)
        # every commune's results only change with the data (reading the legs takes ~0.5 s)
        records = catchment_cache().get_or_compute(("transit communes", version), lambda: transit.communes(cursor))
        selected = transit.select(records, query)
        if query["format"] == "geojson":
            geometries = coverage_sql.commune_geometries(cursor)
            features = [(geometries[r["code"]], transit.layer_properties(r)) for r in selected]
            text = catchments.feature_collection(
                features, name="communes: time by TER", method=meta["method"], includes=meta["includes"],
                excludes=meta["excludes"], timetable=meta["timetable"], data=meta["data"],
                available=meta["available"], reason=meta["reason"])
            return Response(text, mimetype=GEOJSON)
    if query["format"] == "csv":
        text = tables.to_csv(transit.commune_rows(selected, meta["timetable"]), transit.COMMUNE_COLUMNS)
        return _transit_csv(text, f"coverage_transit_{query['order']}.csv", meta)
    if not query["legs"]:
        selected = transit.without_legs(selected)
    return current_app.json.response({"count": len(selected), "order": query["order"], "target": query["target"],
                                      "mode": query["mode"], "communes": selected} | meta)


def _transit_csv(text: str, filename: str, meta: dict) -> Response:
    response = _csv(text, filename, meta)
    # the timetable's date and attribution travel with the file (also in its last two columns)
    response.headers["X-Geosvc-Timetable"] = json.dumps(meta["timetable"], separators=(",", ":"))
    return response


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
