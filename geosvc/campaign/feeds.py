"""The campaign's JSON documents, built from one cursor, and their exact bytes.

Pure functions of the database snapshot the cursor sees: the API (geosvc/web/api/campaign.py)
and the static export (export.py) call the same ones and encode with the same `encode`,
so an exported file is byte for byte what the API serves, with the same ETag.
"""

from __future__ import annotations

import dataclasses
import json

import shapely
from psycopg import Cursor

from geosvc.core import present
from geosvc.core.errors import BadRequest, NotFound
from geosvc.core.point_index import PlacedCommune, PointIndex
from geosvc.core.rules import DISTANCE_METHOD, REGION_TOLERANCE_M, round_distance
from geosvc.core.search_index import label
from geosvc.db import campaign as sql
from geosvc.db import sites
from geosvc.provenance import data_block

# The region check of "use my location" is the ingestion's own: within 2 km of a commune.
POINT_TOLERANCE_M = REGION_TOLERANCE_M

POINT_METHOD = (
    "geodesic distance on the WGS84 ellipsoid (PostGIS geography ST_Distance, spheroid), in metres, "
    "from the given point to the site's point"
)


def encode(document: dict) -> bytes:
    """The bytes served and exported: compact UTF-8 JSON, keys in the documented order."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def departements(cursor: Cursor) -> dict:
    rows = sql.departements(cursor)
    return {
        "departements": [
            {"code": row["code"], "nom": row["nom"], "communes_count": row["communes_count"]} for row in rows
        ],
        "data": data_block(cursor),
    }


def departement_communes(cursor: Cursor, code: str) -> dict:
    """Every commune of a department in French order, each with its nearest served site."""
    rows = sql.departement_communes(cursor, code)
    if not rows:
        raise NotFound(f"no department of the region has the code {code}", code="departement_not_found")
    return {
        "departement": {"code": code, "nom": rows[0]["departement_nom"]},
        "count": len(rows),
        "communes": [_feed_entry(row, code) for row in rows],
        "method": DISTANCE_METHOD,
        "data": data_block(cursor),
    }


def _feed_entry(row: dict, departement: str) -> dict:
    return {
        "code": row["code"],
        "label": label(row["nom"], departement, row["homonym"]),
        "codesPostaux": row["codes_postaux"],
        "mission": _feed_site(row, ""),
        "mission_locale": None if row["own_code"] is None else {
            "code": row["own_code"], "name": row["own_name"], "site": _feed_site(row, "own_site_"),
        },
    }


def _feed_site(row: dict, prefix: str) -> dict | None:
    """The site columns of a feed row; the own mission locale's site columns carry a prefix."""
    site_id = row[prefix + "id"]
    if site_id is None:
        return None
    return {
        "id": site_id, "name": row[prefix + "name"], "city": row[prefix + "city"],
        "distance_m": round_distance(row[prefix + "distance_m"]),
        "location_precision": row[prefix + "location_precision"],
        "mission_locale": row["own_code"] if prefix else row["mission_locale"],
    }


@dataclasses.dataclass(frozen=True)
class Locator:
    """What the point query needs, held in memory per worker: polygons, sites, data block."""

    index: PointIndex
    data: dict


def build_locator(cursor: Cursor) -> Locator:
    communes = [
        PlacedCommune(row["code"], row["nom"], row["departement"],
                      label(row["nom"], row["departement"], row["homonym"]), shapely.from_wkb(row["wkb"]))
        for row in sql.commune_shapes(cursor)
    ]
    served = [present.site(row) for row in sites.list_served_sites(cursor)]
    return Locator(PointIndex(communes, served), data_block(cursor))


def nearest_to_point(locator: Locator, lon: float, lat: float, k: int) -> dict:
    """The k nearest served sites to a point of the region; 400 for a point outside it."""
    found = locator.index.commune_at(lon, lat, POINT_TOLERANCE_M)
    if found is None:
        raise BadRequest(
            f"the point (lon {lon}, lat {lat}) is outside Hauts-de-France: it is not within "
            f"{POINT_TOLERANCE_M / 1000:g} km of any commune of the region",
            code="outside_region", lon=lon, lat=lat, tolerance_m=POINT_TOLERANCE_M,
        )
    commune, distance_m = found
    return {
        "point": {"lon": lon, "lat": lat},
        "commune": {
            "code": commune.code, "nom": commune.nom, "departement": commune.departement,
            "label": commune.label, "distance_m": round_distance(distance_m),
        },
        "missions": locator.index.nearest_sites(lon, lat, k),
        "method": POINT_METHOD,
        "data": locator.data,
    }


def commune_outline(cursor: Cursor, code: str) -> dict | None:
    """A GeoJSON Feature of the commune's polygon (RFC 7946: lon, lat), or None if unknown."""
    row = sql.commune_outline(cursor, code)
    if row is None:
        return None
    return {
        "type": "Feature",
        "geometry": row["geometry"],
        "properties": {
            "code": row["code"], "nom": row["nom"], "departement": row["departement"],
            "label": label(row["nom"], row["departement"], row["homonym"]),
        },
        # a foreign member (RFC 7946, 6.1), as in the coverage layers
        "data": data_block(cursor),
    }
