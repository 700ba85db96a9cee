"""What-if scenarios on the SYNTHETIC grid of tests/data/coverage_synthetic (see its README).

Six square communes in a row at latitude 50.05, their reference points 0.1° of longitude
apart; served sites syn-a (Alpha, 2.05) and syn-b (Delta, 2.35). On one parallel the
geodesic distance between two centres depends only on how many squares apart they are:
d1, d2, d3 (pyproj.Geod gives them). Populations: Alpha 1000, Bravo unknown, Charlie 3000,
Delta 4000, Echo 5000, Foxtrot 6000 (19,000 known).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pyproj import Geod

from geosvc.cli import main

LAT = 50.05
POPULATION = 19_000
GEOD = Geod(ellps="WGS84")


def d(squares: int) -> float:
    return GEOD.inv(2.05, LAT, 2.05 + 0.1 * squares, LAT)[2]


D1, D2, D3 = d(1), d(2), d(3)


def post(client, body: dict):
    return client.post("/coverage/scenarios", json=body)


def changed(result: dict) -> dict[str, dict]:
    return {c["code"]: c for c in result["communes_changed"]}


def test_current_network_by_hand(synthetic_client):
    body = synthetic_client.get("/coverage").get_json()
    region = body["region"]
    assert region["communes"] == 6 and region["population"] == POPULATION
    assert region["communes_without_population"] == 1
    expected_mean = (3000 * D1 + 5000 * D1 + 6000 * D2) / POPULATION
    assert region["weighted_mean_distance_m"] == pytest.approx(expected_mean, abs=0.06)
    # by distance: Alpha 0 (1000), Delta 0 (4000), Charlie d1 (3000) -> 8000, Echo d1 (5000) -> 13000 >= 9500
    assert region["weighted_median_distance_m"] == pytest.approx(D1, abs=0.06)
    beyond_10 = region["beyond"][1]
    assert (beyond_10["km"], beyond_10["communes"], beyond_10["population"]) == (10, 1, 6000)  # Foxtrot, d2 > 10 km
    sites = {s["id"]: s for s in body["sites"]}
    assert set(sites) == {"syn-a", "syn-b"}  # superseded and rejected rows are not served
    assert (sites["syn-a"]["communes"], sites["syn-a"]["population"]) == (2, 1000)
    assert (sites["syn-b"]["communes"], sites["syn-b"]["population"]) == (4, 18000)
    assert "SYNTHETIC" in body["data"]["communes"]["source"]


def test_adding_a_site_at_foxtrot(synthetic_client):
    response = post(synthetic_client, {"add": [{"name": "Mission locale Delta – antenne de Foxtrot",
                                                "lon": 2.55, "lat": LAT}]})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    added = result["changes"]["added"][0]
    assert (added["id"], added["insee"], added["commune"]) == ("new-1", "80006", "Foxtrot")
    communes = changed(result)
    assert list(communes) == ["80006", "80005"]
    foxtrot = communes["80006"]
    assert foxtrot["current"]["site_id"] == "syn-b" and foxtrot["scenario"]["site_id"] == "new-1"
    assert foxtrot["delta_m"] == pytest.approx(-D2, abs=0.06)
    # Echo is now exactly halfway between syn-b and new-1: the tie goes to the lower id, new-1
    assert communes["80005"]["scenario"]["site_id"] == "new-1"
    assert communes["80005"]["delta_m"] == 0
    region = result["deltas"]["region"]
    assert region["weighted_mean_distance_m"]["delta"] == pytest.approx(-6000 * D2 / POPULATION, abs=0.1)
    assert region["weighted_median_distance_m"]["scenario"] == 0  # Alpha, Delta, Foxtrot at 0: 11,000 >= 9,500
    beyond_10 = region["beyond"][1]
    assert beyond_10["communes"] == {"current": 1, "scenario": 0, "delta": -1}
    assert beyond_10["population_share"]["delta"] == pytest.approx(-6000 / POPULATION, abs=1e-6)
    # no zones in the grid: no mission locale, whatever the new site's name says
    assert added["mission_locale"] is None
    assert result["scenario"]["missions_locales"] == [] and result["deltas"]["missions_locales"] == []
    site_deltas = {s["id"]: s for s in result["deltas"]["sites"]}
    assert site_deltas["new-1"]["status"] == "added"
    assert site_deltas["new-1"]["communes"] == {"current": 0, "scenario": 2, "delta": 2}
    assert site_deltas["syn-b"]["population"]["delta"] == -11000
    assert "syn-a" not in site_deltas  # unchanged sites are left out
    assert [e["code"] for e in result["deltas"]["epci"]] == ["200000002"]


def test_closing_alpha(synthetic_client):
    result = post(synthetic_client, {"close": ["syn-a"]}).get_json()
    communes = changed(result)
    assert list(communes) == ["80001", "80002"]  # the larger change first
    assert communes["80001"]["scenario"] == {"site_id": "syn-b", "site_name": "Mission locale Delta",
                                             "distance_m": pytest.approx(D3, abs=0.06)}
    assert communes["80002"]["delta_m"] == pytest.approx(D2 - D1, abs=0.06)
    region = result["deltas"]["region"]
    assert region["weighted_mean_distance_m"]["delta"] == pytest.approx(1000 * D3 / POPULATION, abs=0.1)
    assert result["changes"]["closed"] == [{"id": "syn-a", "name": "Mission locale Alpha"}]
    closed = next(s for s in result["deltas"]["sites"] if s["id"] == "syn-a")
    assert closed["status"] == "closed" and closed["communes"]["scenario"] == 0
    assert "syn-a" not in {s["id"] for s in result["scenario"]["sites"]}


def test_moving_delta_to_foxtrot(synthetic_client):
    result = post(synthetic_client, {"move": [{"id": "syn-b", "lon": 2.55, "lat": LAT}]}).get_json()
    communes = changed(result)
    # Charlie goes back to syn-a (d2), Delta is now d2 from syn-b, Foxtrot 0; Echo stays d1 from syn-b
    assert set(communes) == {"80003", "80004", "80006"}
    assert communes["80003"]["scenario"]["site_id"] == "syn-a"
    assert communes["80004"]["scenario"]["distance_m"] == pytest.approx(D2, abs=0.06)
    assert communes["80006"]["scenario"]["distance_m"] == 0
    moved = result["changes"]["moved"][0]
    assert moved["previous"] == {"lon": 2.35, "lat": LAT} and moved["insee"] == "80006"
    site = next(s for s in result["scenario"]["sites"] if s["id"] == "syn-b")
    assert site["hypothetical"] is True and site["location_precision"] == "hypothetical"
    assert next(s for s in result["deltas"]["sites"] if s["id"] == "syn-b")["status"] == "moved"


def test_a_scenario_changes_nothing_stored(synthetic_client):
    before = synthetic_client.get("/coverage").get_json()
    post(synthetic_client, {"close": ["syn-a"], "add": [{"name": "X", "lon": 2.25, "lat": LAT}]})
    assert synthetic_client.get("/coverage").get_json()["region"] == before["region"]


@pytest.mark.parametrize(("body", "code"), [
    ({"add": [{"name": "X", "lon": 2.65, "lat": LAT}]}, "outside_region"),  # east of Foxtrot
    ({"move": [{"id": "syn-b", "lon": 2.35, "lat": 50.2}]}, "outside_region"),
    ({"close": ["nope"]}, "unknown_mission"),
    ({"move": [{"id": "nope", "lon": 2.35, "lat": LAT}]}, "unknown_mission"),
    ({"close": ["syn-old"]}, "mission_not_served"),
    ({"close": ["syn-far"]}, "mission_not_served"),
    ({"close": ["syn-a", "syn-a"]}, "conflicting_changes"),
    ({"close": ["syn-a"], "move": [{"id": "syn-a", "lon": 2.35, "lat": LAT}]}, "conflicting_changes"),
    ({"close": ["syn-a", "syn-b"]}, "empty_network"),
    ({"add": [{"name": "X", "lon": 2.25, "lat": LAT, "mission_locale": "80001"}]}, "unknown_mission_locale"),
])
def test_refused_scenarios_name_the_change(synthetic_client, body, code):
    response = post(synthetic_client, body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == code
    assert set(error) == {"status", "code", "message", "details"} or code == "empty_network"
    if "details" in error:
        assert error["details"]["field"] in error["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "changes"),
    ({"add": []}, "changes"),
    ({"close": ["syn-a"] * 21}, "changes"),
    ({"add": [{"name": "X", "lon": "east", "lat": LAT}]}, "add[0].lon"),
    ({"add": [{"name": "", "lon": 2.25, "lat": LAT}]}, "add[0].name"),
    ({"add": [{"name": "X", "lon": 2.25}]}, "add[0].lat"),
    ({"add": [{"name": "X", "lon": 2.25, "lat": 91}]}, "add[0].lat"),
    ({"move": [{"id": "syn-b", "lon": 2.25, "lat": LAT, "extra": 1}]}, "move[0].extra"),
    ({"close": ["syn-a"], "drop_tables": True}, "drop_tables"),
    ({"close": ["syn-a"], "thresholds_km": [0]}, "thresholds_km[0]"),
    ({"close": "syn-a"}, "close"),
    ({"close": ["syn-\u0000a"]}, "close[0]"),
    ({"add": [{"name": "X\u0007", "lon": 2.25, "lat": LAT}]}, "add[0].name"),
    ({"move": [{"id": "syn-\udc00", "lon": 2.25, "lat": LAT}]}, "move[0].id"),
])
def test_malformed_scenarios_are_400(synthetic_client, body, field):
    response = post(synthetic_client, body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == "invalid_parameter"
    assert error["message"].startswith(field + ":"), error["message"]


def test_scenario_body_must_be_json_and_small(synthetic_client):
    assert synthetic_client.post("/coverage/scenarios", data="close=syn-a").status_code in (400, 415)
    big = {"close": ["syn-a"], "add": [{"name": "x" * 100, "lon": 2.25, "lat": LAT}] * 1000}
    response = synthetic_client.post("/coverage/scenarios", data=json.dumps(big), content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"


def test_cli_scenario_prints_the_same_deltas(synthetic_url, synthetic_client, monkeypatch, tmp_path):
    monkeypatch.setenv("GEOSVC_DATABASE_URL", synthetic_url)
    runner = CliRunner()
    result = runner.invoke(main, ["coverage", "scenario", "--add", "2.55,50.05,Antenne, Foxtrot", "--json"])
    assert result.exit_code == 0, result.output
    via_cli = json.loads(result.output)
    via_api = post(synthetic_client, {"add": [{"name": "Antenne, Foxtrot", "lon": 2.55, "lat": LAT}]}).get_json()
    assert via_cli["deltas"] == via_api["deltas"]
    assert via_cli["changes"]["added"][0]["name"] == "Antenne, Foxtrot"

    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps({"close": ["syn-a"]}), encoding="utf-8")
    text = runner.invoke(main, ["coverage", "scenario", "--file", str(scenario_file),
                                "--move", "syn-b,2.45,50.05"])
    assert text.exit_code == 0, text.output
    assert "close syn-a" in text.output and "move  syn-b" in text.output
    assert "communes whose nearest site changes:" in text.output
    assert "data: communes: SYNTHETIC" in text.output


@pytest.mark.parametrize(("args", "message"), [
    (["--add", "2.55,50.05"], "LON,LAT,NAME"),
    (["--add", "east,50.05,X"], "not a number"),
    (["--move", "syn-b,2.55"], "ID,LON,LAT"),
    (["--close", "nope"], "no mission site has the id 'nope'"),
    (["--add", "3.5,50.05,X"], "not inside a commune"),
    ([], "1 to 20 changes"),
])
def test_cli_scenario_errors(synthetic_url, monkeypatch, args, message):
    monkeypatch.setenv("GEOSVC_DATABASE_URL", synthetic_url)
    result = CliRunner().invoke(main, ["coverage", "scenario", *args])
    assert result.exit_code != 0
    assert message in result.output


# --- on the real data: a new site may name its mission locale -------------------------------

GRANDVILLIERS = {"name": "Antenne de Grandvilliers", "lon": 1.942, "lat": 49.6634}
BEAUVAIS = "60057"


def test_a_new_site_joins_the_mission_locale_it_names(client):
    result = post(client, {"add": [GRANDVILLIERS | {"mission_locale": BEAUVAIS}]}).get_json()
    added = result["changes"]["added"][0]
    assert (added["mission_locale"], added["mission_locale_name"]) == (BEAUVAIS, "Mission locale de Beauvais")
    site = next(s for s in result["scenario"]["sites"] if s["id"] == "new-1")
    assert (site["mission_locale"], site["mission_locale_name"]) == (BEAUVAIS, "Mission locale de Beauvais")
    scenario = {m["code"]: m for m in result["scenario"]["missions_locales"]}
    assert "new-1" in scenario[BEAUVAIS]["sites"]
    deltas = {m["code"]: m for m in result["deltas"]["missions_locales"]}
    beauvais = deltas[BEAUVAIS]
    assert beauvais["sites"]["scenario"] == sorted([*beauvais["sites"]["current"], "new-1"])
    # every commune that moves to new-1 leaves another mission locale's site, or stays with Beauvais
    moved = [c for c in result["communes_changed"] if c["scenario"]["site_id"] == "new-1"]
    current = {s["id"]: s["mission_locale"] for s in client.get("/coverage").get_json()["sites"]}
    gained = [c for c in moved if current[c["current"]["site_id"]] != BEAUVAIS]
    assert beauvais["communes"]["delta"] == len(gained) > 0
    lost = {}
    for commune in gained:
        code = current[commune["current"]["site_id"]]
        lost[code] = lost.get(code, 0) + 1
    assert {code: deltas[code]["communes"]["delta"] for code in lost} == {code: -n for code, n in lost.items()}
    assert set(deltas) == {BEAUVAIS, *lost}  # the missions locales that did not change are left out


def test_a_new_site_without_mission_locale_belongs_to_none(client):
    result = post(client, {"add": [GRANDVILLIERS]}).get_json()
    assert result["changes"]["added"][0]["mission_locale"] is None
    scenario = result["scenario"]
    assert "new-1" not in {site for m in scenario["missions_locales"] for site in m["sites"]}
    served_by_missions = sum(m["communes"] for m in scenario["missions_locales"])
    new_site = next(s for s in scenario["sites"] if s["id"] == "new-1")
    assert served_by_missions == 3782 - new_site["communes"] and new_site["communes"] > 0


def test_an_unknown_mission_locale_is_refused(client):
    response = post(client, {"add": [GRANDVILLIERS | {"mission_locale": "99999"}]})
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == "unknown_mission_locale"
    assert error["details"]["field"] == "add[0].mission_locale"
    assert error["message"].startswith("add[0].mission_locale: no mission locale has the code '99999'")
