"""`geosvc coverage report --out DIR`: every coverage output as files, from one snapshot.

All figures come from the same functions (and the same JSON schema) as the API, inside
one read-only, repeatable-read transaction, so the files agree with each other and with
what GET /coverage answers on the same data.
"""

from __future__ import annotations

import json
from pathlib import Path

from psycopg import Cursor

from geosvc.cli import html_map, sheets
from geosvc.cli.geopackage import write_geopackage
from geosvc.coverage import catchments, charts, quality, tables, transit, zones
from geosvc.coverage import own as own_sites
from geosvc.coverage.catchments import feature_collection
from geosvc.coverage.indicators import indicators
from geosvc.coverage.network import compute, stored_network
from geosvc.coverage.provenance import answer_meta
from geosvc.db import coverage as sql
from geosvc.web.api.coverage_schemas import AssignmentOut, IndicatorsOut, QualityOut, TerAccessOut


def write_report(cursor: Cursor, out_dir: Path, thresholds_km: list[float], farthest: int) -> list[Path]:
    """Write the report's files into out_dir (created if needed); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    network = stored_network(cursor)
    coverage = compute(cursor, network)
    own = own_sites.compute(cursor, network, own_sites.zone_areas(cursor))
    meta = answer_meta(cursor)
    body = IndicatorsOut().dump(indicators(coverage, thresholds_km, farthest, own) | meta)
    title = body["region"]["nom"]
    assignment = AssignmentOut().dump(zones.report(cursor, coverage, own) | {"method": meta["method"],
                                                                            "data": meta["data"]})
    written = _tables(out_dir, coverage, own, body, assignment)
    written += _transit_files(cursor, out_dir)
    written += _json_files(cursor, out_dir, body, assignment, meta)
    layers, communes = _geojson_files(cursor, out_dir, coverage, own, meta)
    written += [out_dir / "communes.geojson"] + [out_dir / f"catchments_{name}.geojson" for name in layers]
    thresholds = body["thresholds_km"]
    written.append(charts.distance_distribution(coverage, thresholds, out_dir / "distance_distribution.png", title))
    written.append(charts.cumulative_population(coverage, thresholds, out_dir / "population_by_distance.png", title))
    written.append(_write(out_dir / "map.html", html_map.render(title, body, communes, layers)))
    if assignment["available"]:  # the zones' own files: nothing to show without zones
        written += _zone_files(cursor, out_dir, coverage, own, body, assignment, meta)
    written.append(write_geopackage(cursor, out_dir))  # coverage.gpkg, from the `analyse` views (docs/QGIS.md)
    return written


def _tables(out_dir: Path, coverage, own, body: dict, assignment: dict) -> list[Path]:
    records = [tables.commune_csv_row(tables.commune_record(c, coverage, own)) for c in coverage.communes]
    return [
        _write(out_dir / "communes.csv", tables.to_csv(records, tables.COMMUNE_COLUMNS)),
        _write(out_dir / "areas.csv", tables.to_csv(tables.area_csv_rows(body),
                                                    tables.area_columns(body["thresholds_km"]))),
        _write(out_dir / "sites.csv", tables.to_csv(body["sites"], tables.SITE_COLUMNS)),
        _write(out_dir / "missions_locales.csv",
               tables.to_csv(tables.mission_locale_csv_rows(body["missions_locales"]),
                             tables.MISSION_LOCALE_COLUMNS)),
        _write(out_dir / "zones.csv", tables.to_csv(tables.zone_csv_rows(body["zones"]),
                                                    tables.zone_columns(body["thresholds_km"]))),
    ]


def _transit_files(cursor: Cursor, out_dir: Path) -> list[Path]:
    """Access by TER (docs/TRANSIT.md#for-analysts), as GET /coverage/transit and /coverage/transit/communes
    answer it: the indicators of every area (JSON and CSV) and every commune's four times; none without a
    timetable."""
    transit_meta = transit.answer_meta(cursor)
    if not transit_meta["available"]:
        return []
    thresholds = list(transit.DEFAULT_THRESHOLDS_MIN)
    areas = transit.indicators(cursor, thresholds, list(transit.LEVELS))
    timetable = transit_meta["timetable"]
    body = TerAccessOut().dump({"by": "all", "thresholds_min": thresholds, "areas": areas} | transit_meta)
    rows = transit.indicator_rows(areas, timetable)
    communes = transit.commune_rows(transit.communes(cursor), timetable)
    return [
        _write(out_dir / "transit.json", _dumps(body)),
        _write(out_dir / "transit_areas.csv", tables.to_csv(rows, transit.indicator_columns(thresholds))),
        _write(out_dir / "transit_communes.csv", tables.to_csv(communes, transit.COMMUNE_COLUMNS)),
    ]


def _json_files(cursor: Cursor, out_dir: Path, body: dict, assignment: dict, meta: dict) -> list[Path]:
    written = [
        _write(out_dir / "indicators.json", _dumps(body)),
        _write(out_dir / "quality.json", _dumps(QualityOut().dump(quality.report(cursor) | {"data": meta["data"]}))),
        _write(out_dir / "assignment.json", _dumps(assignment)),
    ]
    if assignment["available"]:
        csv_text = tables.to_csv(assignment["mismatches"], tables.MISMATCH_COLUMNS)
        written.append(_write(out_dir / "assignment_mismatches.csv", csv_text))
    return written


def _zone_files(cursor: Cursor, out_dir: Path, coverage, own, body: dict, assignment: dict, meta: dict) -> list[Path]:
    """The zone x catchment table, the mismatches' map layer, and the printable sheets per mission locale."""
    layer = feature_collection(
        zones.mismatch_features(cursor, assignment), name="communes nearer another mission locale's site",
        method=meta["method"], data=meta["data"], layer_method=zones.DEFINITION,
    )
    sheets_html = sheets.render(body, assignment, coverage, own, sql.commune_geometries(cursor), meta)
    return [
        _write(out_dir / "zone_catchment.csv", tables.to_csv(assignment["cross_table"], tables.CROSS_COLUMNS)),
        _write(out_dir / "assignment_mismatches.geojson", layer),
        _write(out_dir / "missions_locales.html", sheets_html),
    ]


def _geojson_files(cursor: Cursor, out_dir: Path, coverage, own, meta: dict) -> tuple[dict[str, str], str]:
    members = {"method": meta["method"], "data": meta["data"]}
    communes = feature_collection(catchments.commune_features(cursor, coverage, own), name="communes", **members)
    _write(out_dir / "communes.geojson", communes)
    layers = {}
    for by in catchments.LAYERS:
        layers[by] = feature_collection(
            catchments.layer(cursor, coverage, by), name=f"catchments by {by}",
            layer_method=catchments.layer_method(by), **members
        )
        _write(out_dir / f"catchments_{by}.geojson", layers[by])
    return layers, communes


def _dumps(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1) + "\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path
