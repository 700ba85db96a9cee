"""Request and response schemas of the campaign feeds: they validate input and document
/openapi.json (statuses, headers, content types). The views send bytes built by
geosvc.campaign.feeds; tests/test_campaign.py checks those bytes against these schemas."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Dict, Float, Integer, List, Nested, String
from apiflask.validators import OneOf, Range

from geosvc.core.rules import MAX_K
from geosvc.web.api.fields import AsciiFloat, AsciiInteger
from geosvc.web.api.schemas import DataOut, NearestMissionOut, PointOut


def _precision():
    return String(required=True, validate=OneOf(["address", "commune"]), metadata={
        "description": "'commune': the source has no coordinates, the site is placed at its commune's reference "
                       "point, so distance_m is approximate (say so to users)",
    })


def _label():
    return String(required=True, metadata={
        "description": "the name to show: 'Nom (département)' when several communes of the region share the "
                       "name (case, accents and a leading article ignored: 'Brie (02)', 'Brie (80)'), else the "
                       "name; the same labels as /communes/autocomplete",
    })


# --- requests -------------------------------------------------------------------------

class ConditionalHeaders(Schema):
    if_none_match = String(data_key="If-None-Match", metadata={
        "description": "the ETag of a copy already held: the answer is then 304 Not Modified, without a body, "
                       "while the data has not changed",
    })


class PointQuery(Schema):
    lon = AsciiFloat(required=True, validate=Range(-180, 180), allow_nan=False,
                     metadata={"description": "longitude, WGS84 degrees"})
    lat = AsciiFloat(required=True, validate=Range(-90, 90), allow_nan=False,
                     metadata={"description": "latitude, WGS84 degrees"})
    k = AsciiInteger(load_default=3, validate=Range(1, MAX_K), metadata={"description": "number of sites"})


# --- response headers -----------------------------------------------------------------

class CacheHeaders(Schema):
    etag = String(required=True, data_key="ETag", metadata={
        "description": "strong entity tag: a hash of the body (identity coding; a compressed answer carries "
                       "'<tag>:gzip', ':br'...). It changes whenever an ingestion or a new version changes the answer",
    })
    cache_control = String(required=True, data_key="Cache-Control", metadata={
        "description": "public, max-age=300, stale-while-revalidate=3600 (see README, Campaign site)",
    })


class NoStoreHeaders(Schema):
    cache_control = String(required=True, data_key="Cache-Control", metadata={
        "description": "no-store: the request carries a person's position; no cache keeps the answer",
    })


NOT_MODIFIED = {
    "description": "Not Modified: the ETag in If-None-Match is still current; no body",
    "headers": CacheHeaders,
}


# --- responses ------------------------------------------------------------------------

class DepartementOut(Schema):
    code = String(required=True, metadata={"description": "e.g. 59"})
    nom = String(required=True)
    communes_count = Integer(required=True, metadata={"description": "number of communes of the department"})


class DepartementList(Schema):
    departements = List(Nested(DepartementOut), required=True)
    data = Nested(DataOut, required=True)


class FeedMissionOut(Schema):
    id = String(required=True, metadata={"description": "GET /missions/{id} gives its address and phone"})
    name = String(required=True)
    city = String(required=True, allow_none=True)
    distance_m = Float(required=True, metadata={"description": "geodesic metres (WGS84 ellipsoid)"})
    location_precision = _precision()
    mission_locale = String(required=True, allow_none=True, metadata={
        "description": "the union's code of the site's mission locale",
    })


class FeedOwnOut(Schema):
    code = String(required=True, metadata={"description": "the union's (UNML) code; GET /missions-locales/{code}"})
    name = String(required=True)
    site = Nested(FeedMissionOut, required=True, allow_none=True, metadata={
        "description": "its served site nearest to the commune; null if it has none",
    })


class FeedCommuneOut(Schema):
    code = String(required=True, metadata={"description": "INSEE code (COG), 5 characters"})
    label = _label()
    codesPostaux = List(String(), required=True)
    mission = Nested(FeedMissionOut, required=True, allow_none=True, metadata={
        "description": "the nearest served mission site, of any mission locale; null only if no site is served",
    })
    mission_locale = Nested(FeedOwnOut, required=True, allow_none=True, metadata={
        "description": "the commune's own mission locale (the union's zones; the one with the nearest site when "
                       "several); null where no zones are loaded",
    })


class DepartementRef(Schema):
    code = String(required=True)
    nom = String(required=True)


class DepartementCommunes(Schema):
    departement = Nested(DepartementRef, required=True)
    count = Integer(required=True)
    communes = List(Nested(FeedCommuneOut), required=True, metadata={
        "description": "every commune of the department in French alphabetical order of its name as written, "
                       "article included (Le Quesnoy under L), case and accents ignored (Écaillon among the E)",
    })
    method = String(required=True)
    data = Nested(DataOut, required=True)


class PointCommuneOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    label = _label()
    distance_m = Float(required=True, metadata={
        "description": "0 when the point is inside the commune; else the geodesic distance to it (at most 2 km)",
    })


class PointNearestAnswer(Schema):
    point = Nested(PointOut, required=True)
    commune = Nested(PointCommuneOut, required=True, metadata={
        "description": "the commune the point is in, or the nearest one within 2 km",
    })
    missions = List(Nested(NearestMissionOut), required=True)
    method = String(required=True)
    data = Nested(DataOut, required=True)


class OutlineProperties(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    label = _label()


class OutlineOut(Schema):
    type = String(required=True, validate=OneOf(["Feature"]))
    geometry = Dict(required=True, metadata={
        "description": "GeoJSON MultiPolygon, longitude/latitude WGS84 (RFC 7946), 6 decimals",
    })
    properties = Nested(OutlineProperties, required=True)
    data = Nested(DataOut, required=True, metadata={"description": "a foreign member (RFC 7946, 6.1)"})
