"""Coverage request and response schemas: they validate input and document /openapi.json.

Output schemas list every field the views return (marshmallow drops unknown keys on
dump), so a field missing here would silently vanish from the answer; the tests compare
the JSON with the computed figures.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DelimitedList, Dict, Float, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError, pre_load, validates, validates_schema

from geosvc.core.rules import COMMUNE_CODE_PATTERN, EPCI_CODE_PATTERN
from geosvc.coverage.catchments import API_LAYERS
from geosvc.coverage.indicators import DEFAULT_FARTHEST, DEFAULT_THRESHOLDS_KM
from geosvc.coverage.scenarios import MAX_CHANGES
from geosvc.coverage.transit import DEFAULT_THRESHOLDS_MIN
from geosvc.coverage.transit import LEVELS as TRANSIT_LEVELS
from geosvc.coverage.transit import MODES as TRANSIT_MODES
from geosvc.coverage.transit import ORDERS as TRANSIT_ORDERS
from geosvc.coverage.transit import TARGETS as TRANSIT_TARGETS
from geosvc.coverage.transit_scenario import MAX_COMMUNES as TER_MAX_COMMUNES
from geosvc.web.api.fields import AsciiFloat, AsciiInteger, WholeMatch
from geosvc.web.api.schemas import DEPARTEMENT_PATTERN, DataOut, DatasetOut, PointOut

MAX_THRESHOLDS = 10
MAX_THRESHOLD_KM = 200.0
MAX_FARTHEST = 50
MAX_SITE_NAME = 100
MAX_ID_CHARS = 200
TABLES = ("areas", "sites", "missions_locales", "zones")
ASSIGNMENT_TABLES = ("mismatches", "cross")
# Values of the former API (sites grouped by a "structure" derived from their names), refused
# with a message naming the new value.
RENAMED_TABLES = {"structures": "missions_locales"}
RENAMED_LAYERS = {"structure": "mission_locale"}

# Ids and names are printable text: no control character (PostgreSQL text cannot even hold NUL).
_PRINTABLE = WholeMatch(r"^[^\x00-\x1f\x7f\ud800-\udfff]*$",
                        error="control characters and lone surrogates are not allowed")
_threshold = AsciiFloat(validate=Range(0, MAX_THRESHOLD_KM, min_inclusive=False), allow_nan=False)
_metres = {"description": "geodesic metres (WGS84 ellipsoid); null when there is nothing to measure"}


# --- requests -------------------------------------------------------------------------

class FlatErrors(Schema):
    """Errors keyed 'add[0].lon' rather than nested dicts, so the error message reads well."""

    def handle_error(self, error: ValidationError, data, **kwargs):
        raise ValidationError(_flatten(error.messages))


class CoverageQuery(FlatErrors):
    thresholds_km = DelimitedList(
        _threshold, load_default=list(DEFAULT_THRESHOLDS_KM), validate=Length(1, MAX_THRESHOLDS),
        metadata={"description": "comma-separated distances in km, e.g. 5,10,15,20"},
    )
    farthest = AsciiInteger(load_default=DEFAULT_FARTHEST, validate=Range(0, MAX_FARTHEST),
                       metadata={"description": "how many farthest communes to list per area"})
    format = String(load_default="json", validate=OneOf(["json", "csv"]))
    table = String(load_default="areas", metadata={
        "description": "with format=csv: which table", "enum": list(TABLES),
    })

    @validates("table")
    def _table(self, value, **kwargs):
        _renamed(value, RENAMED_TABLES, TABLES)


class CommunesQuery(FlatErrors):
    departement = String(validate=WholeMatch(DEPARTEMENT_PATTERN), metadata={"description": "e.g. 59"})
    epci = String(validate=WholeMatch(EPCI_CODE_PATTERN), metadata={"description": "SIREN of the EPCI"})
    beyond_km = AsciiFloat(validate=Range(0, MAX_THRESHOLD_KM), allow_nan=False,
                      metadata={"description": "only communes strictly farther than this from their nearest site"})
    zone = String(validate=WholeMatch(COMMUNE_CODE_PATTERN), metadata={
        "description": "only the communes of this mission locale's zone (the union's code, e.g. 60176)",
    })
    own_beyond_km = AsciiFloat(validate=Range(0, MAX_THRESHOLD_KM), allow_nan=False, metadata={
        "description": "only communes strictly farther than this from their own mission locale's nearest site "
                       "(communes without an own distance are left out)",
    })
    order = String(load_default="code", validate=OneOf(["code", "distance", "own_distance"]),
                   metadata={"description": "by INSEE code, farthest from the nearest site first, or farthest from "
                                            "their own mission locale first (those without one last)"})
    format = String(load_default="json", validate=OneOf(["json", "csv", "geojson"]),
                    metadata={"description": "geojson: commune polygons with their coverage (choropleth)"})


class CatchmentsQuery(FlatErrors):
    by = String(load_default="site", metadata={
        "description": "catchments by nearest site or by its mission locale, Voronoi cells of the sites, or "
                       "the official zones' outlines (zone)",
        "enum": list(API_LAYERS),
    })

    @validates("by")
    def _by(self, value, **kwargs):
        _renamed(value, RENAMED_LAYERS, API_LAYERS)


class FormatQuery(FlatErrors):
    format = String(load_default="json", validate=OneOf(["json", "csv"]))


class AssignmentQuery(FlatErrors):
    format = String(load_default="json", validate=OneOf(["json", "csv", "geojson"]), metadata={
        "description": "geojson: the polygons of the communes nearer another mission locale's site (a map layer)",
    })
    table = String(load_default="mismatches", validate=OneOf(list(ASSIGNMENT_TABLES)), metadata={
        "description": "with format=csv: the mismatched communes, or the zone x catchment cross-table",
    })


class AddIn(FlatErrors):
    name = String(required=True, validate=[Length(1, MAX_SITE_NAME), _PRINTABLE])
    lon = AsciiFloat(required=True, validate=Range(-180, 180), allow_nan=False)
    lat = AsciiFloat(required=True, validate=Range(-90, 90), allow_nan=False)
    mission_locale = String(
        load_default=None, allow_none=True, validate=[Length(1, MAX_ID_CHARS), _PRINTABLE],
        metadata={"description": "the union's code of the mission locale the new site belongs to "
                                 "(GET /missions-locales); without it, the site belongs to none"},
    )


class MoveIn(FlatErrors):
    id = String(required=True, validate=[Length(1, MAX_ID_CHARS), _PRINTABLE])
    lon = AsciiFloat(required=True, validate=Range(-180, 180), allow_nan=False)
    lat = AsciiFloat(required=True, validate=Range(-90, 90), allow_nan=False)


class ScenarioIn(FlatErrors):
    add = List(Nested(AddIn), load_default=list, metadata={"description": "hypothetical sites to open"})
    close = List(String(validate=[Length(1, MAX_ID_CHARS), _PRINTABLE]), load_default=list,
                 metadata={"description": "ids of served sites to close"})
    move = List(Nested(MoveIn), load_default=list, metadata={"description": "served sites to move"})
    thresholds_km = List(_threshold, load_default=lambda: list(DEFAULT_THRESHOLDS_KM),
                         validate=Length(1, MAX_THRESHOLDS))
    farthest = AsciiInteger(load_default=DEFAULT_FARTHEST, validate=Range(0, MAX_FARTHEST))

    @pre_load
    def _counted_first(self, data, **kwargs):
        """Count the items before reading any: 21,841 empty items took 1.2 s and a 6.8 MB error."""
        if not isinstance(data, dict):
            return data  # marshmallow says "Invalid input type"
        lists = {key: data[key] for key in ("add", "close", "move", "thresholds_km") if isinstance(data.get(key), list)}
        count = sum(len(lists.get(key, ())) for key in ("add", "close", "move"))
        if count > MAX_CHANGES:
            raise ValidationError(f"a scenario has 1 to {MAX_CHANGES} changes (add + close + move), not {count}",
                                  field_name="changes")
        if len(lists.get("thresholds_km", ())) > MAX_THRESHOLDS:
            raise ValidationError(f"at most {MAX_THRESHOLDS} thresholds", field_name="thresholds_km")
        return data

    @validates_schema
    def _bounded(self, data, **kwargs):
        count = sum(len(data.get(key, [])) for key in ("add", "close", "move"))
        if not 1 <= count <= MAX_CHANGES:
            raise ValidationError(f"a scenario has 1 to {MAX_CHANGES} changes (add + close + move), not {count}",
                                  field_name="changes")


def _renamed(value: str, renamed: dict[str, str], allowed) -> None:
    """A value of the former API names its new spelling; any other unknown value lists the allowed ones."""
    if value in renamed:
        raise ValidationError(f"{value!r} was renamed: use {renamed[value]!r} "
                              "(sites are grouped by their mission locale, the union's code)")
    if value not in allowed:
        raise ValidationError(f"Must be one of: {', '.join(allowed)}.")


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    if not isinstance(messages, dict):
        return {prefix or "body": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
        flat.update(_flatten(value, name))
    return flat


# --- responses: indicators ------------------------------------------------------------

class BeyondOut(Schema):
    km = Float(required=True)
    communes = Integer(required=True)
    communes_share = Float(required=True, allow_none=True)
    population = Integer(required=True)
    population_share = Float(required=True, allow_none=True, metadata={
        "description": "of the population of communes whose population is known",
    })


class CommuneBriefOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    epci = String(allow_none=True)
    population = Integer(allow_none=True)
    site_id = String(required=True)
    site_name = String(required=True)
    distance_m = Float(required=True, metadata=_metres)


class OwnBriefOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    epci = String(allow_none=True)
    population = Integer(allow_none=True)
    mission_locale = String(required=True, metadata={"description": "its own mission locale (zones)"})
    mission_locale_name = String(required=True)
    site_id = String(required=True, metadata={"description": "its own mission locale's nearest served site"})
    site_name = String(required=True)
    distance_m = Float(required=True, metadata=_metres)
    nearest_site_id = String(required=True, metadata={"description": "the nearest served site of any mission locale"})
    nearest_mission_locale = String(required=True, allow_none=True)
    nearest_distance_m = Float(required=True, metadata=_metres)


def _distance_fields() -> dict:
    """The figures of figures.distance_figures (geosvc/coverage/figures.py)."""
    return {
        "weighted_mean_distance_m": Float(required=True, allow_none=True, metadata=_metres),
        "weighted_median_distance_m": Float(required=True, allow_none=True, metadata=_metres),
        "mean_distance_m": Float(required=True, allow_none=True, metadata=_metres),
        "max_distance_m": Float(required=True, allow_none=True, metadata=_metres),
        "beyond": List(Nested(BeyondOut), required=True),
    }


def _nearest_other_fields() -> dict:
    return {
        "communes_nearest_other": Integer(required=True, metadata={
            "description": "communes with a zone whose nearest site belongs to another mission locale than theirs",
        }),
        "population_nearest_other": Integer(required=True),
        "population_nearest_other_share": Float(required=True, allow_none=True, metadata={
            "description": "of the known population of the communes with a zone",
        }),
    }


OwnAreaOut = Schema.from_dict({
    "communes": Integer(required=True, metadata={"description": "communes with an own distance (the figures' base)"}),
    "population": Integer(required=True),
    "communes_without_population": Integer(required=True),
    "communes_without_zone": Integer(required=True, metadata={"description": "on no zone: no own distance"}),
    "communes_own_without_site": Integer(required=True, metadata={
        "description": "on a zone whose mission locale has no served site: no own distance",
    }),
    **_distance_fields(),
    "farthest": List(Nested(OwnBriefOut), required=True),
    **_nearest_other_fields(),
}, name="OwnAreaOut")


class AreaOut(Schema):
    level = String(required=True, validate=OneOf(["region", "departement", "epci"]))
    code = String(required=True)
    nom = String(required=True)
    type = String(metadata={"description": "EPCI only: CC, CA, CU or METRO"})
    communes = Integer(required=True)
    population = Integer(required=True)
    communes_without_population = Integer(required=True)
    weighted_mean_distance_m = Float(required=True, allow_none=True, metadata=_metres)
    weighted_median_distance_m = Float(required=True, allow_none=True, metadata=_metres)
    mean_distance_m = Float(required=True, allow_none=True, metadata=_metres)
    max_distance_m = Float(required=True, allow_none=True, metadata=_metres)
    beyond = List(Nested(BeyondOut), required=True)
    farthest = List(Nested(CommuneBriefOut), required=True)
    own = Nested(OwnAreaOut, required=True, allow_none=True, metadata={
        "description": "the same figures over the distance to one's own mission locale (the union's zones); "
                       "null when no zones are loaded",
    })


def _served_fields() -> dict:
    """What a site or a mission locale serves: the communes for which it (one of its sites) is the nearest."""
    return {
        "communes": Integer(required=True, metadata={"description": "communes for which it is the nearest"}),
        "population": Integer(required=True),
        "mean_distance_m": Float(required=True, allow_none=True, metadata=_metres),
        "weighted_mean_distance_m": Float(required=True, allow_none=True, metadata=_metres),
        "max_distance_m": Float(required=True, allow_none=True, metadata=_metres),
    }


# built with from_dict so that the identity fields come first in the JSON, then the served ones
SiteStatsOut = Schema.from_dict({
    "id": String(required=True),
    "name": String(required=True),
    "insee": String(allow_none=True),
    "commune": String(allow_none=True),
    "kind": String(allow_none=True),
    "location_precision": String(required=True, metadata={
        "description": "address, commune (placed at its commune's reference point) or hypothetical (a scenario's)",
    }),
    "hypothetical": Boolean(required=True),
    "mission_locale": String(required=True, allow_none=True, metadata={
        "description": "the union's code of the site's mission locale; null where no zones are loaded",
    }),
    "mission_locale_name": String(required=True, allow_none=True),
    "lon": Float(required=True),
    "lat": Float(required=True),
    **_served_fields(),
}, name="SiteStatsOut")

MissionLocaleStatsOut = Schema.from_dict({
    "code": String(required=True, metadata={"description": "the union's (UNML) code"}),
    "name": String(required=True),
    "sites": List(String(), required=True, metadata={"description": "its served sites (of this network)"}),
    "zone_communes": Integer(required=True, metadata={"description": "communes of its zone (the union's table)"}),
    "zone_population": Integer(required=True),
    **_served_fields(),
}, name="MissionLocaleStatsOut")


class OwnSiteShareOut(Schema):
    id = String(required=True)
    name = String(required=True)
    communes = Integer(required=True, metadata={
        "description": "communes of the zone for which it is the nearest of its mission locale's sites",
    })
    population = Integer(required=True)
    population_share = Float(required=True, allow_none=True, metadata={"description": "of the zone's population"})


ZoneIndicatorsOut = Schema.from_dict({
    "code": String(required=True, metadata={"description": "the mission locale (the union's code)"}),
    "name": String(required=True),
    "communes": Integer(required=True, metadata={"description": "communes of its zone"}),
    "population": Integer(required=True),
    "communes_without_population": Integer(required=True),
    "area_km2": Float(required=True, allow_none=True, metadata={
        "description": "geodesic area of the zone (sum of its communes' areas on the WGS84 ellipsoid)",
    }),
    "sites": List(String(), required=True, metadata={"description": "its served sites"}),
    "communes_without_own_site": Integer(required=True, metadata={
        "description": "all of the zone when its mission locale has no served site (no distance then), else 0",
    }),
    **_distance_fields(),
    "nearest_weighted_mean_distance_m": Float(required=True, allow_none=True, metadata={
        "description": "the zone's weighted mean distance to the nearest site of ANY mission locale, to compare",
    }),
    "main_site": Nested(OwnSiteShareOut, required=True, allow_none=True, metadata={
        "description": "its site that is the nearest (of its sites) for the largest population of the zone",
    }),
    "own_sites": List(Nested(OwnSiteShareOut), required=True),
    "farthest": List(Nested(OwnBriefOut), required=True),
    **_nearest_other_fields(),
}, name="ZoneIndicatorsOut")


class OwnAvailabilityOut(Schema):
    available = Boolean(required=True, metadata={"description": "false when no zones are loaded"})
    reason = String(required=True, allow_none=True, metadata={"description": "why the own figures are not available"})
    dataset = Nested(DatasetOut, required=True, allow_none=True, metadata={
        "description": "the union's coverage table loaded",
    })
    definition = String(required=True)


class IndicatorsCore(Schema):
    thresholds_km = List(Float(), required=True)
    region = Nested(AreaOut, required=True)
    departements = List(Nested(AreaOut), required=True)
    epci = List(Nested(AreaOut), required=True)
    sites = List(Nested(SiteStatsOut), required=True)
    missions_locales = List(Nested(MissionLocaleStatsOut), required=True, metadata={
        "description": "every mission locale; sites without one (data without zones) are in none",
    })
    own_mission_locale = Nested(OwnAvailabilityOut, required=True, metadata={
        "description": "whether the figures on the official zones (each area's `own`, `zones`) are available",
    })
    zones = List(Nested(ZoneIndicatorsOut), required=True, metadata={
        "description": "per mission locale, its zone with the distance to its own sites; [] without zones",
    })


class IndicatorsOut(IndicatorsCore):
    method = String(required=True)
    definitions = Dict(keys=String(), values=String(), required=True)
    data = Nested(DataOut, required=True)


# --- responses: communes --------------------------------------------------------------

class NearestOut(Schema):
    id = String(required=True)
    name = String(required=True)
    mission_locale = String(required=True, allow_none=True)
    distance_m = Float(required=True, metadata=_metres)


class CommuneCoverageOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    departement_nom = String(required=True, allow_none=True)
    epci = String(allow_none=True)
    epci_nom = String(allow_none=True)
    population = Integer(allow_none=True)
    point = Nested(PointOut, required=True, metadata={"description": "reference point (ST_PointOnSurface)"})
    site_id = String(required=True)
    site_name = String(required=True)
    mission_locale = String(required=True, allow_none=True, metadata={"description": "the nearest site's"})
    mission_locale_name = String(required=True, allow_none=True)
    distance_m = Float(required=True, metadata=_metres)
    nearest = List(Nested(NearestOut), required=True, metadata={"description": "the 3 nearest served sites"})
    own = Nested(lambda: OwnCommuneOut(), required=True, allow_none=True, metadata={
        "description": "its own mission locale's nearest served site (the union's zones); null when it has none "
                       "(no zone loaded for it, or no served site of its mission locale)",
    })


class OwnCommuneOut(Schema):
    mission_locale = String(required=True)
    mission_locale_name = String(required=True)
    several = Boolean(required=True, metadata={"description": "on several zones: the nearest of them"})
    site_id = String(required=True)
    site_name = String(required=True)
    distance_m = Float(required=True, metadata=_metres)
    nearest_is_own = Boolean(required=True, metadata={"description": "its nearest site is its own mission locale's"})


class CommunesCoverageOut(Schema):
    count = Integer(required=True)
    communes = List(Nested(CommuneCoverageOut), required=True)
    method = String(required=True)
    data = Nested(DataOut, required=True)


# --- responses: data quality, own mission locale vs nearest ------------------------------

class QualityCommuneOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    population = Integer(allow_none=True)
    codesPostaux = List(String(), required=True)


class ApproximateSiteOut(Schema):
    id = String(required=True)
    name = String(required=True)
    insee = String(required=True)
    commune = String(required=True)
    status = String(required=True)
    coord_source = String(allow_none=True)
    note = String(allow_none=True)


class NotServedSiteOut(Schema):
    id = String(required=True)
    name = String(required=True)
    status = String(required=True)
    status_reason = String(allow_none=True)
    superseded_by = String(allow_none=True)


class OutsideSiteOut(Schema):
    id = String(required=True)
    name = String(required=True)
    status = String(required=True)
    insee = String(required=True)
    commune = String(required=True)
    distance_m = Float(required=True, metadata={"description": "geodesic metres from the stated commune's polygon"})
    found_in = String(allow_none=True, metadata={"description": "the commune the point is in, if any"})


class DuplicateSiteOut(Schema):
    id = String(required=True)
    other_id = String(required=True)
    name = String(required=True)
    other_name = String(required=True)
    distance_m = Float(required=True)
    same_address = Boolean(required=True)


class QualityOut(Schema):
    counts = Dict(keys=String(), values=Integer(), required=True)
    communes_without_population = List(Nested(QualityCommuneOut), required=True)
    communes_without_postcode = List(Nested(QualityCommuneOut), required=True)
    approximate_sites = List(Nested(ApproximateSiteOut), required=True)
    not_served_sites = List(Nested(NotServedSiteOut), required=True)
    sites_outside_commune = List(Nested(OutsideSiteOut), required=True)
    duplicate_sites = List(Nested(DuplicateSiteOut), required=True)
    duplicate_radius_m = Float(required=True)
    data = Nested(DataOut, required=True)


class MismatchOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    population = Integer(allow_none=True)
    mission_locale = String(required=True, metadata={"description": "the commune's own (zones)"})
    mission_locale_name = String(required=True)
    several = Boolean(required=True, metadata={"description": "the commune is on several zones"})
    own_site_id = String(required=True, allow_none=True, metadata={
        "description": "nearest served site of its own mission locale(s); null when it has none",
    })
    own_site_name = String(required=True, allow_none=True)
    own_distance_m = Float(required=True, allow_none=True, metadata=_metres)
    nearest_site_id = String(required=True)
    nearest_site_name = String(required=True)
    nearest_mission_locale = String(required=True, allow_none=True)
    nearest_mission_locale_name = String(required=True, allow_none=True)
    nearest_distance_m = Float(required=True, metadata=_metres)
    extra_distance_m = Float(required=True, allow_none=True, metadata={"description": "own minus nearest, metres"})


class ZoneSummaryOut(Schema):
    code = String(required=True)
    name = String(required=True)
    zone_communes = Integer(required=True)
    zone_population = Integer(required=True)
    communes_nearest_other = Integer(required=True, metadata={
        "description": "communes of its zone whose nearest site is another mission locale's",
    })
    population_nearest_other = Integer(required=True)
    population_nearest_other_share = Float(required=True, allow_none=True, metadata={
        "description": "of its zone's known population",
    })
    nearest_other = List(Nested(lambda: LostToOut()), required=True, metadata={
        "description": "whose sites are nearest to the communes of its zone nearer another's: most people first",
    })
    communes_attracted = Integer(required=True, metadata={
        "description": "communes of other zones whose nearest site is one of its",
    })
    population_attracted = Integer(required=True)


class LostToOut(Schema):
    code = String(required=True, allow_none=True, metadata={"description": "the other mission locale"})
    name = String(required=True, allow_none=True)
    communes = Integer(required=True)
    population = Integer(required=True)


class CrossCellOut(Schema):
    mission_locale = String(required=True, metadata={"description": "the zone: the communes' own mission locale"})
    mission_locale_name = String(required=True)
    nearest_mission_locale = String(required=True, allow_none=True, metadata={
        "description": "the catchment: the mission locale of the communes' nearest site",
    })
    nearest_mission_locale_name = String(required=True, allow_none=True)
    same = Boolean(required=True, metadata={"description": "zone and catchment agree"})
    communes = Integer(required=True)
    population = Integer(required=True)


class AssignmentOut(Schema):
    available = Boolean(required=True, metadata={"description": "false when no zones are loaded"})
    reason = String(required=True, allow_none=True, metadata={"description": "why it is not available"})
    dataset = Nested(DatasetOut, allow_none=True, metadata={"description": "the union's coverage table loaded"})
    definition = String(required=True)
    communes_zoned = Integer(required=True)
    communes_without_zone = Integer(required=True)
    population_zoned = Integer(required=True)
    communes_nearest_own = Integer(required=True)
    communes_nearest_other = Integer(required=True)
    communes_nearest_other_share = Float(required=True, allow_none=True)
    population_nearest_other = Integer(required=True)
    population_nearest_other_share = Float(required=True, allow_none=True)
    communes_own_without_site = Integer(required=True)
    missions_locales = List(Nested(ZoneSummaryOut), required=True)
    cross_table = List(Nested(CrossCellOut), required=True, metadata={
        "description": "zone x catchment: communes and population by own mission locale and nearest site's "
                       "mission locale (every pair that occurs; a commune on several zones counts in each)",
    })
    mismatches = List(Nested(MismatchOut), required=True, metadata={"description": "largest extra distance first"})
    method = String(required=True)
    data = Nested(DataOut, required=True)


# --- responses: scenarios -------------------------------------------------------------

class ChangeOut(Schema):
    # Raw: counts stay integers, distances and shares stay as computed
    current = Raw(allow_none=True, metadata={"type": "number", "description": "current network"})
    scenario = Raw(allow_none=True, metadata={"type": "number", "description": "scenario's network"})
    delta = Raw(allow_none=True, metadata={"type": "number", "description": "scenario - current"})


class BeyondDeltaOut(Schema):
    km = Float(required=True)
    communes = Nested(ChangeOut, required=True)
    communes_share = Nested(ChangeOut, required=True)
    population = Nested(ChangeOut, required=True)
    population_share = Nested(ChangeOut, required=True)


def _distance_delta_fields() -> dict:
    return {
        "weighted_mean_distance_m": Nested(ChangeOut, required=True),
        "weighted_median_distance_m": Nested(ChangeOut, required=True),
        "mean_distance_m": Nested(ChangeOut, required=True),
        "max_distance_m": Nested(ChangeOut, required=True),
        "beyond": List(Nested(BeyondDeltaOut), required=True),
    }


OwnAreaDeltaOut = Schema.from_dict({
    "communes": Nested(ChangeOut, required=True, metadata={"description": "communes with an own distance"}),
    "communes_own_without_site": Nested(ChangeOut, required=True),
    "communes_nearest_other": Nested(ChangeOut, required=True),
    "population_nearest_other": Nested(ChangeOut, required=True),
    **_distance_delta_fields(),
}, name="OwnAreaDeltaOut")

AreaDeltaOut = Schema.from_dict({
    "level": String(required=True),
    "code": String(required=True),
    "nom": String(required=True),
    **_distance_delta_fields(),
    "own": Nested(OwnAreaDeltaOut, required=True, allow_none=True, metadata={
        "description": "the changes of the distance to one's own mission locale; null without zones",
    }),
}, name="AreaDeltaOut")

ZoneDeltaOut = Schema.from_dict({
    "code": String(required=True),
    "name": String(required=True),
    "sites": Dict(keys=String(), values=List(String()), required=True,
                  metadata={"description": "its served site ids: {current, scenario}"}),
    **_distance_delta_fields(),
    "communes_without_own_site": Nested(ChangeOut, required=True),
    "communes_nearest_other": Nested(ChangeOut, required=True),
    "population_nearest_other": Nested(ChangeOut, required=True),
    "nearest_weighted_mean_distance_m": Nested(ChangeOut, required=True),
    "main_site": Dict(keys=String(), values=String(allow_none=True), required=True,
                      metadata={"description": "the id of the zone's main site: {current, scenario}"}),
}, name="ZoneDeltaOut")


class ServedDeltaOut(Schema):
    id = String(required=True)
    name = String(required=True)
    status = String(required=True, validate=OneOf(["added", "closed", "moved", "kept"]))
    communes = Nested(ChangeOut, required=True)
    population = Nested(ChangeOut, required=True)
    mean_distance_m = Nested(ChangeOut, required=True)
    weighted_mean_distance_m = Nested(ChangeOut, required=True)
    max_distance_m = Nested(ChangeOut, required=True)


class MissionLocaleDeltaOut(Schema):
    code = String(required=True)
    name = String(required=True)
    sites = Dict(keys=String(), values=List(String()), required=True,
                 metadata={"description": "its site ids: {current, scenario}"})
    communes = Nested(ChangeOut, required=True)
    population = Nested(ChangeOut, required=True)
    mean_distance_m = Nested(ChangeOut, required=True)
    weighted_mean_distance_m = Nested(ChangeOut, required=True)
    max_distance_m = Nested(ChangeOut, required=True)


class DeltasOut(Schema):
    region = Nested(AreaDeltaOut, required=True)
    departements = List(Nested(AreaDeltaOut), required=True)
    epci = List(Nested(AreaDeltaOut), required=True, metadata={"description": "only the EPCI that changed"})
    sites = List(Nested(ServedDeltaOut), required=True, metadata={"description": "only the sites that changed"})
    missions_locales = List(Nested(MissionLocaleDeltaOut), required=True,
                            metadata={"description": "only the missions locales that changed"})
    zones = List(Nested(ZoneDeltaOut), required=True, metadata={
        "description": "only the zones whose figures changed (distance to their own mission locale)",
    })


class NearestBriefOut(Schema):
    site_id = String(required=True)
    site_name = String(required=True)
    distance_m = Float(required=True)


class CommuneChangeOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    population = Integer(allow_none=True)
    current = Nested(NearestBriefOut, required=True)
    scenario = Nested(NearestBriefOut, required=True)
    delta_m = Float(required=True)


class OwnChangeOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    population = Integer(allow_none=True)
    mission_locale = String(required=True, metadata={"description": "the own mission locale of the site now nearest"})
    current = Nested(NearestBriefOut, required=True, allow_none=True, metadata={
        "description": "its own mission locale's nearest site now; null: none",
    })
    scenario = Nested(NearestBriefOut, required=True, allow_none=True)
    delta_m = Float(required=True, allow_none=True, metadata={"description": "scenario - current; null if either is"})


class PlacedSiteOut(Schema):
    id = String(required=True)
    name = String(required=True)
    lon = Float(required=True)
    lat = Float(required=True)
    insee = String(required=True, metadata={"description": "the commune the point falls in"})
    commune = String(required=True)
    mission_locale = String(required=True, allow_none=True)
    mission_locale_name = String(required=True, allow_none=True)
    previous = Nested(PointOut, metadata={"description": "moved sites: where the site is now"})


class ClosedSiteOut(Schema):
    id = String(required=True)
    name = String(required=True)


class ChangesOut(Schema):
    added = List(Nested(PlacedSiteOut), required=True)
    closed = List(Nested(ClosedSiteOut), required=True)
    moved = List(Nested(PlacedSiteOut), required=True)


class ScenarioTerCountsDeltaOut(Schema):
    communes = Nested(ChangeOut, required=True)
    communes_share = Nested(ChangeOut, required=True, metadata={"description": "of the area's communes"})
    population = Nested(ChangeOut, required=True)
    population_share = Nested(ChangeOut, required=True, metadata={"description": "of the area's population"})


class ScenarioTerWithinDeltaOut(ScenarioTerCountsDeltaOut):
    minutes = Integer(required=True, metadata={"description": "arriving at most this many minutes after 08:00"})


class ScenarioTerFiguresDeltaOut(Schema):
    target = String(required=True, validate=OneOf(["own", "nearest"]))
    mode = String(required=True, validate=OneOf(["walk", "bike"]))
    communes_without_target = Nested(ChangeOut, required=True, metadata={
        "description": "no zone, or no served site of their mission locale: not routed"})
    population_without_target = Nested(ChangeOut, required=True)
    no_trip = Nested(ScenarioTerCountsDeltaOut, required=True, metadata={"description": "nothing arrives by 14:00"})
    within = List(Nested(ScenarioTerWithinDeltaOut), required=True)


class ScenarioTerZoneDeltaOut(Schema):
    code = String(required=True, metadata={"description": "the mission locale whose zone it is"})
    name = String(required=True)
    communes = Integer(required=True)
    figures = List(Nested(ScenarioTerFiguresDeltaOut), required=True, metadata={
        "description": "only the targets and modes whose figures change"})


class ScenarioTerJourneyOut(Schema):
    minutes = Integer(required=True, allow_none=True, metadata={"description": "null: no trip by 14:00"})
    site_id = String(required=True, allow_none=True)
    site_name = String(required=True, allow_none=True)
    kind = String(required=True, allow_none=True, metadata={"description": "direct (walk or ride) or transit"})
    departure = String(required=True, allow_none=True, metadata={"description": "HH:MM, the first train or coach"})
    arrival = String(required=True, allow_none=True, metadata={"description": "HH:MM, at the site"})
    lines = List(String(allow_none=True), required=True, metadata={"description": "the lines taken, in order"})


class ScenarioTerCommuneOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    population = Integer(required=True, allow_none=True)
    target = String(required=True, validate=OneOf(["own", "nearest"]))
    mode = String(required=True, validate=OneOf(["walk", "bike"]))
    current = Nested(ScenarioTerJourneyOut, required=True, allow_none=True, metadata={
        "description": "the stored travel time; null: no target site"})
    scenario = Nested(ScenarioTerJourneyOut, required=True, allow_none=True)
    delta_minutes = Integer(required=True, allow_none=True, metadata={
        "description": "scenario - current; null when either has no trip or no target"})


class TerTimetableOut(Schema):
    file = String(required=True)
    sha256 = String(required=True)
    feed_version = String(required=True, allow_none=True)
    service_date = String(required=True, metadata={"description": "the day whose timetable is used (ISO date)"})
    attribution = String(required=True, metadata={"description": "to show with every figure (ODbL licence)"})
    parameters = Dict(keys=String(), values=Raw(), required=True, metadata={
        "description": "the method's parameters (geosvc.transit.routing.Method): times in seconds after midnight, "
                       "speeds in km/h, distances in metres"})
    stops = Integer(required=True)
    connections = Integer(required=True)


class ScenarioTerOut(Schema):
    available = Boolean(required=True, metadata={"description": "false: no TER part, `reason` says why"})
    reason = String(required=True, allow_none=True)
    timetable = Nested(TerTimetableOut, required=True, allow_none=True)
    method = String(required=True, allow_none=True)
    definitions = Dict(keys=String(), values=String(), required=True)
    thresholds_min = List(Integer(), required=True)
    rerouted = Dict(keys=String(), values=Integer(), required=True, allow_none=True, metadata={
        "description": "per target, the communes whose target sites change, routed again"})
    region = List(Nested(ScenarioTerFiguresDeltaOut), required=True, metadata={
        "description": "per target and mode: {current, scenario, delta} of the region's figures"})
    zones = List(Nested(ScenarioTerZoneDeltaOut), required=True, metadata={
        "description": "only the zones whose figures change"})
    communes_changed = List(Nested(ScenarioTerCommuneOut), required=True, metadata={
        "description": "per commune, target and mode whose minutes change: trips gained or lost first, then the "
                       f"largest change, the most populated; at most {TER_MAX_COMMUNES}"})
    communes_changed_total = Integer(required=True)


class ScenarioOut(Schema):
    changes = Nested(ChangesOut, required=True)
    thresholds_km = List(Float(), required=True)
    scenario = Nested(IndicatorsCore, required=True)
    deltas = Nested(DeltasOut, required=True)
    communes_changed = List(Nested(CommuneChangeOut), required=True, metadata={
        "description": "the communes whose nearest site of any mission locale changes",
    })
    communes_own_changed = List(Nested(OwnChangeOut), required=True, metadata={
        "description": "the communes whose own mission locale's nearest site, or its distance, changes",
    })
    ter = Nested(ScenarioTerOut, required=True, metadata={
        "description": "the change in TER access: the communes whose target sites change, routed again"})
    method = String(required=True)
    definitions = Dict(keys=String(), values=String(), required=True)
    data = Nested(DataOut, required=True)


# --- TER access (issue 16; geosvc/coverage/transit.py) ------------------------------------

MAX_MINUTES = 360  # 08:00 to the 14:00 cutoff: no time is longer
MAX_TRANSIT_COMMUNES = 5000
DEFAULT_WORST = 20
_minutes = AsciiInteger(validate=Range(1, MAX_MINUTES))
_area_filters = {
    "departement": String(validate=WholeMatch(DEPARTEMENT_PATTERN), metadata={"description": "e.g. 59"}),
    "epci": String(validate=WholeMatch(EPCI_CODE_PATTERN), metadata={"description": "SIREN of the EPCI"}),
    "zone": String(validate=WholeMatch(COMMUNE_CODE_PATTERN), metadata={
        "description": "only the communes of this mission locale's zone (the union's code, e.g. 60176)"}),
}
_ranking = {
    "target": String(load_default="own", validate=OneOf(list(TRANSIT_TARGETS)), metadata={
        "description": "ranked by the time to one's own mission locale, or to the nearest site"}),
    "mode": String(load_default="walk", validate=OneOf(list(TRANSIT_MODES)), metadata={
        "description": "walking or biking to and from the stops"}),
}


class TerAccessQuery(FlatErrors):
    by = String(load_default="all", validate=OneOf(["all", *TRANSIT_LEVELS]), metadata={
        "description": "which areas: all of them (region, departments, EPCI, zones), or one level"})
    thresholds_min = DelimitedList(_minutes, load_default=list(DEFAULT_THRESHOLDS_MIN),
                                   validate=Length(1, MAX_THRESHOLDS),
                                   metadata={"description": "comma-separated minutes, e.g. 30,60,90"})
    format = String(load_default="json", validate=OneOf(["json", "csv"]), metadata={
        "description": "csv: one row per area, target and mode"})


TerAccessCommunesQuery = Schema.from_dict({
    **_area_filters, **_ranking,
    "order": String(load_default="code", validate=OneOf(list(TRANSIT_ORDERS)), metadata={
        "description": "by INSEE code, or the worst served first by `target` and `mode` (no trip first, most "
                       "inhabitants first, then the longest times; communes without that target left out)"}),
    "limit": AsciiInteger(validate=Range(1, MAX_TRANSIT_COMMUNES)),
    "legs": Boolean(load_default=True, metadata={"description": "false: leave out the legs (a lighter answer)"}),
    "format": String(load_default="json", validate=OneOf(["json", "csv", "geojson"]), metadata={
        "description": "geojson: the commune polygons with their four times (a map layer)"}),
}, name="TerAccessCommunesQuery")
TerAccessWorstQuery = Schema.from_dict({
    **_area_filters, **_ranking,
    "limit": AsciiInteger(load_default=DEFAULT_WORST, validate=Range(1, MAX_TRANSIT_COMMUNES)),
    "format": String(load_default="json", validate=OneOf(["json", "csv"])),
}, name="TerAccessWorstQuery")


class TerAccessCountOut(Schema):
    communes = Integer(required=True)
    communes_share = Float(required=True, allow_none=True, metadata={"description": "of the area's communes"})
    population = Integer(required=True)
    population_share = Float(required=True, allow_none=True, metadata={"description": "of the area's population"})


class TerAccessWithinOut(TerAccessCountOut):
    minutes = Integer(required=True, metadata={"description": "arriving at most this many minutes after leaving"})


class TerAccessFiguresOut(Schema):
    communes_without_target = Integer(required=True, metadata={
        "description": "no zone, or their mission locale has no served site: not routed (counted in no share)"})
    population_without_target = Integer(required=True)
    no_trip = Nested(TerAccessCountOut, required=True, metadata={"description": "nothing arrives before the cutoff"})
    within = List(Nested(TerAccessWithinOut), required=True)


class TerAccessModesOut(Schema):
    walk = Nested(TerAccessFiguresOut, required=True)
    bike = Nested(TerAccessFiguresOut, required=True)


class TerAccessByTargetOut(Schema):
    own = Nested(TerAccessModesOut, required=True)
    nearest = Nested(TerAccessModesOut, required=True)


class TerAccessAreaOut(Schema):
    level = String(required=True, validate=OneOf(list(TRANSIT_LEVELS)))
    code = String(required=True, metadata={"description": "region, department, EPCI (SIREN) or mission locale code"})
    nom = String(required=True, allow_none=True)
    communes = Integer(required=True)
    population = Integer(required=True)
    communes_without_population = Integer(required=True)
    access = Nested(TerAccessByTargetOut, required=True)


def _transit_meta() -> dict:
    return {
        "available": Boolean(required=True, metadata={"description": "false: no timetable loaded, no time"}),
        "reason": String(required=True, allow_none=True),
        "method": String(required=True),
        "includes": String(required=True),
        "excludes": String(required=True),
        "targets": Dict(keys=String(), values=String(), required=True),
        "timetable": Nested(TerTimetableOut, required=True, allow_none=True),
        "data": Nested(DataOut, required=True),
    }


TerAccessOut = Schema.from_dict({
    "by": String(required=True),
    "thresholds_min": List(Integer(), required=True),
    "areas": List(Nested(TerAccessAreaOut), required=True),
    **_transit_meta(),
}, name="TerAccessOut")

TerAccessLegOut = Schema.from_dict({
    "line": String(required=True, allow_none=True, metadata={"description": "route short name, e.g. K44"}),
    "from": String(required=True, allow_none=True), "to": String(required=True, allow_none=True),
    "from_stop": String(required=True), "to_stop": String(required=True),
    "departure": String(required=True), "arrival": String(required=True),
}, name="TerAccessLegOut")


class TerAccessResultOut(Schema):
    minutes = Integer(required=True, allow_none=True, metadata={"description": "null: no trip before the cutoff"})
    kind = String(required=True, allow_none=True, metadata={"description": "direct (walk or ride) or transit"})
    site_id = String(required=True, allow_none=True)
    site_name = String(required=True, allow_none=True)
    site_mission_locale = String(required=True, allow_none=True)
    leave = String(required=True, allow_none=True, metadata={"description": "HH:MM, leaving the commune"})
    departure = String(required=True, allow_none=True, metadata={"description": "HH:MM, the first train or coach"})
    arrival = String(required=True, allow_none=True, metadata={"description": "HH:MM, at the site"})
    access_minutes = Integer(required=True, allow_none=True)
    egress_minutes = Integer(required=True, allow_none=True)
    legs = List(Nested(TerAccessLegOut), allow_none=True, metadata={"description": "left out with legs=false"})


class TerAccessPairOut(Schema):
    walk = Nested(TerAccessResultOut, required=True, allow_none=True, metadata={"description": "null: no target"})
    bike = Nested(TerAccessResultOut, required=True, allow_none=True)


class TerMissionLocaleOut(Schema):
    code = String(required=True)
    name = String(required=True, allow_none=True)


class TerAccessCommuneOut(Schema):
    code = String(required=True)
    nom = String(required=True)
    departement = String(required=True)
    epci = String(required=True, allow_none=True)
    epci_nom = String(required=True, allow_none=True)
    population = Integer(required=True, allow_none=True)
    own_missions_locales = List(Nested(TerMissionLocaleOut), required=True)
    own = Nested(TerAccessPairOut, required=True)
    nearest = Nested(TerAccessPairOut, required=True)


TerAccessCommunesOut = Schema.from_dict({
    "count": Integer(required=True),
    "order": String(required=True),
    "target": String(required=True),
    "mode": String(required=True),
    "communes": List(Nested(TerAccessCommuneOut), required=True),
    **_transit_meta(),
}, name="TerAccessCommunesOut")
