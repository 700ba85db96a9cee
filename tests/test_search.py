"""Commune search and autocomplete, against the real data in a real PostGIS."""

from __future__ import annotations

import json

import pytest
from apiflask import Schema

from geosvc.config import Settings
from geosvc.core.errors import BadRequest, ServiceUnavailable
from geosvc.core.search_index import parse_query
from geosvc.web.api.schemas import AutocompleteAnswer, SearchAnswer
from geosvc.web.state import close_app, state_of, warm_up
from tests.conftest import ingest_into, settings_for

SAINT_OMER = "62765"
HESDIN_LA_FORET = "62447"


def search(client, q: str, **params) -> list[dict]:
    response = client.get("/communes", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["communes"]


def complete(client, q: str, **params) -> list[dict]:
    response = client.get("/communes/autocomplete", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["communes"]


def codes(communes: list[dict]) -> list[str]:
    return [commune["code"] for commune in communes]


def conforms(schema: Schema, body: dict) -> dict:
    """Validation errors of an answer against its documented schema ({} when it conforms)."""
    return schema.validate(json.loads(json.dumps(body)))


# --- ranking --------------------------------------------------------------------------------

def test_answer_keeps_commune_fields_and_adds_label_score_matched(client):
    response = client.get("/communes?q=Saint-Omer")
    body = response.get_json()
    first = body["communes"][0]
    assert set(first) == {"code", "nom", "departement", "codesPostaux", "population", "point",
                          "label", "score", "matched"}
    assert first["code"] == SAINT_OMER and first["label"] == "Saint-Omer"
    assert first["matched"] == "exact" and first["score"] == 1.0
    assert "COG 2026" in body["data"]["communes"]["vintage"]
    assert conforms(SearchAnswer(), body) == {}


def test_exact_beats_prefix_and_scores_never_increase(client):
    communes = search(client, "saint omer")
    assert [c["matched"] for c in communes] == ["exact", "prefix", "prefix"]
    scores = [c["score"] for c in communes]
    assert scores == sorted(scores, reverse=True)


def test_within_a_tier_larger_population_first(client):
    communes = [c for c in search(client, "saint", limit=100) if c["matched"] == "prefix"]
    assert communes[0]["code"] == "02691"  # Saint-Quentin, the largest
    for better, worse in zip(communes, communes[1:], strict=False):
        if better["score"] == worse["score"]:
            assert (better["population"] or 0) >= (worse["population"] or 0)


def test_closer_spelling_first_among_exact_matches(client):
    # "La Capelle" (02) and "Capelle" (59) are the same name once the article is dropped
    assert codes(search(client, "la capelle"))[:2] == ["02141", "59127"]
    assert codes(search(client, "capelle"))[:2] == ["59127", "02141"]


def test_typo_is_fuzzy_and_only_when_nothing_better(client):
    first = search(client, "Sant-Omer")[0]
    assert (first["code"], first["matched"]) == (SAINT_OMER, "fuzzy")
    assert 0 < first["score"] < 0.8
    assert all(c["matched"] != "fuzzy" for c in search(client, "amiens", limit=100))
    assert codes(search(client, "dunkerke"))[0] == "59183"  # two edits


def test_typo_in_the_middle_of_typing(client):
    # "dunkerk" is three edits from "dunkerque" but one from its beginning
    assert codes(complete(client, "dunkerk"))[0] == "59183"


@pytest.mark.parametrize("query", ["labassee", "la bassee", "LA BASSÉE", "bassee"])
def test_leading_article_typed_or_not_glued_or_not(client, query):
    assert codes(search(client, query))[0] == "59051"


def test_typed_article_ranks_names_that_have_it_first(client):
    communes = complete(client, "le q")
    assert communes[0]["code"] == "59481"  # Le Quesnoy
    assert all(c["nom"].startswith("Le Q") for c in communes)


def test_one_letter_finds_only_a_one_letter_name(client):
    assert codes(search(client, "Y")) == ["80829"]
    assert search(client, "x") == []
    assert complete(client, "y") and complete(client, "b") == []


# --- homonyms -------------------------------------------------------------------------------

def test_homonyms_all_returned_and_labelled_with_their_department(client):
    communes = search(client, "hamel")
    exact = {c["code"]: c["label"] for c in communes if c["matched"] == "exact"}
    assert exact == {"59280": "Hamel (59)", "60297": "Le Hamel (60)", "80411": "Le Hamel (80)"}


def test_unshared_name_has_no_department_in_its_label(client):
    assert search(client, "Lille")[0]["label"] == "Lille"


def test_departement_filter(client):
    assert codes(search(client, "brie", departement="80"))[0] == "80141"
    assert all(c["departement"] == "80" for c in search(client, "saint", departement="80"))


def test_a_label_typed_back_filters_on_its_department(client):
    assert [c["code"] for c in search(client, "Brie (02)") if c["nom"] == "Brie"] == ["02122"]
    assert search(client, "Saint-Omer (59)") == []  # Saint-Omer is in the 62


def test_departement_filter_applies_to_fuzzy_and_former_matches(client):
    assert search(client, "Sant-Omer", departement="59") == []
    assert search(client, "hesdin", departement="59") == []


# --- postcodes ------------------------------------------------------------------------------

def test_full_postcode_returns_every_commune_whatever_the_limit(client, sql):
    expected = {r["code"] for r in sql("SELECT code FROM communes WHERE '80140' = ANY(codes_postaux)")}
    assert len(expected) == 40
    communes = search(client, "80140", limit=5)
    assert set(codes(communes)) == expected
    assert {c["matched"] for c in communes} == {"postcode"}
    assert len(complete(client, "80140")) == 40


def test_partial_postcode_is_a_prefix_search(client):
    communes = search(client, "621", limit=100)
    assert communes and all(any(p.startswith("621") for p in c["codesPostaux"]) for c in communes)
    assert communes[0]["code"] == "62193"  # Calais, the largest
    assert len(complete(client, "62")) == 10


def test_commune_with_several_postcodes_found_by_each(client):
    assert "59350" in codes(search(client, "59000")) and "59350" in codes(search(client, "59800"))


def test_cedex_code_of_a_mission_is_not_a_commune_postcode(client):
    # Saint-Omer's mission locale writes "62503 Saint-Omer Cedex"
    assert search(client, "62503") == []


# --- former names and codes -----------------------------------------------------------------

def test_former_name_finds_the_current_commune_and_says_so(client):
    first = search(client, "Hesdin")[0]
    assert first["code"] == HESDIN_LA_FORET
    assert first["matched"] == "former"
    # Hesdin kept its code as a commune déléguée: the code of the commune nouvelle
    assert first["former"] == {"code": "62447", "nom": "Hesdin"}


def test_former_code_finds_the_current_commune(client):
    first = search(client, "62461")[0]  # Huby-Saint-Leu
    assert (first["code"], first["matched"]) == (HESDIN_LA_FORET, "former")
    assert first["former"] == {"code": "62461", "nom": "Huby-Saint-Leu"}


def test_current_name_beats_a_former_name_spelled_the_same(client):
    # Menneville (62) is a commune; Menneville (02) became part of Villeneuve-sur-Aisne
    communes = search(client, "menneville")
    assert [(c["code"], c["matched"]) for c in communes[:2]] == [("62566", "exact"), ("02360", "former")]


def test_former_name_with_a_typo(client):
    first = search(client, "Hellemes-Lille")[0]
    assert (first["code"], first["matched"]) == ("59350", "former")


# --- autocomplete ---------------------------------------------------------------------------

def test_autocomplete_entries(client):
    response = client.get("/communes/autocomplete?q=Sain")
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["communes"]) == 10
    assert set(body["communes"][0]) == {"code", "label", "nom", "departement", "codesPostaux", "matched"}
    assert body["communes"][0]["label"] == "Saint-Quentin"
    assert all(c["matched"] == "prefix" for c in body["communes"])


@pytest.mark.parametrize("query", ["sa", "Saint-O", "le q", "62", "80140", "hesdin", "Sant-Omer", "brie",
                                   "62461", "dunkerk", "Y"])
def test_autocomplete_answers_conform_to_the_documented_schema(client, query):
    # the view serialises itself (for speed): the schema must still describe it
    body = client.get("/communes/autocomplete", query_string={"q": query}).get_json()
    assert body["communes"]
    assert conforms(AutocompleteAnswer(), body) == {}


def test_autocomplete_limit(client):
    assert len(complete(client, "sa", limit=3)) == 3
    response = client.get("/communes/autocomplete?q=sa&limit=21")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_parameter"


def test_autocomplete_prefix_first(client):
    communes = complete(client, "bailleu")
    assert communes[0]["label"] == "Bailleul (59)"  # the largest of the names that begin so
    assert {"80051", "60041"} <= set(codes(communes))  # Bailleul (80), Bailleul-sur-Thérain
    kinds = [c["matched"] for c in communes]
    assert kinds[:9] == ["prefix"] * 9 and kinds == sorted(kinds, key=lambda kind: kind != "prefix")
    assert communes[-1]["nom"] == "Belleu"  # sounds alike; below every name that begins so
    assert [c["label"] for c in complete(client, "bailleul")[:2]] == ["Bailleul (59)", "Bailleul (80)"]


def test_autocomplete_former_name_is_shown(client):
    first = complete(client, "lomme")[0]
    assert first["code"] == "59350" and first["former"]["nom"] == "Lomme"


def test_openapi_documents_search_and_autocomplete(client):
    spec = client.get("/openapi.json").get_json()
    autocomplete = spec["paths"]["/communes/autocomplete"]["get"]
    assert {p["name"] for p in autocomplete["parameters"]} == {"q", "departement", "limit"}
    schema = autocomplete["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("AutocompleteAnswer")
    hit = spec["components"]["schemas"]["SearchHitOut"]["properties"]
    assert {"label", "score", "matched", "former"} <= set(hit)


def test_bench_constant_is_served_and_documented_only_for_the_benchmark(client, api_url, make_app):
    assert client.get("/bench/constant").status_code == 404  # the default: not in production
    assert "/bench/constant" not in client.get("/openapi.json").get_json()["paths"]
    bench_client = make_app(settings_for(api_url, bench_endpoints=True)).test_client()
    response = bench_client.get("/bench/constant")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "purpose": "benchmark baseline"}
    assert "/bench/constant" in bench_client.get("/openapi.json").get_json()["paths"]


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "code"), [
    ("", "invalid_parameter"),
    ("x" * 500, "invalid_parameter"),
    ("a" * 101, "invalid_parameter"),
    ("!!!", "invalid_query"),
    ("%", "invalid_query"),
    ("_", "invalid_query"),
    ("'-’.", "invalid_query"),
    ("Lille\x00", "invalid_character"),  # refused before the search, for every endpoint
    ("\x1b[31mLille", "invalid_query"),
    ("Lille\x7f", "invalid_query"),
    ("🙂 omer", "invalid_query"),
    ("👍🏽", "invalid_query"),
    ("Москва", "invalid_query"),
    ("日本", "invalid_query"),
    ("١٢٣", "invalid_query"),
    ("\ue000", "invalid_query"),
    ("123456", "invalid_query"),
    ("1", "invalid_query"),
])
@pytest.mark.parametrize("path", ["/communes", "/communes/autocomplete"])
def test_bad_input_is_a_400_with_the_error_shape(client, path, query, code):
    response = client.get(path, query_string={"q": query})
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) <= {"status", "code", "message", "details"}
    assert body["status"] == 400 and body["code"] == code and body["message"]


@pytest.mark.parametrize("query", [
    "'; DROP TABLE communes; --", "Lille' OR '1'='1", "%%%lille%%%", "lille\\", "x", "zzzzzzzz",
    "Saint-Omer (99)", "a b c d e f g h", "st st st st", "le", "l'", "s", "dunkerque 59140",
])
@pytest.mark.parametrize("path", ["/communes", "/communes/autocomplete"])
def test_odd_but_harmless_input_is_a_200(client, path, query):
    response = client.get(path, query_string={"q": query})
    assert response.status_code == 200
    assert isinstance(response.get_json()["communes"], list)


def test_sql_metacharacters_are_plain_text(client):
    assert codes(search(client, "Lille'; --"))[0] == "59350"
    assert codes(search(client, "Lille%"))[0] == "59350"


def test_missing_q_is_a_400(client):
    response = client.get("/communes/autocomplete")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_parameter"


def test_tab_and_newline_count_as_spaces(client):
    assert codes(search(client, "saint\tomer\n"))[0] == SAINT_OMER


@pytest.mark.parametrize(("text", "message"), [
    ("Lille\x07", "control characters"),
    ("Lille 🚲", "emoji"),
    ("Ελλάδα", "Latin letters"),
    ("...", "letters or digits"),
    ("1234567", "5 digits"),
])
def test_parse_query_explains_what_is_wrong(text, message):
    with pytest.raises(BadRequest, match=message):
        parse_query(text)


@pytest.mark.parametrize(("text", "kind", "key", "departement"), [
    ("Saint-Omer", "name", "saintomer", None),
    ("St Omer (62)", "name", "saintomer", "62"),
    ("Brie (2a)", "name", "brie", "2A"),
    ("62500", "postcode", "62500", None),
    (" 62 500 ", "postcode", "62500", None),
    ("621", "postcode_prefix", "621", None),
    ("Le Quesnoy", "name", "quesnoy", None),
])
def test_parse_query(text, kind, key, departement):
    query = parse_query(text)
    assert (query.kind, query.key, query.departement) == (kind, key, departement)


# --- the index follows ingestions -----------------------------------------------------------

@pytest.fixture
def fresh_app(fresh_db, make_app):
    return make_app(settings_for(fresh_db))


def test_a_new_ingestion_reaches_a_running_worker(fresh_app, fresh_db, data_copy):
    client = fresh_app.test_client()
    store = state_of(fresh_app).search
    now = [1000.0]
    store.clock = lambda: now[0]
    store.expire()
    assert codes(search(client, "Saint-Omer"))[0] == SAINT_OMER
    before = store.get()
    geojson = data_copy / "communes.geojson"
    geojson.write_text(geojson.read_text(encoding="utf-8").replace('"Saint-Omer"', '"Saint-Omer-Nouveau"'),
                       encoding="utf-8")
    ingest_into(fresh_db, data_copy)

    now[0] += store.refresh_interval_s - 0.1  # not yet time to look: the worker keeps its index
    assert store.get() is before
    assert search(client, "saint omer nouveau") == []

    now[0] += 0.2  # time to look: this request starts a check in the background and is answered at once
    assert store.get() is before
    store.wait_for_check()  # the fingerprint has changed: the index was rebuilt
    first = search(client, "saint omer nouveau")[0]
    assert (first["code"], first["nom"], first["matched"]) == (SAINT_OMER, "Saint-Omer-Nouveau", "exact")
    after = store.get()
    assert after is not before

    now[0] += store.refresh_interval_s + 1  # nothing new: the index is kept, not rebuilt
    assert store.get() is after


def test_search_keeps_answering_when_the_database_goes_away(fresh_app):
    client = fresh_app.test_client()
    store = state_of(fresh_app).search
    assert search(client, "Lille")
    close_app(fresh_app)  # its read pool is gone: every query now fails (503 where nothing is held)
    assert client.get("/communes/59350").status_code == 503
    store.expire()  # the next search looks for a new ingestion, and cannot
    assert codes(search(client, "Lille"))[0] == "59350"  # the index it has, and a warning


def test_search_without_data_is_a_503(empty_db, make_app):
    response = make_app(settings_for(empty_db)).test_client().get("/communes/autocomplete?q=lille")
    assert response.status_code == 503
    assert response.get_json()["code"] == "data_not_loaded"


def test_warm_up_builds_every_store_and_survives_a_database_that_is_down(api_url, make_app):
    app = make_app(settings_for(api_url))
    stores = state_of(app).stores()
    assert {s.name for s in stores} >= {"search index", "nearest-site table"}
    for store in stores:
        store.clock = lambda: 0.0  # no refresh falls due during the test
    warm_up(app)
    close_app(app)  # built by warm_up, each store answers without the database
    assert all(store.get() is not None for store in stores)

    nowhere = "postgresql+psycopg://geosvc:geosvc@127.0.0.1:1/geosvc"
    down = make_app(Settings(database_url=nowhere, read_database_url=nowhere, pool_timeout_s=0.5))
    warm_up(down)  # logs a warning, raises nothing: the service still starts
    unbuilt = state_of(down).stores()
    assert len(unbuilt) == len(stores)
    for store in unbuilt:  # nothing built: the first request tries again
        with pytest.raises(ServiceUnavailable):
            store.get()


# --- by ear, query understanding, outside the region ------------------------------------------

@pytest.mark.parametrize(("query", "code"), [
    ("abevile", "80001"),  # Abbeville: doubled letters, silent e
    ("azebrouk", "59295"),  # Hazebrouck: initial h, ou, ck
    ("st kentin", "02691"),  # Saint-Quentin: qu/k, en/an
    ("calai", "62193"),  # Calais: silent ending
    ("bétune", "62119"),  # Béthune: th
    ("compiene", "60159"),  # Compiègne: gn
])
def test_a_name_written_by_ear(client, query, code):
    first = search(client, query)[0]
    assert (first["code"], first["matched"]) == (code, "sound")


def test_autocomplete_offers_what_was_written_by_ear(client):
    assert codes(complete(client, "abevile"))[0] == "80001"
    assert "59295" in codes(complete(client, "azebrou"))[:5]  # the beginning of Hazebrouck, by ear


@pytest.mark.parametrize(("query", "code"), [
    ("amiens 80000", "80021"), ("80090 amiens", "80021"), ("lens (62300)", "62498"),
    ("Brie 02", "02122"), ("80 brie", "80141"), ("flers somme", "80314"), ("Athies (80)", "80034"),
    ("athies pas de calais", "62042"), ("flers dans la somme", "80314"),
    ("Pont-s/-Sambre", "59467"), ("Berneuil/Aisne", "60064"), ("boulogne sr mer", "62160"),
    ("boulogne s/ mer", "62160"), ("  saint--omer ,, ", SAINT_OMER),
])
def test_query_understanding(client, query, code):
    assert codes(search(client, query))[0] == code


def test_a_name_ending_like_a_department_is_still_that_name(client):
    # "somme" ends the name: the name as typed wins over "Saint-Valery-sur in the Somme"
    first = search(client, "saint valery sur somme")[0]
    assert (first["code"], first["matched"]) == ("80721", "exact")


def test_a_postcode_that_disagrees_falls_back_to_the_name(client):
    assert codes(search(client, "amiens 62000"))[0] == "80021"


@pytest.mark.parametrize(("query", "code", "nom"), [
    ("paris", "75056", "Paris"), ("lyon", "69123", "Lyon"), ("marseille", "13055", "Marseille"),
    ("nantes", "44109", "Nantes"), ("paris 75", "75056", "Paris"), ("strasbour", "67482", "Strasbourg"),
])
@pytest.mark.parametrize("path", ["/communes", "/communes/autocomplete"])
def test_a_commune_outside_the_region_is_named_not_guessed(client, path, query, code, nom):
    body = client.get(path, query_string={"q": query}).get_json()
    assert body["hint"]["outside_region"]["code"] == code
    assert body["hint"]["outside_region"]["nom"] == nom
    if path == "/communes":
        assert body["communes"] == []
        assert conforms(SearchAnswer(), body) == {}
    else:
        assert conforms(AutocompleteAnswer(), body) == {}


def test_while_typing_the_names_that_begin_so_stay_beside_the_hint(client):
    body = client.get("/communes/autocomplete", query_string={"q": "marseille"}).get_json()
    assert body["hint"]["outside_region"]["code"] == "13055"
    assert codes(body["communes"]) == ["60387"]  # Marseille-en-Beauvaisis


def test_a_name_of_the_region_never_gets_a_hint(client):
    for query in ("Clermont", "Croix", "brie", "saint", "lille"):  # Clermont, Croix, Brie exist elsewhere too
        body = client.get("/communes", query_string={"q": query}).get_json()
        assert "hint" not in body and body["communes"], query


@pytest.mark.parametrize("query", ["bonjour", "chocolat", "xkqzvw", "berlin", "azerty", "mission locale"])
def test_words_that_are_no_commune_find_nothing(client, query):
    assert search(client, query) == []


@pytest.mark.parametrize(("query", "offered", "hint"), [
    ("dunkerk", "59183", None),  # k for q: the beginning of Dunkerque
    ("berli", "02069", None),  # Berlise's beginning
    ("salut", None, "84123"),  # Sault (Vaucluse) with two letters swapped, not Saultain mid-word
    ("coucou", None, None),  # begins Coucouron (Ardèche) as typed: not a slip for Caucourt
    ("nogeent", "02555", None),  # a whole word of Nogent-l'Artaud with a letter doubled
    ("saint z", "02691", None),  # a one-letter word may still be a slip: Saint-Quentin
    ("thoor", "60636", None),  # a respelling by ear of Thourotte's beginning
])
def test_the_autocomplete_keeps_only_slips(client, query, offered, hint):
    body = client.get("/communes/autocomplete", query_string={"q": query}).get_json()
    found = codes(body["communes"])[:5]
    assert (offered in found) if offered else found == []
    assert body.get("hint", {}).get("outside_region", {}).get("code") == hint


def test_short_queries_do_not_match_everything(client):
    assert search(client, "lan") == [] or all(c["matched"] == "prefix" for c in search(client, "lan"))
    assert all(c["matched"] in ("exact", "prefix") for c in search(client, "doue"))


def test_the_outside_names_file_is_the_repository_s(app):
    from geosvc.search import FRANCE_NAMES, outside_names
    assert FRANCE_NAMES.parent.name == "data" and FRANCE_NAMES.exists()  # no ../shared needed
    assert len(outside_names()) > 34_000
