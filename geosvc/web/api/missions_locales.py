"""The commune's own mission locale, and the missions locales with their zones: thin adapters
over the per-worker MissionLocaleTable (geosvc/mission_locale.py)."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, request

from geosvc.core.errors import BadRequest, NotFound
from geosvc.core.rules import COMMUNE_CODE
from geosvc.db import network
from geosvc.web.api.communes import answer_from_memory, checked_code, checked_k
from geosvc.web.api.schemas import (
    MissionLocaleAnswer,
    MissionLocaleDetail,
    MissionLocaleList,
    NearestQuery,
)
from geosvc.web.httpcache import GEOJSON
from geosvc.web.state import mission_locale_table, read_db

bp = APIBlueprint("missions_locales", __name__, tag="Missions locales")


@bp.get("/communes/<code>/mission-locale")
# validation=False: the schema documents `k`, checked_k checks it at a fraction of webargs' cost
@bp.input(NearestQuery, location="query", validation=False)
@bp.output(MissionLocaleAnswer)
@bp.doc(summary="The commune's own mission locale (official zones) and, beside it, the k nearest sites",
        description="`k` limits `nearest` only: the own mission locale lists all its served sites.",
        responses=[400, 404, 503])
def own_mission_locale(code: str, query_data: dict):
    code = checked_code(code)
    return answer_from_memory(mission_locale_table().own_encoded(code, checked_k(request.args.get("k"))), code)


@bp.get("/missions-locales")
@bp.output(MissionLocaleList)
@bp.doc(summary="The missions locales of the region (the union's codes, names and head offices)", responses=[503])
def list_missions_locales():
    table = mission_locale_table()
    return {"missions_locales": table.missions(), "zone": table.zone, "data": table.data}


@bp.get("/missions-locales/<code>")
@bp.output(MissionLocaleDetail)
@bp.doc(summary="One mission locale: its zone's communes and its sites", responses=[400, 404, 503])
def get_mission_locale(code: str):
    mission = mission_locale_table().mission(_checked_ml_code(code))
    if mission is None:
        raise NotFound(f"no mission locale has the code {code}", code="mission_locale_not_found")
    return mission | {"data": mission_locale_table().data}


@bp.get("/missions-locales/<code>/zone")
@bp.doc(summary="The mission locale's zone: its communes dissolved into one GeoJSON Feature",
        responses={200: {"description": "GeoJSON Feature", "content": {GEOJSON: {"schema": {"type": "object"}}}},
                   400: "Invalid code", 404: "Unknown mission locale", 503: "Database unavailable"})
def get_zone(code: str):
    table = mission_locale_table()
    mission = table.mission(_checked_ml_code(code))
    if mission is None:
        raise NotFound(f"no mission locale has the code {code}", code="mission_locale_not_found")
    with read_db().cursor() as cursor:
        outline = network.zone_outline(cursor, code)
    properties = {key: mission[key] for key in ("code", "name", "official_name", "communes_count", "population")}
    feature = {
        "type": "Feature",
        "geometry": outline["geometry"] if outline else None,
        "properties": properties | {"area_km2": round(outline["area_km2"], 2) if outline else None},
        "zone": table.zone,
        "data": table.data,
    }
    return current_app.response_class(current_app.json.dumps(feature), mimetype=GEOJSON)


def _checked_ml_code(code: str) -> str:
    # the union's codes read like INSEE codes
    if not COMMUNE_CODE.match(code):
        raise BadRequest(f"{code[:20]!r} is not a mission locale code (5 characters, e.g. 60471)",
                         code="invalid_mission_locale_code")
    return code
