"""Which commune a position is in, and the nearest sites to it, from memory.

The point query behind "use my location" must keep answering while the database is away,
and is the service's slowest endpoint when it asks PostGIS; the region's polygons and
sites fit in a worker's memory, so it is answered here:

* the commune: the polygon that contains the point (shapely STRtree), else the nearest one
  within the tolerance; distances to a polygon are measured in Lambert-93 (EPSG:2154), France's
  metric projection, whose scale error (under 0.1 % in the region) is far below the tolerance;
* the sites: geodesic distances on the WGS84 ellipsoid (pyproj.Geod) to every served site,
  ranked by distance then id — the same rule as the database's KNN-then-spheroid ranking.
"""

from __future__ import annotations

import dataclasses

import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Point

from geosvc.core.rules import round_distance

WGS84 = Geod(ellps="WGS84")
_TO_LAMBERT93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


@dataclasses.dataclass(frozen=True)
class PlacedCommune:
    code: str
    nom: str
    departement: str
    label: str
    geometry: shapely.Geometry


class PointIndex:
    def __init__(self, communes: list[PlacedCommune], sites: list[dict]):
        self._communes = communes
        self._tree = shapely.STRtree([commune.geometry for commune in communes])
        self._sites = sites
        self._lons = [site["lon"] for site in sites]
        self._lats = [site["lat"] for site in sites]

    def commune_at(self, lon: float, lat: float, tolerance_m: float) -> tuple[PlacedCommune, float] | None:
        """The commune the point is in (distance 0), else the nearest within tolerance_m, else None."""
        point = Point(lon, lat)
        inside = self._tree.query(point, predicate="intersects")
        if len(inside):
            return min((self._communes[i] for i in inside), key=lambda c: c.code), 0.0
        # candidates by a generous box in degrees (1 km is at most 0.015° of longitude here)
        box = point.buffer(tolerance_m / 1000 * 0.02)
        candidates = [self._communes[i] for i in self._tree.query(box)]
        ranked = sorted((_metres_to(commune.geometry, lon, lat), commune.code, commune) for commune in candidates)
        if ranked and ranked[0][0] <= tolerance_m:
            return ranked[0][2], ranked[0][0]
        return None

    def nearest_sites(self, lon: float, lat: float, k: int) -> list[dict]:
        """The k nearest served sites, each with its geodesic distance_m, nearest first (ties by id)."""
        if not self._sites:
            return []
        count = len(self._sites)
        _, _, distances = WGS84.inv([lon] * count, [lat] * count, self._lons, self._lats)
        ranked = sorted(zip(distances, (site["id"] for site in self._sites), self._sites, strict=True),
                        key=lambda item: (item[0], item[1]))
        return [site | {"distance_m": round_distance(metres)} for metres, _, site in ranked[:k]]


def _metres_to(geometry: shapely.Geometry, lon: float, lat: float) -> float:
    projected = shapely.transform(geometry, _lambert93, interleaved=False)
    return float(projected.distance(Point(*_TO_LAMBERT93.transform(lon, lat))))


def _lambert93(x, y):
    return _TO_LAMBERT93.transform(x, y)
