"""Commune search by name or postcode."""

from __future__ import annotations

import re

from apiflask import APIBlueprint

from geosvc import queries
from geosvc.api import present
from geosvc.api.context import read_db
from geosvc.api.schemas import CommuneList, SearchQuery
from geosvc.errors import BadRequest
from geosvc.textnorm import normalise_name

bp = APIBlueprint("search", __name__, tag="Communes")

POSTCODE = re.compile(r"^[0-9]{5}$")


@bp.get("/communes")
@bp.input(SearchQuery, location="query")
@bp.output(CommuneList)
@bp.doc(
    summary="Search communes by name (exact, then prefix) or by 5-digit postcode",
    description="Case, accents, hyphens, apostrophes, 'St'/'Ste' and a leading article are ignored. "
    "Exact name matches come first, then prefix matches, larger population first.",
    responses=[400, 503],
)
def search(query_data: dict):
    text = query_data["q"].strip()
    departement, limit = query_data.get("departement"), query_data["limit"]
    with read_db().cursor() as cursor:
        if POSTCODE.match(text):
            rows = queries.search_by_postcode(cursor, text, departement, limit)
        else:
            name = normalise_name(text)
            if not name:
                raise BadRequest("q must contain letters or digits", code="invalid_query")
            rows = queries.search_by_name(cursor, name, departement, limit)
        return {
            "communes": [present.commune(row) for row in rows],
            "data": present.data_block(queries.data_vintage(cursor)),
        }
