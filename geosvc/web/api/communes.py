"""Communes: look one up, find the nearest mission sites, search by name or postcode."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, request

from geosvc.core import present
from geosvc.core.errors import BadRequest, NotFound
from geosvc.core.rules import COMMUNE_CODE, DEFAULT_K, MAX_K
from geosvc.db import communes as communes_sql
from geosvc.provenance import data_block
from geosvc.web.api.schemas import CommuneAnswer, NearestAnswer, NearestQuery
from geosvc.web.httpcache import Representation, cacheable
from geosvc.web.state import nearest_table, read_db

bp = APIBlueprint("communes", __name__, tag="Communes")


@bp.get("/communes/<code>")
@bp.output(CommuneAnswer)
@bp.doc(summary="One commune by INSEE code", responses=[400, 404, 503])
def get_commune(code: str):
    code = checked_code(code)
    held = nearest_table().commune(code)  # from memory: answers while the database is away
    if held is not None:
        return held
    with read_db().cursor() as cursor:
        row = communes_sql.get_commune(cursor, code) or unknown_commune(cursor, code)
        return present.commune(row) | {"data": data_block(cursor)}


@bp.get("/communes/<code>/nearest")
# validation=False: the schema documents `k`, checked_k checks it at a fraction of webargs' cost
@bp.input(NearestQuery, location="query", validation=False)
@bp.output(NearestAnswer)
@bp.doc(summary="The k nearest served mission sites to a commune", responses=[400, 404, 503])
def nearest(code: str, query_data: dict):
    code = checked_code(code)
    return answer_from_memory(nearest_table().encoded(code, checked_k(request.args.get("k"))), code)


def answer_from_memory(encoded: Representation | None, code: str) -> Response:
    """An answer a per-worker table encoded, or the 404 of an unknown (or former) commune.

    Pre-encoded, not dumped through the schema: these are the hottest paths, and the tables
    already hold the documented shape (Schemathesis checks it). Public and the same for
    everybody until the next ingestion (its data block changes the bytes, hence the ETag):
    cached as the feeds are (FEED_CACHE_CONTROL, five minutes, then stale-while-revalidate),
    by browsers and by the nginx in front (deploy/nginx/).
    """
    if encoded is None:
        with read_db().cursor() as cursor:
            unknown_commune(cursor, code)
    return cacheable(encoded)


def checked_k(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_K
    # ASCII digits only, and few of them (int() of 4,301 digits raises ValueError: a 500)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_K):
        message = f"k: Must be a whole number from 1 to {MAX_K}."
        raise BadRequest(message, code="invalid_parameter", query={"k": [message]})
    return int(raw)


def checked_code(code: str) -> str:
    code = code.strip().upper()
    if not COMMUNE_CODE.match(code):
        raise BadRequest(
            f"{code[:20]!r} is not an INSEE commune code (5 characters, e.g. 59350)",
            code="invalid_commune_code",
        )
    return code


def unknown_commune(cursor, code: str):
    former = communes_sql.find_former_commune(cursor, code)
    if former is None:
        raise NotFound(f"no commune has the code {code}", code="commune_not_found")
    name = f" ({former['nom']})" if former["nom"] else ""
    raise NotFound(
        f"{code}{name} is no longer a commune: it is now part of "
        f"{former['current_code']} {former['current_nom']}",
        code="commune_not_found",
        replaced_by={"code": former["current_code"], "nom": former["current_nom"]},
        former={"code": code, "nom": former["nom"], "type": former["type"]},
    )
