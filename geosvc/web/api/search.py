"""Commune search and autocomplete: thin adapters over geosvc.search's in-memory index."""

from __future__ import annotations

import functools

from apiflask import APIBlueprint
from flask import current_app

from geosvc.core import present
from geosvc.core.search_index import Commune, Hit, parse_query
from geosvc.web.api.schemas import AutocompleteAnswer, AutocompleteQuery, CommuneSearchQuery, SearchAnswer
from geosvc.web.state import search_index

bp = APIBlueprint("search", __name__, tag="Communes")




@bp.get("/communes")
@bp.input(CommuneSearchQuery, location="query")
@bp.output(SearchAnswer)
@bp.doc(
    summary="Find communes however they are typed: name, typo, former name or code, postcode",
    description="Ranked: exact name, then a former name, then names that begin with the query, then "
    "one or two typos (only when nothing better matched). Equal scores: larger population first. "
    "Homonyms are all returned, labelled 'Nom (département)'. See README, Search.",
    responses=[400, 503],
)
def search(query_data: dict):
    query = parse_query(query_data["q"])
    index = search_index()
    hits = index.search(query, limit=query_data["limit"], departement=query_data.get("departement"))
    return {"communes": [_hit(hit) for hit in hits], "data": present.data_block(index.data)}


@bp.get("/communes/autocomplete")
@bp.input(AutocompleteQuery, location="query")
@bp.output(AutocompleteAnswer)
@bp.doc(
    summary="Suggestions while a commune name or postcode is being typed",
    description="Same ranking as /communes (names that begin with the query first), fewer fields, "
    "answered from memory. One character only finds a one-letter name (Y).",
    responses=[400, 503],
)
def autocomplete(query_data: dict):
    query = parse_query(query_data["q"])
    hits = search_index().search(query, limit=query_data["limit"], departement=query_data.get("departement"))
    # Serialised here rather than by @bp.output's marshmallow dump, which took a sixth of
    # this endpoint's time (README, Search): the schema still documents the answer, and
    # tests/test_search.py checks answers against it.
    return current_app.json.response({"communes": [_entry(hit) for hit in hits]})


def _hit(hit: Hit) -> dict:
    out = present.commune(hit.commune.row)
    out.update(label=hit.commune.label, score=hit.score, matched=hit.matched)
    if hit.former:
        out["former"] = hit.former
    return out


def _entry(hit: Hit) -> dict:
    out = _entry_fields(hit.commune) | {"matched": hit.matched}
    if hit.former:
        out["former"] = hit.former
    return out


@functools.lru_cache(maxsize=8192)  # > communes in the region; the old ones age out after a rebuild
def _entry_fields(commune: Commune) -> dict:
    return {
        "code": commune.code, "label": commune.label, "nom": commune.nom,
        "departement": commune.departement, "codesPostaux": list(commune.codes_postaux),
    }
