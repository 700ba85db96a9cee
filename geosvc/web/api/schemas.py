"""Request and response schemas: they validate input and generate /openapi.json."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from geosvc.core.rules import DEFAULT_K, DEPARTEMENT_CODE_PATTERN, MAX_K, PRECISIONS
from geosvc.web.api.fields import AsciiInteger, WholeMatch
from geosvc.web.api.transit_schemas import TransitOut

MAX_LIMIT = 100
MAX_QUERY_CHARS = 100
DEPARTEMENT_PATTERN = DEPARTEMENT_CODE_PATTERN


# --- requests -------------------------------------------------------------------------

class NearestQuery(Schema):
    k = AsciiInteger(load_default=DEFAULT_K, validate=Range(1, MAX_K), metadata={"description": "number of sites"})


# --- responses ------------------------------------------------------------------------

class PointOut(Schema):
    lon = Float(required=True)
    lat = Float(required=True)


class CommuneOut(Schema):
    code = String(required=True, metadata={"description": "INSEE code (COG), 5 characters"})
    nom = String(required=True)
    departement = String(required=True)
    codesPostaux = List(String(), required=True)
    population = Integer(
        required=True, allow_none=True, metadata={"description": "null when the data has none"}
    )
    point = Nested(PointOut, required=True, metadata={
        "description": "reference point: ST_PointOnSurface of the polygon, always inside the commune",
    })


class MissionOut(Schema):
    id = String(required=True)
    mission_locale = String(required=True, allow_none=True, metadata={
        "description": "the union's (UNML) code of the site's mission locale; null where no zones are loaded",
    })
    name = String(required=True)
    kind = String(allow_none=True, metadata={"description": "siege (head office) / antenne"})
    address = String(allow_none=True, metadata={"description": "null when the source has no street address"})
    postcode = String(allow_none=True, metadata={"description": "as in the source; may be a CEDEX code"})
    city = String(allow_none=True)
    insee = String(required=True, metadata={"description": "INSEE code of the site's commune"})
    phone = String(allow_none=True)
    email = String(allow_none=True)
    website = String(allow_none=True)
    hours = Dict(allow_none=True, metadata={
        "description": 'opening hours as the record states them: {"days": {"lundi": [["08:30", "12:00"], ...]}, '
                       '"notes": [...]}; null when the source has none (not "closed")',
    })
    accessibility = String(allow_none=True, metadata={"description": "accessibility code of the directory record"})
    lon = Float(required=True)
    lat = Float(required=True)
    location_precision = String(required=True, validate=OneOf(PRECISIONS), metadata={
        "description": "'commune': the source has no coordinates, the point is the commune's reference point",
    })
    record_date = String(required=True, allow_none=True, metadata={
        "description": "date (or month) of the record this address comes from: an older address may have moved",
    })
    confirmed = Boolean(required=True, metadata={
        "description": "true when the union's head-office address of the zones' month is this address; "
                       "otherwise not confirmed since record_date",
    })


class NearestMissionOut(MissionOut):
    distance_m = Float(required=True, metadata={"description": "geodesic metres (WGS84 ellipsoid)"})


class DatasetOut(Schema):
    file = String(required=True)
    source = String(required=True)
    vintage = String(required=True)
    rows = Integer(required=True)
    loaded_at = String(required=True, metadata={"format": "date-time", "description": "ISO 8601, with offset"})
    records_dated = Dict(metadata={"description": "first and last source_date of the served sites"})


class DataOut(Schema):
    communes = Nested(DatasetOut)
    missions = Nested(DatasetOut, metadata={"description": "the mission sites"})
    zones = Nested(DatasetOut, metadata={"description": "the union's commune -> mission locale table"})
    timetable = Nested(DatasetOut, metadata={
        "description": "the SNCF TER timetable (GTFS), in the answers carrying travel times"})


class CommuneAnswer(CommuneOut):
    data = Nested(DataOut, required=True)


class NearestAnswer(Schema):
    commune = Nested(CommuneOut, required=True)
    missions = List(Nested(NearestMissionOut), required=True)
    method = String(required=True)
    data = Nested(DataOut, required=True)


class MissionAnswer(MissionOut):
    data = Nested(DataOut, required=True)


class MissionList(Schema):
    missions = List(Nested(MissionOut), required=True)
    data = Nested(DataOut, required=True)


class HealthOut(Schema):
    status = String(required=True, metadata={"description": "ok, empty (no data loaded), or degraded "
                                                            "(database unreachable: answers come from memory)"})
    database = String(required=True, metadata={"description": "reachable or unreachable"})
    counts = Dict(metadata={"description": "rows in the database (absent while it is unreachable)"})
    data = Nested(DataOut)
    data_loaded_at = String(allow_none=True, metadata={"description": "when the data this worker serves was ingested"})
    data_age_s = Float(allow_none=True, metadata={"description": "seconds since then"})


class ErrorOut(Schema):
    status = Integer(required=True)
    code = String(required=True, metadata={"description": "stable machine-readable error code"})
    message = String(required=True)
    details = Dict()


# --- commune search and autocomplete ------------------------------------------------------

from geosvc.core.search_index import MATCH_KINDS  # noqa: E402 - appended section, kept next to its schemas

MAX_AUTOCOMPLETE_LIMIT = 20
_Q_DESCRIPTION = (
    "a commune name as people type it (case, accents, hyphens, apostrophes, St/Ste and a leading article "
    "ignored; written by ear, or with one or two typos, tolerated; 's/', '/' and 'sr' read as 'sur'), a "
    "current or former name, a former INSEE code, a 5-digit postcode or its first 2-4 digits. A department "
    "in brackets, as in the labels, filters: 'Brie (80)'; a postcode, a department number or name beside "
    "the name narrows it: 'amiens 80000', 'Brie 02', 'flers somme'."
)


class CommuneSearchQuery(Schema):
    q = String(required=True, validate=Length(1, MAX_QUERY_CHARS), metadata={"description": _Q_DESCRIPTION})
    departement = String(validate=WholeMatch(DEPARTEMENT_PATTERN), metadata={"description": "e.g. 59"})
    limit = AsciiInteger(load_default=20, validate=Range(1, MAX_LIMIT), metadata={
        "description": "at most this many communes; a full postcode returns every commune that has it, "
                       "even beyond the limit (at most 40 in the region)",
    })


class AutocompleteQuery(Schema):
    q = String(required=True, validate=Length(1, MAX_QUERY_CHARS), metadata={
        "description": "what has been typed so far: names are completed from the 2nd character; "
                       + _Q_DESCRIPTION,
    })
    departement = String(validate=WholeMatch(DEPARTEMENT_PATTERN), metadata={"description": "e.g. 59"})
    limit = AsciiInteger(load_default=10, validate=Range(1, MAX_AUTOCOMPLETE_LIMIT), metadata={
        "description": "at most this many entries (a full postcode returns all its communes)",
    })


class FormerNameOut(Schema):
    code = String(required=True, metadata={"description": "INSEE code of the former commune"})
    nom = String(required=True, allow_none=True, metadata={"description": "null for a bare former code"})


def _matched():
    return String(required=True, validate=OneOf(MATCH_KINDS), metadata={
        "description": "how the query matched: exact (same name once folded), prefix, sound (sounds like the "
                       "name, or its beginning), fuzzy (typos, or a sound one edit away), postcode, former (a "
                       "former name or code of this commune, shown in `former`)",
    })


class OutsideRegionOut(Schema):
    code = String(required=True, metadata={"description": "INSEE code of that commune (COG 2026)"})
    nom = String(required=True)
    departement = String(required=True)


class SearchHintOut(Schema):
    outside_region = Nested(OutsideRegionOut, required=True, metadata={
        "description": "the query names a commune of metropolitan France outside Hauts-de-France (or is "
                       "closer to one than to any commune of the region): `communes` is then empty",
    })


def _hint():
    return Nested(SearchHintOut, metadata={"description": "only when no commune of the region is meant"})


def _former():
    return Nested(FormerNameOut, metadata={"description": "only when matched is 'former'"})


def _label():
    return String(required=True, metadata={
        "description": "the name to show: 'Nom (département)' when communes of several departments share the "
                       "name (case, accents and a leading article ignored), else the name",
    })


class SearchHitOut(CommuneOut):
    label = _label()
    score = Float(required=True, metadata={
        "description": "1 = exact name or full postcode; prefix about 0.8, sound-alike about 0.7, typo "
                       "0.4-0.66; results come in descending score, then larger population",
    })
    matched = _matched()
    former = _former()


class SearchAnswer(Schema):
    communes = List(Nested(SearchHitOut), required=True)
    hint = _hint()
    data = Nested(DataOut, required=True)


class AutocompleteEntryOut(Schema):
    code = String(required=True, metadata={"description": "INSEE code (COG), 5 characters"})
    label = _label()
    nom = String(required=True)
    departement = String(required=True)
    codesPostaux = List(String(), required=True)
    matched = _matched()
    former = _former()


class AutocompleteAnswer(Schema):
    communes = List(Nested(AutocompleteEntryOut), required=True)
    hint = _hint()


# --- the commune's own mission locale ------------------------------------------------------

class HeadOfficeOut(Schema):
    address = String(allow_none=True, metadata={"description": "as the union published it (abbreviated)"})
    postcode = String(allow_none=True)
    city = String(allow_none=True)
    insee = String(allow_none=True, metadata={"description": "the head office's commune, when found"})


class MissionLocaleOut(Schema):
    code = String(required=True, metadata={"description": "the union's (UNML) code of the mission locale"})
    name = String(required=True)
    official_name = String(required=True, metadata={"description": "as the union publishes it"})
    head_office = Nested(HeadOfficeOut, required=True, metadata={
        "description": "the head-office address the union stated in the zones' month",
    })
    communes_count = Integer(required=True)
    population = Integer(required=True)


class OwnMissionLocaleOut(MissionLocaleOut):
    sites = List(Nested(NearestMissionOut), required=True, metadata={
        "description": "all its served sites, nearest first (geodesic metres from the commune)",
    })


class ZoneOut(Schema):
    file = String(required=True)
    source = String(required=True)
    vintage = String(required=True, metadata={"description": "the month of the union's table"})
    month = String(required=True, allow_none=True, metadata={
        "description": "the same month as YYYY-MM, the form of a site's record_date: a site whose record_date "
                       "is older was recorded before the zones (its address may have moved); null when the "
                       "vintage names no month",
        "example": "2026-01",
    })


class NearestSiteOut(NearestMissionOut):
    mission_locale_name = String(required=True, allow_none=True, metadata={
        "description": "the readable name of the site's mission locale (which may not be the commune's own); "
                       "null where no zones are loaded",
    })


class MissionLocaleAnswer(Schema):
    commune = Nested(CommuneOut, required=True)
    mission_locale = Nested(OwnMissionLocaleOut, required=True, allow_none=True, metadata={
        "description": "the commune's own mission locale (the one with the nearest site when the union lists "
                       "several); null where no zones are loaded",
    })
    also = List(Nested(OwnMissionLocaleOut), required=True, metadata={
        "description": "other missions locales the union lists for this commune (usually none)",
    })
    nearest = List(Nested(NearestSiteOut), required=True, metadata={
        "description": "the k nearest served sites of any mission locale, each naming its mission locale",
    })
    nearest_is_own = Boolean(required=True, allow_none=True, metadata={
        "description": "true when the nearest served site belongs to the commune's own mission locale",
    })
    zone = Nested(ZoneOut, required=True, allow_none=True)
    transit = Nested(TransitOut, required=True, allow_none=True, metadata={
        "description": "travel time by TER (SNCF trains and coaches; no city buses) to the own mission locale, "
                       "walking and biking to the stops (docs/TRANSIT.md); null when no timetable is loaded with "
                       "the data or the commune has no own mission locale",
    })
    method = String(required=True)
    data = Nested(DataOut, required=True)


class MissionLocaleList(Schema):
    missions_locales = List(Nested(MissionLocaleOut), required=True)
    zone = Nested(ZoneOut, required=True, allow_none=True)
    data = Nested(DataOut, required=True)


class ZoneCommuneOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    population = Integer(required=True, allow_none=True)
    several = Boolean(required=True, metadata={"description": "the union lists this commune under several"})


class MissionLocaleDetail(MissionLocaleOut):
    communes = List(Nested(ZoneCommuneOut), required=True)
    sites = List(Nested(MissionOut), required=True)
    zone = Nested(ZoneOut, required=True, allow_none=True)
    data = Nested(DataOut, required=True)
