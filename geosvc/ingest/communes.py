"""GeoJSON commune features -> validated commune records."""

from __future__ import annotations

import re

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from geosvc.core.records import CommuneRecord
from geosvc.core.rules import COMMUNE_CODE, DEPARTEMENT_CODE
from geosvc.ingest.problems import Report

POSTCODE = re.compile(r"^[0-9]{5}$")
MAX_NAME_CHARS = 200




def validate_communes(
    file: str, features: list[dict], departements: set[str] | None, report: Report
) -> list[CommuneRecord]:
    records: list[CommuneRecord] = []
    first_seen: dict[str, str] = {}
    for number, feature in enumerate(features, start=1):
        record = _validate_feature(file, number, feature, departements, report)
        if record is None:
            continue
        if record.code in first_seen:
            report.error(file, record.where, "code", f"duplicate code, already used by {first_seen[record.code]}")
            continue
        first_seen[record.code] = record.where
        records.append(record)
    return records


def _validate_feature(
    file: str, number: int, feature: dict, departements: set[str], report: Report
) -> CommuneRecord | None:
    where = f"feature {number}"
    properties = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(properties, dict):
        report.error(file, where, "properties", "missing or not an object")
        return None
    code = properties.get("code")
    if not isinstance(code, str) or not COMMUNE_CODE.match(code):
        report.error(file, where, "code", f"{code!r} is not an INSEE commune code (5 characters, e.g. '02001')")
        return None
    where = f"feature {number} (code {code})"
    errors_before = len(report.errors)
    nom = _name(file, where, properties.get("nom"), report)
    departement = _departement(file, where, code, properties.get("departement"), departements, report)
    codes_postaux = _postcodes(file, where, properties.get("codesPostaux"), report)
    population = _population(file, where, properties.get("population"), report)
    geometry, repaired = _geometry(file, where, feature.get("geometry"), report)
    if len(report.errors) > errors_before:
        return None
    return CommuneRecord(code, nom, departement, codes_postaux, population, geometry, repaired, where)


def _name(file, where, nom, report) -> str:
    if not isinstance(nom, str) or not nom.strip():
        report.error(file, where, "nom", "missing name")
        return ""
    if len(nom) > MAX_NAME_CHARS:
        report.error(file, where, "nom", f"longer than {MAX_NAME_CHARS} characters")
    return nom.strip()


def _departement(file, where, code, departement, departements, report) -> str:
    """departements is None when no departements.csv was given: only the form is checked."""
    if not isinstance(departement, str) or not DEPARTEMENT_CODE.match(departement):
        report.error(file, where, "departement", f"{departement!r} is not a department code")
    elif departements is not None and departement not in departements:
        report.error(file, where, "departement", f"{departement!r} is not in departements.csv")
    elif not code.startswith(departement):
        report.error(file, where, "departement", f"code {code} is not in department {departement}")
    return departement


def _postcodes(file, where, codes, report) -> list[str]:
    if codes in (None, []):
        report.warn(file, where, "codesPostaux", "no postcode: the commune cannot be found by postcode")
        return []
    if not isinstance(codes, list) or not all(isinstance(c, str) and POSTCODE.match(c) for c in codes):
        report.error(file, where, "codesPostaux", f"{codes!r} is not a list of 5-digit postcodes")
        return []
    return sorted(set(codes))


def _population(file, where, population, report) -> int | None:
    if population is None:
        report.warn(file, where, "population", "no population: answers will say it is unknown")
        return None
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        report.error(file, where, "population", f"{population!r} is not a non-negative whole number")
        return None
    return population


def _geometry(file, where, geometry, report) -> tuple[MultiPolygon | None, bool]:
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        found = geometry.get("type") if isinstance(geometry, dict) else geometry
        report.error(file, where, "geometry", f"expected a Polygon or MultiPolygon, found {found!r}")
        return None, False
    try:
        polygons = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        report.error(file, where, "geometry", f"malformed coordinates: {exc}")
        return None, False
    if polygons.is_empty:
        report.error(file, where, "geometry", "empty geometry")
        return None, False
    min_lon, min_lat, max_lon, max_lat = polygons.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        report.error(file, where, "geometry", "coordinates are not longitude, latitude in degrees (WGS84)")
        return None, False
    repaired = False
    if not polygons.is_valid:
        reason = shapely.is_valid_reason(polygons)
        polygons = _polygonal_part(shapely.make_valid(polygons))
        repaired = True
        report.warn(file, where, "geometry", f"invalid polygon ({reason}) repaired with make_valid")
    return _as_multipolygon(polygons), repaired


def _polygonal_part(geometry):
    """make_valid may return a collection with stray lines; a commune is its polygons."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(parts)


def _as_multipolygon(geometry) -> MultiPolygon:
    if isinstance(geometry, MultiPolygon):
        return geometry
    return MultiPolygon([geometry])
