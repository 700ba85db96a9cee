"""Catchment polygons and the commune choropleth, as GeoJSON text.

* by site: the communes whose nearest site it is, dissolved into one (multi)polygon;
* by mission locale: the same, grouped by the nearest site's mission locale (the union's
  code); communes whose nearest site has no mission locale (data without zones, a
  scenario's site given none) are in no polygon of this layer;
* zone: the official zones' outlines (the union's coverage table), one polygon per mission
  locale with its communes, population and area: the layer the analyst page draws its zones
  with, in one request;
* Voronoi: the planar Voronoi cells of the sites, drawn in Lambert-93 and clipped to the
  region. A second, purely geometric view: it ignores where the communes' reference
  points are, so its borders differ from the catchments' (which are the ones the
  indicators use).

The GeoJSON is assembled as text around PostGIS's own ST_AsGeoJSON output: parsing
3,782 commune polygons only to write them out again would be wasted time.
"""

from __future__ import annotations

import datetime as dt
import json

from psycopg import Cursor

from geosvc.coverage.indicators import mission_locale_stats, site_stats
from geosvc.coverage.network import Coverage, Network
from geosvc.coverage.own import Own
from geosvc.coverage.tables import commune_record
from geosvc.db import coverage as sql

LAYERS = ("site", "mission_locale", "voronoi")  # the report's catchment files
API_LAYERS = (*LAYERS, "zone")
CHOROPLETH_PROPERTIES = (
    "code", "nom", "departement", "epci", "population", "site_id", "site_name", "mission_locale", "distance_m",
)

VORONOI_METHOD = (
    "planar Voronoi cells of the served sites in Lambert-93 (EPSG:2154), clipped to the union of the communes; "
    "sites at the same point share a cell"
)
CATCHMENT_METHOD = "communes dissolved by their nearest served site (geodesic distance from the reference point)"
ZONE_METHOD = (
    "the communes of each mission locale's official zone (the union's coverage table) dissolved into one "
    "outline; area_km2 is geodesic (WGS84)"
)


def layer_method(by: str) -> str:
    return {"voronoi": VORONOI_METHOD, "zone": ZONE_METHOD}.get(by, CATCHMENT_METHOD)


def layer(cursor: Cursor, coverage: Coverage, by: str) -> list[tuple[str, dict]]:
    """(GeoJSON geometry text, properties) of each polygon of one catchment layer."""
    if by == "site":
        return site_catchments(cursor, coverage)
    if by == "mission_locale":
        return mission_locale_catchments(cursor, coverage)
    if by == "zone":
        return zone_outlines(cursor)
    return voronoi_cells(cursor, coverage.network)


def zone_outlines(cursor: Cursor) -> list[tuple[str, dict]]:
    return [(row.pop("geometry"), row) for row in sql.zone_outlines(cursor)]


def site_catchments(cursor: Cursor, coverage: Coverage) -> list[tuple[str, dict]]:
    stats = {row["id"]: row for row in site_stats(coverage)}
    groups = [commune.site_id for commune in coverage.communes]
    return _dissolved(cursor, coverage.communes, groups, stats)


def mission_locale_catchments(cursor: Cursor, coverage: Coverage) -> list[tuple[str, dict]]:
    stats = {row["code"]: row for row in mission_locale_stats(coverage)}
    sites = coverage.network.sites
    kept = [c for c in coverage.communes if sites[c.site_id].mission_locale is not None]
    groups = [sites[commune.site_id].mission_locale for commune in kept]
    return _dissolved(cursor, kept, groups, stats)


def voronoi_cells(cursor: Cursor, network: Network) -> list[tuple[str, dict]]:
    points = [(site.id, site.lon, site.lat) for site in network.sites.values()]
    features = []
    for row in sql.voronoi(cursor, points):
        site = network.sites[row["id"]]
        properties = {
            "id": site.id, "name": site.name, "mission_locale": site.mission_locale,
            "mission_locale_name": site.mission_locale_name, "hypothetical": site.hypothetical,
            "area_km2": round(row["area_km2"], 2),
        }
        features.append((row["geometry"], properties))
    return features


def commune_features(cursor: Cursor, coverage: Coverage, own: Own | None = None) -> list[tuple[str, dict]]:
    """Every commune polygon with its nearest site (the choropleth of distance by commune); with `own`,
    also its own mission locale's nearest site (own_mission_locale, own_site_id, own_distance_m: null
    when it has none), to map the distance to one's own mission locale.

    Lean properties: the 3 nearest sites and the reference point are in /coverage/communes.
    """
    geometries = sql.commune_geometries(cursor)
    features = []
    for commune in coverage.communes:
        record = commune_record(commune, coverage, own)
        properties = {key: record[key] for key in CHOROPLETH_PROPERTIES}
        if own is not None:
            mine = record["own"] or {}
            properties |= {f"own_{key}": mine.get(key) for key in ("mission_locale", "site_id", "distance_m")}
        features.append((geometries[commune.code], properties))
    return features


def feature_collection(features: list[tuple[str, dict]], **members) -> str:
    """A GeoJSON FeatureCollection; `members` (name, method, data, ...) are RFC 7946 foreign members."""
    head = _dumps({"type": "FeatureCollection", **members})
    body = ",".join(
        f'{{"type":"Feature","geometry":{geometry},"properties":{_dumps(properties)}}}'
        for geometry, properties in features
    )
    return f'{head[:-1]},"features":[{body}]}}'


def _dissolved(cursor: Cursor, communes: list, groups: list[str], stats: dict) -> list[tuple[str, dict]]:
    codes = [commune.code for commune in communes]
    return [
        (row["geometry"], stats[row["group_id"]] | {"area_km2": round(row["area_km2"], 2)})
        for row in sql.dissolve(cursor, codes, groups)
    ]


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
