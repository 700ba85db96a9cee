"""A zone's map as inline SVG: its communes' polygons and the sites, drawn without tiles or scripts.

For the printed sheets of the report (geosvc/cli/sheets.py): a page must open anywhere and print
as drawn, so the map is plain SVG paths. The projection is deliberately simple: equirectangular,
longitudes scaled by the cosine of the zone's middle latitude, so shapes keep their proportions
at the scale of a zone (about 50 km across; the error is far below a printed millimetre).
Coordinates are rounded to 0.1 of a unit on a 1,000-unit-wide canvas (about 0.02 mm on A4) and
repeated points dropped: the whole region's sheets stay a few megabytes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from markupsafe import Markup, escape

WIDTH = 1000.0
MARGIN = 0.03  # of the zone's extent, on each side
PAPER = "#ffffff"
CONTEXT_FILL, CONTEXT_STROKE = "#f1f1ee", "#c9c9c4"  # the neighbouring communes
STROKE = "#6b6b6b"
OTHER_STROKE = "#1b1b1b"  # communes nearer another mission locale's site: a darker, thicker outline


@dataclasses.dataclass(frozen=True)
class Mark:
    """A site on the map."""

    lon: float
    lat: float
    label: str
    own: bool  # a site of the zone's mission locale (filled), or of another (hollow)


@dataclasses.dataclass(frozen=True)
class Frame:
    """The projection of one zone onto the canvas."""

    west: float
    north: float
    scale_x: float  # canvas units per degree of longitude
    scale_y: float  # canvas units per degree of latitude
    height: float

    @classmethod
    def around(cls, polygons: Iterable[list], points: Iterable[tuple[float, float]] = ()) -> Frame:
        lons, lats = [], []
        for polygon in polygons:
            for ring in polygon:
                lons.extend(point[0] for point in ring)
                lats.extend(point[1] for point in ring)
        for lon, lat in points:
            lons.append(lon)
            lats.append(lat)
        west, east, south, north = min(lons), max(lons), min(lats), max(lats)
        cos = math.cos(math.radians((south + north) / 2))
        pad_x, pad_y = (east - west) * MARGIN, (north - south) * MARGIN
        west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
        scale_x = WIDTH / max(east - west, 1e-9)
        scale_y = scale_x / cos
        return cls(west, north, scale_x, scale_y, (north - south) * scale_y)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return round((lon - self.west) * self.scale_x, 1), round((self.north - lat) * self.scale_y, 1)

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees: what the canvas shows."""
        return (self.west, self.north - self.height / self.scale_y,
                self.west + WIDTH / self.scale_x, self.north)


def polygons(geometry: dict) -> list:
    """The polygons of a GeoJSON Polygon or MultiPolygon, as lists of rings."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def path(frame: Frame, geometry: dict) -> str:
    """SVG path data of a (multi)polygon: one closed subpath per ring (holes by the even-odd rule)."""
    parts = []
    for polygon in polygons(geometry):
        for ring in polygon:
            points, last = [], None
            for lon, lat, *_ in ring:
                point = frame.xy(lon, lat)
                if point != last:
                    points.append(f"{point[0]:g} {point[1]:g}")
                    last = point
            if len(points) >= 3:
                parts.append("M" + "L".join(points) + "Z")
    return "".join(parts)


def intersects(geometry: dict, bounds: tuple[float, float, float, float]) -> bool:
    west, south, east, north = bounds
    for polygon in polygons(geometry):
        outer = polygon[0]
        lons, lats = [p[0] for p in outer], [p[1] for p in outer]
        if min(lons) <= east and max(lons) >= west and min(lats) <= north and max(lats) >= south:
            return True
    return False


def zone_map(
    zone: dict[str, dict], context: dict[str, dict], fills: dict[str, str], nearer_other: set[str],
    marks: list[Mark], titles: dict[str, str], label: str,
) -> Markup:
    """The SVG element: `zone` and `context` map commune codes to GeoJSON geometries (the zone's,
    and every other commune, drawn in grey where it falls on the canvas); `fills` the zone's
    communes' colours; `titles` their hover text; `label` the map's accessible name."""
    # the zone and its own sites (an office may stand outside the zone it serves)
    frame = Frame.around((p for geometry in zone.values() for p in polygons(geometry)),
                         [(mark.lon, mark.lat) for mark in marks if mark.own])
    bounds = frame.bounds()
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {frame.height:.1f}" role="img" '
        f'aria-label="{escape(label)}" class="zone-map">',
        f'<rect width="{WIDTH:g}" height="{frame.height:.1f}" fill="{PAPER}"/>',
        f'<g class="context" fill="{CONTEXT_FILL}" stroke="{CONTEXT_STROKE}" stroke-width="0.6">',
    ]
    out += [f'<path d="{path(frame, g)}"/>' for code, g in sorted(context.items())
            if code not in zone and intersects(g, bounds)]
    out.append(f'</g><g class="zone" stroke="{STROKE}" stroke-width="0.5" fill-rule="evenodd">')
    for code, geometry in sorted(zone.items()):
        out.append(f'<path d="{path(frame, geometry)}" fill="{fills.get(code, PAPER)}">'
                   f'<title>{escape(titles.get(code, code))}</title></path>')
    out.append(f'</g><g class="nearer-other" fill="none" stroke="{OTHER_STROKE}" stroke-width="2.2">')
    out += [f'<path d="{path(frame, zone[code])}"/>' for code in sorted(nearer_other) if code in zone]
    out.append("</g>")
    out += [_mark(frame, mark) for mark in sorted(marks, key=lambda m: m.own)]  # own sites drawn on top
    out.append("</svg>")
    return Markup("".join(out))


def _mark(frame: Frame, mark: Mark) -> str:
    x, y = frame.xy(mark.lon, mark.lat)
    if not (0 <= x <= WIDTH and 0 <= y <= frame.height):
        return ""
    style = 'fill="#c62828" stroke="#ffffff" stroke-width="2"' if mark.own else \
        'fill="#ffffff" stroke="#1b1b1b" stroke-width="2"'
    radius = 9 if mark.own else 6
    text = ""
    if mark.own:
        text = (f'<text x="{x + 12:g}" y="{y + 5:g}" font-size="17" font-family="sans-serif" fill="#1b1b1b" '
                f'stroke="#ffffff" stroke-width="4" paint-order="stroke">{escape(mark.label)}</text>')
    kind = "site own" if mark.own else "site other"
    return (f'<g class="{kind}"><title>{escape(mark.label)}</title>'
            f'<circle cx="{x:g}" cy="{y:g}" r="{radius}" {style}/>{text}</g>')
