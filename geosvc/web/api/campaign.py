"""The campaign site: department -> commune -> nearest mission feeds, the point search behind
"use my location", commune outlines for the map, the page itself (`/`, in French), and the
embeddable widget (`/widget.js` inserts an <iframe> of `/widget` into another site).

Thin adapters: documents come from geosvc.campaign.feeds, caching from geosvc.httpcache.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Blueprint, current_app, make_response, render_template, request, send_from_directory

from geosvc.campaign import feeds, store
from geosvc.core.errors import BadRequest
from geosvc.core.rules import DEPARTEMENT_CODE
from geosvc.web.api.campaign_schemas import (
    NOT_MODIFIED,
    CacheHeaders,
    ConditionalHeaders,
    DepartementCommunes,
    DepartementList,
    NoStoreHeaders,
    OutlineOut,
    PointNearestAnswer,
    PointQuery,
)
from geosvc.web.api.communes import checked_code, unknown_commune
from geosvc.web.httpcache import GEOJSON, NO_STORE, Representation, cacheable
from geosvc.web.security import cross_origin_script, framable
from geosvc.web.state import campaign_feeds, point_locator, read_db

bp = APIBlueprint("campaign", __name__, tag="Campaign site")
page_bp = Blueprint("campaign_page", __name__)

_ERRORS = {400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}
# /widget.js is pasted into other sites' pages, so its URL cannot change with its content: browsers
# and CDNs may keep it an hour, then revalidate (ETag). An update reaches every host within that.
WIDGET_SCRIPT_MAX_AGE_S = 3600


@bp.get("/departements")
@bp.input(ConditionalHeaders, location="headers")
@bp.output(DepartementList, headers=CacheHeaders)
@bp.doc(summary="The departments of the region, with their number of communes",
        responses={304: NOT_MODIFIED, 503: _ERRORS[503]})
def departements(headers_data: dict):
    return cacheable(campaign_feeds().get(store.DEPARTEMENTS, feeds.departements))


@bp.get("/departements/<code>/communes")
@bp.input(ConditionalHeaders, location="headers")
@bp.output(DepartementCommunes, headers=CacheHeaders)
@bp.doc(
    summary="Every commune of a department, in French order, with its nearest served mission site",
    description="For the campaign site's department -> commune dropdown. French alphabetical order of the name "
    "as written, article included, case and accents ignored. Distances are geodesic metres from the commune's "
    "reference point. Cacheable: strong ETag, 304 on If-None-Match.",
    responses={304: NOT_MODIFIED, 400: _ERRORS[400], 404: _ERRORS[404], 503: _ERRORS[503]},
)
def departement_communes(code: str, headers_data: dict):
    code = _checked_departement(code)
    feed = campaign_feeds().get(store.communes_of(code), lambda cursor: feeds.departement_communes(cursor, code))
    return cacheable(feed)


@bp.get("/nearest")
@bp.input(PointQuery, location="query")
@bp.output(PointNearestAnswer, headers=NoStoreHeaders)
@bp.doc(
    summary="The k nearest served mission sites to a point of the region (the 'use my location' button)",
    description="Geodesic metres from the point. A point that is not within 2 km of a commune of "
    "Hauts-de-France is refused (400 outside_region). Not cached: the point is a person's position.",
    responses={400: _ERRORS[400], 503: _ERRORS[503]},
)
def nearest(query_data: dict):
    document = feeds.nearest_to_point(point_locator(), query_data["lon"], query_data["lat"], query_data["k"])
    response = current_app.response_class(feeds.encode(document), mimetype="application/json")
    response.headers["Cache-Control"] = NO_STORE
    return response


@bp.get("/communes/<code>/outline")
@bp.input(ConditionalHeaders, location="headers")
@bp.output(OutlineOut, content_type=GEOJSON, headers=CacheHeaders)
@bp.doc(
    summary="A commune's polygon as a GeoJSON Feature (for the map)",
    responses={304: NOT_MODIFIED, 400: _ERRORS[400], 404: _ERRORS[404], 503: _ERRORS[503]},
)
def commune_outline(code: str, headers_data: dict):
    code = checked_code(code)
    with read_db().cursor() as cursor:
        # not stored: 3,782 outlines per worker would cost memory for little gain (one
        # primary-key read each); the ETag still saves the transfer
        document = feeds.commune_outline(cursor, code) or unknown_commune(cursor, code)
    return cacheable(Representation.of(feeds.encode(document)), mimetype=GEOJSON)


def _checked_departement(code: str) -> str:
    code = code.strip().upper()
    if not DEPARTEMENT_CODE.match(code):
        raise BadRequest(
            f"{code[:20]!r} is not a department code (2 characters, e.g. 59)", code="invalid_departement_code"
        )
    return code


def _page_settings() -> dict:
    settings = current_app.config["GEOSVC_SETTINGS"]
    return {
        "national_directory_url": settings.national_directory_url,
        # empty unless configured: then no tile layer, and the CSP names no other origin
        "tile_url": settings.tile_url, "tile_attribution": settings.tile_attribution,
    }


@page_bp.get("/")
def page():
    """The campaign page; its script and styles are files of geosvc/web/static (CSP: no inline code)."""
    return render_template("campaign.html", **_page_settings())


@page_bp.get("/widget")
def widget():
    """The embeddable widget: the campaign page's UI, compact, framable by the sites of
    GEOSVC_EMBED_ORIGINS only. `?departement=80` preselects a department (another value: none)."""
    departement = request.args.get("departement", "").strip().upper()
    if not DEPARTEMENT_CODE.match(departement):
        departement = ""
    page = make_response(render_template("widget.html", departement=departement, **_page_settings()))
    return framable(page, current_app.config["GEOSVC_SETTINGS"])


@page_bp.get("/widget.js")
def widget_script():
    """The script another site includes beside a <div data-geosvc-widget>: it inserts the frame."""
    script = send_from_directory(current_app.static_folder, "widget.js", mimetype="text/javascript",
                                 max_age=WIDGET_SCRIPT_MAX_AGE_S)
    script.cache_control.public = True
    return cross_origin_script(script)
