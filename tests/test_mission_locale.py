"""Your own mission locale: the union's zones, the 42 missions locales, their sites — checked
against the union's table read independently (plain csv module, not geosvc's reader) and a
brute-force geodesic computation (pyproj.Geod), for every commune of the region."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from sqlalchemy import text

from geosvc.db.pool import make_engine
from tests.conftest import DATA_DIR, ingest_into

WGS84 = Geod(ellps="WGS84")
ZONES_CSV = DATA_DIR / "sources" / "unml" / "zones_de_couverture_janvier_2026_hdf.csv"


def union_table() -> dict[str, set[str]]:
    """INSEE code -> the union's mission locale codes, read with the csv module alone."""
    text = ZONES_CSV.read_text(encoding="utf-8-sig")
    table: dict[str, set[str]] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        table.setdefault(row["Code INSEE"], set()).add(row["Code ML"])
    return table


def head_offices() -> dict[str, tuple[str, str, str]]:
    text = ZONES_CSV.read_text(encoding="utf-8-sig")
    return {row["Code ML"]: (" ".join(row["Adresse ML"].split()), row["Code Postal ML"], row["Ville ML"])
            for row in csv.DictReader(io.StringIO(text), delimiter=";")}


@pytest.fixture(scope="module")
def answers(app):
    client = app.test_client()
    codes = sorted(union_table())
    return {code: client.get(f"/communes/{code}/mission-locale?k=1").get_json() for code in codes}


def test_every_commune_has_the_union_s_mission_locale(answers):
    table = union_table()
    assert len(table) == 3782
    wrong = {code: (body["mission_locale"] and body["mission_locale"]["code"], table[code])
             for code, body in answers.items()
             if {m["code"] for m in [body["mission_locale"], *body["also"]] if m} != table[code]}
    assert wrong == {}


def test_nearest_is_own_agrees_with_a_brute_force(answers, client):
    sites = client.get("/missions").get_json()["missions"]
    lons, lats = np.array([s["lon"] for s in sites]), np.array([s["lat"] for s in sites])
    table = union_table()
    disagreements, not_own, population, total = [], 0, 0, 0
    for code, body in answers.items():
        point = body["commune"]["point"]
        _, _, distances = WGS84.inv(np.full(len(sites), point["lon"]), np.full(len(sites), point["lat"]), lons, lats)
        nearest = sites[int(np.argmin(distances))]
        expected = nearest["mission_locale"] in table[code]
        if body["nearest_is_own"] != expected:
            disagreements.append(code)
        inhabitants = body["commune"]["population"] or 0
        total += inhabitants
        if not expected:
            not_own += 1
            population += inhabitants
    assert disagreements == []
    # the figure the note reports, recomputed here from the API's own answers
    print(f"nearest site not own: {not_own} communes, {population / total:.1%} of the population")
    assert 0 < not_own < 3782


def test_own_sites_are_all_served_sites_of_the_mission_locale_ranked_by_geodesic_distance(answers, client):
    sites = client.get("/missions").get_json()["missions"]
    by_ml: dict[str, list[dict]] = {}
    for site in sites:
        by_ml.setdefault(site["mission_locale"], []).append(site)
    for code in ("80685", "60612", "59350", "62193", "02168"):
        body = answers[code]
        own = body["mission_locale"]
        point = body["commune"]["point"]
        expected = sorted(
            (WGS84.inv(point["lon"], point["lat"], s["lon"], s["lat"])[2], s["id"]) for s in by_ml[own["code"]]
        )
        got = [(s["distance_m"], s["id"]) for s in own["sites"]]
        assert [i for _, i in got] == [i for _, i in expected]
        assert all(abs(g - e) < 1.0 for (g, _), (e, _) in zip(got, expected, strict=True))


@pytest.mark.parametrize(("commune", "mission_locale"), [
    ("80685", "60471"),  # Roye (Somme) -> Noyon (Oise)
    ("80810", "62767"),  # Vitz-sur-Authie (Somme) -> Saint-Pol-sur-Ternoise
    ("59172", "59383"),  # Denain -> the Valenciennes one ("MARLY")
    ("59097", "59122"), ("59176", "59122"), ("59405", "59122"),  # Boursies, Doignies, Mœuvres -> Cambrai
    ("60612", "60176"),  # Senlis -> Oise Sud
    ("60395", "60395"),  # Méru -> Oise Sud Ouest
])
def test_known_zones(answers, commune, mission_locale):
    assert answers[commune]["mission_locale"]["code"] == mission_locale


@pytest.mark.parametrize("code", ["59350", "59512"])  # Lille, Roubaix
def test_single_commune_zones(client, code):
    body = client.get(f"/missions-locales/{code}").get_json()
    assert [c["code"] for c in body["communes"]] == [code]


def test_each_of_the_42_missions_locales_has_a_served_site_and_its_2026_head_office(client):
    offices = head_offices()
    body = client.get("/missions-locales").get_json()
    assert len(body["missions_locales"]) == 42 == len(offices)
    assert body["zone"]["vintage"] == "January 2026"
    for mission in body["missions_locales"]:
        detail = client.get(f"/missions-locales/{mission['code']}").get_json()
        assert detail["sites"], mission["code"]
        office = detail["head_office"]
        assert (office["address"], office["postcode"], office["city"]) == offices[mission["code"]]
        head = [s for s in detail["sites"] if s["kind"] == "siege"]
        assert len(head) == 1, mission["code"]


def test_a_moved_head_office_is_served_at_its_2026_town_and_the_old_record_is_not(client):
    body = client.get("/communes/02168/mission-locale").get_json()
    own = body["mission_locale"]
    assert own["code"] == "02168"
    assert own["head_office"]["address"] == "2 av ernest couvrecelle"
    head = own["sites"][0]
    assert (head["city"], head["insee"], head["location_precision"]) == ("Étampes-sur-Marne", "02292", "commune")
    assert head["record_date"] == "2026-01" and head["confirmed"] is True
    served = {s["id"] for s in client.get("/missions").get_json()["missions"]}
    assert "mission_locale-02168-01" not in served  # 7 avenue de l'Europe, 2017: superseded
    old = client.get("/missions/mission_locale-02168-01")
    assert old.status_code == 404


def test_antennes_carry_their_record_date_and_are_not_confirmed(client):
    sites = client.get("/missions").get_json()["missions"]
    antennes = [s for s in sites if s["kind"] == "antenne"]
    assert antennes and all(s["record_date"] and not s["confirmed"] for s in antennes)
    assert all(s["mission_locale"] for s in sites)


def test_every_answer_says_the_zones_source_and_month(client):
    for path in ("/communes/59350", "/communes/59350/nearest", "/communes/59350/mission-locale", "/missions",
                 "/departements/59/communes"):
        body = client.get(path).get_json()
        assert "data" in body, (path, body)
        zones = body["data"]["zones"]
        assert zones["vintage"] == "January 2026", path
        assert "UNML" in zones["source"], path


def test_k_limits_nearest_only(client):
    body = client.get("/communes/59350/mission-locale?k=1").get_json()
    assert len(body["nearest"]) == 1 and len(body["mission_locale"]["sites"]) == 2
    assert client.get("/communes/59350/mission-locale?k=21").status_code == 400


def test_former_codes_resolve_as_for_nearest(client, sql):
    former = sql("SELECT f.code, f.code_actuel FROM former_communes f "
                 "WHERE f.code NOT IN (SELECT code FROM communes) ORDER BY f.code LIMIT 1")[0]
    body = client.get(f"/communes/{former['code']}/mission-locale").get_json()
    assert body["code"] == "commune_not_found"
    assert body["details"]["replaced_by"]["code"] == former["code_actuel"]


def test_zone_geojson_and_unknown_codes(client):
    zone = client.get("/missions-locales/60471/zone")
    assert zone.status_code == 200 and zone.mimetype == "application/geo+json"
    feature = zone.get_json()
    assert feature["geometry"]["type"] == "MultiPolygon" and feature["properties"]["code"] == "60471"
    assert client.get("/missions-locales/99999").get_json()["code"] == "mission_locale_not_found"
    assert client.get("/missions-locales/abc").get_json()["code"] == "invalid_mission_locale_code"


def test_department_feed_gives_each_commune_its_own_mission_locale(client):
    table = union_table()
    feed = client.get("/departements/80/communes").get_json()
    roye = next(c for c in feed["communes"] if c["code"] == "80685")
    assert roye["mission_locale"]["code"] == "60471"
    assert all(c["mission_locale"]["code"] in table[c["code"]] for c in feed["communes"])


# --- what the campaign page's card reads (issue 13) -------------------------------------------

def test_the_zone_says_its_month_in_the_form_of_a_record_date(client):
    from geosvc.mission_locale import vintage_month

    body = client.get("/communes/60612/mission-locale").get_json()
    assert body["zone"]["vintage"] == "January 2026" and body["zone"]["month"] == "2026-01"
    assert client.get("/missions-locales").get_json()["zone"]["month"] == "2026-01"
    # a head office the union's table states carries the zones' month as its record date
    head = body["mission_locale"]["sites"][0]
    assert head["confirmed"] and head["record_date"] == body["zone"]["month"]
    assert [vintage_month(v) for v in ("janvier 2026", "December 2025", "COG 2026", "", None)] == [
        "2026-01", "2025-12", None, None, None]


def test_nearest_sites_name_their_mission_locale(client):
    names = {m["code"]: m["name"] for m in client.get("/missions-locales").get_json()["missions_locales"]}
    body = client.get("/communes/60282/mission-locale?k=3").get_json()  # Gouvieux: Creil's site is nearer
    assert body["nearest_is_own"] is False
    assert [s["mission_locale_name"] for s in body["nearest"]] == [names[s["mission_locale"]] for s in body["nearest"]]
    assert body["nearest"][0]["mission_locale_name"] == "Mission locale de Creil"
    # the own mission locale's sites are its own: no name repeated there
    assert all("mission_locale_name" not in s for s in body["mission_locale"]["sites"])


@pytest.mark.parametrize("code", ["60612", "60282", "59606", "62765"])
def test_the_answer_is_the_documented_schema(client, code):
    """The body validates against the schema /openapi.json is generated from (unknown fields refused)."""
    from geosvc.web.api.schemas import MissionLocaleAnswer

    body = client.get(f"/communes/{code}/mission-locale?k=3").get_json()
    assert MissionLocaleAnswer().validate(body) == {}
    document = client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    answer = schemas["MissionLocaleAnswer"]["properties"]

    def referenced(ref: str) -> dict:
        return schemas[ref.rsplit("/", 1)[1]]

    zone_parts = answer["zone"].get("anyOf") or answer["zone"].get("allOf") or [answer["zone"]]  # nullable
    zone = referenced(next(part["$ref"] for part in zone_parts if "$ref" in part))
    assert "month" in zone["properties"] and "month" in zone["required"]
    nearest = referenced(answer["nearest"]["items"]["$ref"])
    assert "mission_locale_name" in nearest["properties"] and "distance_m" in nearest["properties"]


# --- ingestion safety ------------------------------------------------------------------------

def _rewrite_zones(data_dir: Path, keep) -> None:
    path = data_dir / "sources" / "unml" / ZONES_CSV.name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "".join(line for line in lines[1:] if keep(line)), encoding="utf-8")


def test_a_zone_table_that_drops_communes_is_refused_unless_allowed(fresh_db, data_copy, sql):
    from geosvc.db.load import ShrinkRefused

    kept_codes = set()

    def keep(line: str) -> bool:  # the Somme's communes gone, but one row of each mission locale kept
        code = line.split(";")[5]
        if line.startswith("80") and code in kept_codes:
            return False
        kept_codes.add(code)
        return True

    _rewrite_zones(data_copy, keep)
    with pytest.raises(ShrinkRefused, match="zones"):
        ingest_into(fresh_db, data_copy)
    summary = ingest_into(fresh_db, data_copy, allow_shrink=True)
    assert any("commune(s) have no mission locale in this table" in str(w) for w in summary.warnings)


def test_a_site_naming_an_unknown_mission_locale_is_an_error_naming_the_line(fresh_db, data_copy):
    from geosvc.ingest.problems import IngestError

    path = data_copy / "sites.csv"
    text = path.read_text(encoding="utf-8")
    roye = "\nmission_locale-80685-01,"
    path.write_text(text.replace(roye + "60471,", roye + "99999,"), encoding="utf-8")
    with pytest.raises(IngestError) as raised:
        ingest_into(fresh_db, data_copy)
    assert "sites.csv: line" in str(raised.value) and "field 'mission_locale'" in str(raised.value)
    assert "99999 is not a mission locale" in str(raised.value)


def test_a_broken_zone_table_names_file_line_and_field_and_loses_nothing(fresh_db, data_copy, sql):
    from geosvc.ingest.problems import IngestError

    path = data_copy / "sources" / "unml" / ZONES_CSV.name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(";Aisne(02);", ";Aisne;")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(IngestError) as raised:
        ingest_into(fresh_db, data_copy)
    assert "line 6: field 'Département Commune'" in str(raised.value)
    engine = make_engine(fresh_db)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM zones")).scalar_one() == 3782
    finally:
        engine.dispose()
