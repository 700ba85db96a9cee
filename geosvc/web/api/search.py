"""Commune search and autocomplete: thin adapters over geosvc.search's in-memory index."""

from __future__ import annotations

import functools

from apiflask import APIBlueprint
from flask import current_app

from geosvc.core import present
from geosvc.core.search_index import Answer, Commune, Hit, parse_query
from geosvc.web.api.schemas import AutocompleteAnswer, AutocompleteQuery, CommuneSearchQuery, SearchAnswer
from geosvc.web.state import search_index

bp = APIBlueprint("search", __name__, tag="Communes")


@bp.get("/communes")
@bp.input(CommuneSearchQuery, location="query")
@bp.output(SearchAnswer)
@bp.doc(
    summary="Find communes however they are typed: name, typo, former name or code, postcode",
    description="Ranked: exact name, then a former name, then names that begin with the query, then "
    "names that sound like it, then one or two typos (only when nothing better matched). Equal scores: "
    "larger population first. Homonyms are all returned, labelled 'Nom (département)'. A postcode, a "
    "department number or name in the query narrows it. The name of a commune elsewhere in France "
    "answers no commune and `hint.outside_region`. See docs/SEARCH.md.",
    responses=[400, 503],
)
def search(query_data: dict):
    query = parse_query(query_data["q"])
    index = search_index()
    found = index.answer(query, limit=query_data["limit"], departement=query_data.get("departement"))
    out = {"communes": [_hit(hit) for hit in found.hits], "data": present.data_block(index.data)}
    return _with_hint(out, found)


@bp.get("/communes/autocomplete")
@bp.input(AutocompleteQuery, location="query")
@bp.output(AutocompleteAnswer)
@bp.doc(
    summary="Suggestions while a commune name or postcode is being typed",
    description="Same ranking as /communes (names that begin with the query first, then names that sound "
    "like it or have a typo, from 4 letters), fewer fields, answered from memory. One character only "
    "finds a one-letter name (Y). A commune elsewhere in France: no entry and `hint.outside_region`.",
    responses=[400, 503],
)
def autocomplete(query_data: dict):
    query = parse_query(query_data["q"])
    found = search_index().answer(query, limit=query_data["limit"], departement=query_data.get("departement"),
                                  typing=True)
    # Serialised here rather than by @bp.output's marshmallow dump, which took a sixth of
    # this endpoint's time (README, Search): the schema still documents the answer, and
    # tests/test_search.py checks answers against it.
    return current_app.json.response(_with_hint({"communes": [_entry(hit) for hit in found.hits]}, found))


def _with_hint(out: dict, found: Answer) -> dict:
    if found.outside is not None:
        out["hint"] = {"outside_region": found.outside.hint()}
    return out


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
