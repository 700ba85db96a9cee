"""Site list rows -> validated mission site records.

Two formats share the required columns: the curated list (data/sites.csv, built from the
sources by `geosvc sites build`: mission locale, record date, e-mail, opening hours,
accessibility) and the older missions.csv (still the format of the France-wide data).

Checks each point against the commune polygons of the same load: a point outside
every commune is an error (often latitude and longitude swapped); a point far from
the commune the row names is kept but not served.
"""

from __future__ import annotations

import json

import shapely
from pyproj import Transformer
from shapely.geometry import Point

from geosvc.core.records import CommuneRecord, SiteRecord
from geosvc.core.rules import (
    COMMUNE_CODE,
    PRECISION_ADDRESS,
    PRECISION_COMMUNE,
    REGION_TOLERANCE_M,
    SITE_REJECTED,
    SITE_SERVED,
    SITE_SUPERSEDED,
)
from geosvc.ingest.problems import Report

SITE_COLUMNS = ["id", "name", "address", "postcode", "city", "insee", "lat", "lon"]
OPTIONAL_COLUMNS = [
    "kind", "phone", "website", "source", "source_date", "coord_source", "note", "superseded_by",
    "mission_locale", "email", "accessibility",
]
# sites.csv says record_date where missions.csv says source_date
RECORD_DATE_COLUMNS = ("source_date", "record_date")
# Simplified coastlines move edges by tens of metres: a seafront office may fall just
# outside every polygon. Beyond this it is not in the region.

# Lambert-93 is metric over metropolitan France; good enough to measure how far a
# point is from a polygon for a validation threshold (not for served distances).
_TO_LAMBERT93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)




class CommuneLocator:
    """Finds which commune polygon a point falls in, and how far a point is from one."""

    def __init__(self, communes: list[CommuneRecord]):
        self._communes = communes
        self._by_code = {c.code: c for c in communes}
        self._tree = shapely.STRtree([c.geometry for c in communes])

    def commune_at(self, point: Point) -> CommuneRecord | None:
        hits = self._tree.query(point, predicate="intersects")
        return self._communes[hits[0]] if len(hits) else None

    def distance_m(self, point: Point, code: str) -> float:
        polygon = shapely.transform(self._by_code[code].geometry, _lambert93, interleaved=False)
        return polygon.distance(shapely.transform(point, _lambert93, interleaved=False))

    def nearest_distance_m(self, point: Point) -> float:
        nearest = self._tree.nearest(point)
        return self.distance_m(point, self._communes[nearest].code)


def _lambert93(x, y):
    return _TO_LAMBERT93.transform(x, y)


def validate_sites(
    file: str, rows, locator: CommuneLocator, commune_codes: set[str],
    max_offset_km: float, report: Report, missions_locales: set[str] | None = None,
) -> list[SiteRecord]:
    """Validated sites; `missions_locales`, when zones are loaded, are the codes a site may name."""
    sites: list[SiteRecord] = []
    lines: dict[str, int] = {}
    for line, row in rows:
        site = _validate_row(file, line, row, locator, commune_codes, max_offset_km, report)
        if site is not None and not _mission_locale_known(file, line, site, missions_locales, report):
            continue
        if site is None:
            continue
        if site.id in lines:
            report.error(file, f"line {line}", "id", f"duplicate id {site.id!r} (line {lines[site.id]})")
            continue
        lines[site.id] = line
        sites.append(site)
    _check_superseded(file, sites, lines, report)
    return sites


def _validate_row(file, line, row, locator, commune_codes, max_offset_km, report) -> SiteRecord | None:
    where = f"line {line}"
    errors_before = len(report.errors)
    for column in ("id", "name", "insee"):
        if not row[column]:
            report.error(file, where, column, "required value is empty")
    insee = row["insee"]
    if insee and not COMMUNE_CODE.match(insee):
        report.error(file, where, "insee", f"{insee!r} is not an INSEE commune code")
    elif insee and insee not in commune_codes:
        report.error(file, where, "insee", f"{insee} is not a commune of communes.geojson")
    lon, lat = _coordinates(file, where, row, report)
    if len(report.errors) > errors_before:
        return None
    status, reason = SITE_SERVED, None
    if lon is not None:
        status, reason = _check_point(file, where, Point(lon, lat), insee, locator, max_offset_km, report)
    if row.get("superseded_by"):
        status, reason = SITE_SUPERSEDED, f"superseded by {row['superseded_by']}"
    if status is None:
        return None
    hours = _hours(file, where, row.get("hours"), report)
    values = {column: row.get(column) or None for column in OPTIONAL_COLUMNS}
    values["source_date"] = next((row[c] for c in RECORD_DATE_COLUMNS if row.get(c)), None)
    return SiteRecord(
        id=row["id"], name=row["name"], address=row["address"] or None,
        postcode=row["postcode"] or None, city=row["city"] or None, insee=insee,
        **values, hours=hours, confirmed=(row.get("confirmed_in_2026") or "").lower() == "true",
        lon=lon, lat=lat,
        location_precision=PRECISION_ADDRESS if lon is not None else PRECISION_COMMUNE,
        status=status, status_reason=reason, line=line,
    )


def _coordinates(file, where, row, report) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = row["lat"], row["lon"]
    if not raw_lat and not raw_lon:
        return None, None  # missing coordinates: placed at the commune later, and said so
    if not raw_lat or not raw_lon:
        field = "lat" if not raw_lat else "lon"
        report.error(file, where, field, "one coordinate given without the other")
        return None, None
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError:
        report.error(file, where, "lat/lon", f"({raw_lat!r}, {raw_lon!r}) are not decimal degrees")
        return None, None
    if not (-90 <= lat <= 90):
        report.error(file, where, "lat", f"{lat} is outside -90..90")
    if not (-180 <= lon <= 180):
        report.error(file, where, "lon", f"{lon} is outside -180..180")
    return lon, lat


def _check_point(file, where, point, insee, locator, max_offset_km, report):
    """(status, reason) for a point; status None when the point is an error."""
    found = locator.commune_at(point)
    if found is None and locator.nearest_distance_m(point) > REGION_TOLERANCE_M:
        swapped = Point(point.y, point.x)
        hint = " (latitude and longitude look swapped)" if locator.commune_at(swapped) else ""
        report.error(file, where, "lat/lon", f"({point.y}, {point.x}) is outside the region's communes{hint}")
        return None, None
    if found is not None and found.code == insee:
        return SITE_SERVED, None
    offset_m = locator.distance_m(point, insee)
    if offset_m <= 1:
        return SITE_SERVED, None  # on the boundary
    message = f"point is {offset_m / 1000:.1f} km outside its commune {insee}"
    if offset_m > max_offset_km * 1000:
        report.warn(file, where, "lat/lon", f"{message}: not served")
        return SITE_REJECTED, message
    report.warn(file, where, "lat/lon", message)
    return SITE_SERVED, None


def _check_superseded(file, sites: list[SiteRecord], lines: dict[str, int], report: Report) -> None:
    for site in sites:
        target = site.superseded_by
        if target and (target not in lines or target == site.id):
            report.error(file, f"line {site.line}", "superseded_by", f"{target!r} is not another site's id")


def _hours(file: str, where: str, raw: str | None, report: Report) -> dict | None:
    """Opening hours as geosvc/network/hours.py writes them (JSON), or None when the source has none."""
    if not raw:
        return None
    try:
        hours = json.loads(raw)
    except json.JSONDecodeError as exc:
        report.error(file, where, "hours", f"not JSON: {exc.msg} at character {exc.pos}")
        return None
    if not isinstance(hours, dict) or not isinstance(hours.get("days"), dict):
        report.error(file, where, "hours", 'expected {"days": {"lundi": [["08:30", "12:00"], ...]}, "notes": [...]}')
        return None
    return hours


def _mission_locale_known(file: str, line: int, site: SiteRecord, known: set[str] | None, report: Report) -> bool:
    if known is None or site.mission_locale is None:
        if known is not None and site.status == SITE_SERVED:
            report.warn(file, f"line {line}", "mission_locale", f"site {site.id} names no mission locale")
        return True
    if site.mission_locale not in known:
        report.error(file, f"line {line}", "mission_locale",
                     f"{site.mission_locale} is not a mission locale of the zones table")
        return False
    return True
