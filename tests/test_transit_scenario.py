"""The TER part of a what-if (POST /coverage/scenarios `ter`, geosvc/coverage/transit_scenario.py).

On the project's data (ingested with the SNCF TER feed): an antenne of Noyon's mission locale
(60471) at Montdidier, a station town of the Amiens–Compiègne line 17 km from Roye, its nearest
site today. The re-routed minutes are checked against a Router built here on the same timetable,
the region's deltas against the listed communes, the current figures against commune_transit.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from geosvc.cli import main
from geosvc.config import Settings
from geosvc.coverage import own as own_sites
from geosvc.coverage import transit_scenario
from geosvc.coverage.network import compute, stored_network
from geosvc.db import transit as transit_sql
from geosvc.db.pool import ReadDatabase
from geosvc.transit import cache
from geosvc.transit.routing import Method, Router
from tests.conftest import DATA_DIR, settings_for

NOYON = "60471"
ROYE_SITE = "mission_locale-80685-01"
MONTDIDIER = {"name": "Antenne de Montdidier", "lon": 2.5633736, "lat": 49.6472, "mission_locale": NOYON}
KEYS = [(target, mode) for target in ("own", "nearest") for mode in ("walk", "bike")]


def post(client, body: dict) -> dict:
    response = client.post("/coverage/scenarios", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture(scope="module")
def added(app) -> dict:
    return post(app.test_client(), {"add": [MONTDIDIER]})


@pytest.fixture(scope="module")
def router(api_url) -> Router:
    """A Router of our own on the timetable and method the stored rows name (transit_run)."""
    database = ReadDatabase(settings_for(api_url))
    try:
        with database.cursor() as cursor:
            run = transit_sql.run(cursor)
    finally:
        database.close()
    timetable = cache.timetable(DATA_DIR / run["file"], run["service_date"], Settings.from_env().cache_dir)
    assert timetable.sha256 == run["sha256"]
    return Router(timetable, Method(**run["method"]))


def point(sql, code: str) -> tuple[float, float]:
    row = sql("SELECT ST_X(point::geometry) AS lon, ST_Y(point::geometry) AS lat FROM communes WHERE code = :c",
              c=code)[0]
    return row["lon"], row["lat"]


def served_sites(sql, mission_locale: str) -> dict[str, tuple[float, float]]:
    rows = sql("SELECT id, ST_X(geog::geometry) AS lon, ST_Y(geog::geometry) AS lat FROM mission_sites "
               "WHERE status = 'served' AND mission_locale = :m ORDER BY id", m=mission_locale)
    return {row["id"]: (row["lon"], row["lat"]) for row in rows}


def rows_of(ter: dict, target: str, mode: str) -> list[dict]:
    return [c for c in ter["communes_changed"] if (c["target"], c["mode"]) == (target, mode)]


def minutes(journey: dict | None) -> float:
    """For comparisons: no trip (or no target site) is later than any trip."""
    return float("inf") if journey is None or journey["minutes"] is None else journey["minutes"]


# --- adding a site ------------------------------------------------------------------------------

def test_adding_an_antenne_at_a_station_town_improves_own_access(added, sql):
    ter = added["ter"]
    assert ter["available"] is True and ter["reason"] is None
    assert ter["timetable"]["service_date"] == "2025-02-04"
    assert "SNCF" in ter["timetable"]["attribution"] and "ODbL" in ter["timetable"]["attribution"]
    assert "08:00" in ter["method"] and "14:00" in ter["method"]
    zone = {row["insee"] for row in sql("SELECT insee FROM zones WHERE mission_locale = :m", m=NOYON)}
    assert ter["rerouted"]["own"] == len(zone)  # every commune of Noyon's zone, and only those
    own = rows_of(ter, "own", "walk") + rows_of(ter, "own", "bike")
    assert own, "some commune of Noyon's zone must reach the antenne sooner"
    for commune in own:
        assert commune["code"] in zone
        # a site more can only make the first arrival earlier
        assert minutes(commune["scenario"]) < minutes(commune["current"]), commune
    montdidier = {c["mode"]: c for c in own if c["code"] == "80561"}
    assert set(montdidier) == {"walk", "bike"}
    for row in montdidier.values():
        # today: to Noyon by the P23 to Compiègne, then the K14, more than an hour and a half
        assert row["current"]["site_id"] == "mission_locale-60471-01" and row["current"]["minutes"] > 90
        assert row["current"]["lines"][0] == "P23"
        assert row["scenario"] == row["scenario"] | {"site_id": "new-1", "kind": "direct", "minutes": 1}
        assert row["delta_minutes"] == 1 - row["current"]["minutes"]
    # the region's own figures gain at least Montdidier's 5,935 inhabitants within 30 and 90 minutes
    region = {(f["target"], f["mode"]): f for f in ter["region"]}
    for mode in ("walk", "bike"):
        within_30, _, within_90 = region[("own", mode)]["within"]
        assert (within_30["minutes"], within_90["minutes"]) == (30, 90)
        assert within_30["population"]["delta"] >= 5935 and within_90["population"]["delta"] >= 5935


def test_rerouted_minutes_equal_routing_directly(added, router, sql):
    ter = added["ter"]
    noyon = served_sites(sql, NOYON)
    new = (MONTDIDIER["lon"], MONTDIDIER["lat"])
    nearest_now = {c["code"]: c["scenario"]["site_id"] for c in added["communes_changed"]}
    checked = 0
    for commune in ter["communes_changed"][:12]:
        origin = point(sql, commune["code"])
        if commune["target"] == "own":
            before_targets = dict(sorted(noyon.items()))
            after_targets = dict(sorted({**noyon, "new-1": new}.items()))
        else:  # the nearest site changed: the scenario's nearest, by distance
            site = nearest_now[commune["code"]]
            after_targets = {site: new if site == "new-1" else site_point(sql, site)}
            before_targets = None
        journey = router.earliest(origin, list(after_targets.values()), commune["mode"])
        assert commune["scenario"]["minutes"] == (journey.minutes if journey else None), commune
        if journey is not None:
            assert commune["scenario"]["site_id"] == list(after_targets)[journey.target]
            assert commune["scenario"]["arrival"] == journey.arrival
        if before_targets is not None:  # the current figure is the stored one, the same routing
            journey = router.earliest(origin, list(before_targets.values()), commune["mode"])
            assert minutes(commune["current"]) == (journey.minutes if journey else float("inf")), commune
        checked += 1
    assert checked >= 6


def site_point(sql, site_id: str) -> tuple[float, float]:
    row = sql("SELECT ST_X(geog::geometry) AS lon, ST_Y(geog::geometry) AS lat FROM mission_sites WHERE id = :i",
              i=site_id)[0]
    return row["lon"], row["lat"]


def test_region_deltas_add_up_from_the_listed_communes(added):
    ter = added["ter"]
    assert ter["communes_changed_total"] == len(ter["communes_changed"])  # not capped here: all are listed
    assert ter["communes_changed_total"] > 0
    for figures in ter["region"]:
        rows = rows_of(ter, figures["target"], figures["mode"])
        for item in figures["within"]:
            limit = item["minutes"]
            expected = sum((c["population"] or 0) * ((minutes(c["scenario"]) <= limit)
                                                     - (minutes(c["current"]) <= limit)) for c in rows)
            assert item["population"]["delta"] == expected, (figures["target"], figures["mode"], limit)
            assert item["population"]["scenario"] - item["population"]["current"] == expected

        def no_trip(journey):
            return journey is not None and journey["minutes"] is None

        expected = sum((c["population"] or 0) * (no_trip(c["scenario"]) - no_trip(c["current"])) for c in rows)
        assert figures["no_trip"]["population"]["delta"] == expected
        assert figures["communes_without_target"]["delta"] == 0  # adding never takes a target away
    # changed minutes sorted: trips gained first, then the largest changes
    deltas = [abs(c["delta_minutes"]) for c in ter["communes_changed"] if c["delta_minutes"] is not None]
    assert deltas == sorted(deltas, reverse=True)


def test_zone_figures_follow_their_communes(added, sql):
    ter = added["ter"]
    zones = {z["code"]: z for z in ter["zones"]}
    assert NOYON in zones
    zone = {row["insee"] for row in sql("SELECT insee FROM zones WHERE mission_locale = :m", m=NOYON)}
    for figures in zones[NOYON]["figures"]:
        rows = [c for c in rows_of(ter, figures["target"], figures["mode"]) if c["code"] in zone]
        within = figures["within"][-1]
        expected = sum(c["population"] * ((minutes(c["scenario"]) <= within["minutes"])
                                          - (minutes(c["current"]) <= within["minutes"])) for c in rows)
        assert within["population"]["delta"] == expected


def test_current_figures_are_the_stored_travel_times(added, sql):
    region = {(f["target"], f["mode"]): f for f in added["ter"]["region"]}
    for target, mode in KEYS:
        stored = sql(
            "SELECT count(*) FILTER (WHERE t.minutes <= 60) AS communes_60, "
            "coalesce(sum(c.population) FILTER (WHERE t.minutes <= 60), 0) AS population_60, "
            "count(*) FILTER (WHERE t.code IS NOT NULL AND t.minutes IS NULL) AS no_trip, "
            "count(*) FILTER (WHERE t.code IS NULL) AS without_target "
            "FROM communes c LEFT JOIN commune_transit t ON t.code = c.code AND t.target = :t AND t.mode = :m",
            t=target, m=mode)[0]
        figures = region[(target, mode)]
        within_60 = figures["within"][1]
        assert (within_60["minutes"], within_60["communes"]["current"], within_60["population"]["current"]) == (
            60, stored["communes_60"], stored["population_60"])
        assert figures["no_trip"]["communes"]["current"] == stored["no_trip"]
        assert figures["communes_without_target"]["current"] == stored["without_target"]


def test_target_sets_are_those_of_the_ingestion(api_url):
    """own_targets and nearest_targets over the current network give the very requests the ingestion routed."""
    database = ReadDatabase(settings_for(api_url))
    try:
        with database.cursor() as cursor:
            network = stored_network(cursor)
            coverage = compute(cursor, network)
            own = own_sites.compute(cursor, network, {})
            ours = {"own": transit_scenario.own_targets(network, own, coverage.communes),
                    "nearest": transit_scenario.nearest_targets(coverage)}
            requests = transit_sql.requests(cursor)
    finally:
        database.close()
    stored = {(r.code, r.target): sorted(zip(r.site_ids, r.sites, strict=True)) for r in requests}
    mine = {(code, target): sorted((i, (lon, lat)) for i, lon, lat in sites)
            for target, sets in ours.items() for code, sites in sets.items()}
    assert len(stored) > 7000
    assert mine == stored


# --- closing a site -----------------------------------------------------------------------------

def test_closing_a_site_worsens_own_access(client):
    ter = post(client, {"close": [ROYE_SITE]})["ter"]
    assert ter["available"] is True
    own = rows_of(ter, "own", "walk") + rows_of(ter, "own", "bike")
    assert own, "some commune of Noyon's zone must lose time without Roye"
    for commune in own:
        assert minutes(commune["scenario"]) > minutes(commune["current"]), commune
        assert commune["current"]["site_id"] == ROYE_SITE  # only those who reached Roye first lose
    region = {(f["target"], f["mode"]): f for f in ter["region"]}
    for mode in ("walk", "bike"):
        assert all(item["population"]["delta"] <= 0 for item in region[("own", mode)]["within"])
        assert region[("own", mode)]["communes_without_target"]["delta"] == 0  # Noyon's own site remains


def test_closing_the_only_site_of_a_mission_locale_leaves_its_zone_without_target(client, sql):
    only = sql("""
        SELECT s.mission_locale, min(s.id) AS site_id FROM mission_sites s WHERE s.status = 'served'
        GROUP BY s.mission_locale HAVING count(*) = 1 ORDER BY s.mission_locale LIMIT 1
    """)[0]
    alone = sql("""
        SELECT count(*) AS communes, coalesce(sum(c.population), 0) AS population
        FROM zones z JOIN communes c ON c.code = z.insee
        WHERE z.mission_locale = :m
          AND NOT EXISTS (SELECT 1 FROM zones o WHERE o.insee = z.insee AND o.mission_locale <> :m)
    """, m=only["mission_locale"])[0]
    assert alone["communes"] > 0
    ter = post(client, {"close": [only["site_id"]]})["ter"]
    region = {(f["target"], f["mode"]): f for f in ter["region"]}
    for mode in ("walk", "bike"):
        assert region[("own", mode)]["communes_without_target"]["delta"] == alone["communes"]
        assert region[("own", mode)]["population_without_target"]["delta"] == alone["population"]
        assert region[("nearest", mode)]["communes_without_target"]["delta"] == 0  # another site is nearest


# --- when there is nothing to compare -------------------------------------------------------------

def test_data_without_a_timetable_answers_without_the_ter_part(synthetic_client):
    result = post(synthetic_client, {"add": [{"name": "X", "lon": 2.55, "lat": 50.05}]})
    ter = result["ter"]
    assert ter["available"] is False
    assert "no TER timetable was loaded" in ter["reason"]
    assert ter["region"] == [] and ter["communes_changed"] == [] and ter["timetable"] is None
    assert result["communes_changed"]  # the rest of the scenario is answered


@pytest.mark.parametrize(("content", "reason"), [
    (None, "is not in the service's data directory"),
    (b"PK\x05\x06" + bytes(18), "is not the one the stored travel times came from"),
])
def test_a_timetable_file_that_is_not_the_stored_one_is_said(api_url, make_app, tmp_path, monkeypatch, content,
                                                             reason):
    monkeypatch.setattr(transit_scenario, "_routers", {})  # no Router kept from another test
    if content is not None:
        feed = tmp_path / "sources" / "gtfs" / "sncf_ter_gtfs_2025-01-22.zip"
        feed.parent.mkdir(parents=True)
        feed.write_bytes(content)
    client = make_app(settings_for(api_url, data_dir=tmp_path)).test_client()
    result = post(client, {"add": [MONTDIDIER]})
    assert result["ter"]["available"] is False
    assert reason in result["ter"]["reason"]
    assert result["communes_own_changed"]  # the distances are answered all the same


def test_one_router_per_timetable_and_scenarios_leave_it_unchanged(client, monkeypatch):
    routers = {}
    monkeypatch.setattr(transit_scenario, "_routers", routers)
    post(client, {"add": [MONTDIDIER]})
    assert len(routers) == 1
    (shared,) = routers.values()
    post(client, {"close": [ROYE_SITE]})
    assert list(routers.values()) == [shared]
    assert shared._egress_cache == {}  # each scenario routes on its own copy


def test_the_cli_prints_the_ter_changes(api_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GEOSVC_DATABASE_URL", api_url)
    body = tmp_path / "scenario.json"
    body.write_text(json.dumps({"add": [MONTDIDIER]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["coverage", "scenario", "--file", str(body)])
    assert result.exit_code == 0, result.output
    assert "TER access (timetable of 2025-02-04; Horaires TER © SNCF" in result.output
    assert "80561 Montdidier (nearest, walk): no trip -> 1 min (new-1)" in result.output
    assert "own, walk" in result.output and "communes whose TER minutes change" in result.output
