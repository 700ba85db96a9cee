"""Coverage indicators on the real data, checked against an independent Python computation.

The reference below measures every commune's reference point to every served site with
pyproj.Geod (GeographicLib) and aggregates with numpy; it shares no code with
geosvc.coverage. Distances agree to the millimetre; the API rounds them to 0.1 m.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from pyproj import Geod

ROUNDING_M = 0.06  # the API gives decimetres
THRESHOLDS_KM = (5, 10, 15, 20)


@pytest.fixture(scope="module")
def reference(api_url):
    """{code: dict(departement, epci, population, nearest [(site id, metres)] sorted)} by brute force."""
    from sqlalchemy import text

    from geosvc.db.pool import make_engine

    engine = make_engine(api_url)
    with engine.connect() as connection:
        communes = connection.execute(text(
            "SELECT code, departement, epci, population, ST_X(point::geometry) AS lon, ST_Y(point::geometry) AS lat "
            "FROM communes ORDER BY code"
        )).mappings().all()
        sites = connection.execute(text(
            "SELECT id, ST_X(geog::geometry) AS lon, ST_Y(geog::geometry) AS lat "
            "FROM mission_sites WHERE status = 'served' ORDER BY id"
        )).mappings().all()
    engine.dispose()
    geod = Geod(ellps="WGS84")
    site_lons = [s["lon"] for s in sites]
    site_lats = [s["lat"] for s in sites]
    out = {}
    for commune in communes:
        _, _, metres = geod.inv([commune["lon"]] * len(sites), [commune["lat"]] * len(sites), site_lons, site_lats)
        ranked = sorted(zip(metres, (s["id"] for s in sites), strict=True))
        out[commune["code"]] = dict(commune) | {"nearest": [(site_id, m) for m, site_id in ranked]}
    return out


@pytest.fixture(scope="module")
def coverage_body(app):
    response = app.test_client().get("/coverage?farthest=10")
    assert response.status_code == 200
    return response.get_json()


def _expected_area(rows: list[dict]) -> dict:
    distances = np.array([r["nearest"][0][1] for r in rows])
    population = np.array([r["population"] or 0 for r in rows], dtype=float)
    order = np.argsort(distances, kind="stable")
    cumulative = np.cumsum(population[order])
    median = distances[order][np.searchsorted(cumulative, cumulative[-1] / 2)]
    return {
        "communes": len(rows),
        "population": int(population.sum()),
        "weighted_mean_distance_m": float(np.average(distances, weights=population)),
        "weighted_median_distance_m": float(median),
        "mean_distance_m": float(distances.mean()),
        "max_distance_m": float(distances.max()),
        "beyond": [
            (int((distances > km * 1000).sum()), float((distances > km * 1000).mean()),
             float(population[distances > km * 1000].sum() / population.sum()))
            for km in THRESHOLDS_KM
        ],
    }


def _assert_area(actual: dict, rows: list[dict]) -> None:
    expected = _expected_area(rows)
    assert actual["communes"] == expected["communes"]
    assert actual["population"] == expected["population"]
    for key in ("weighted_mean_distance_m", "weighted_median_distance_m", "mean_distance_m", "max_distance_m"):
        assert actual[key] == pytest.approx(expected[key], abs=ROUNDING_M), (actual["code"], key)
    for beyond, (communes, communes_share, population_share) in zip(actual["beyond"], expected["beyond"], strict=True):
        assert beyond["communes"] == communes
        assert beyond["communes_share"] == pytest.approx(communes_share, abs=1e-6)
        assert beyond["population_share"] == pytest.approx(population_share, abs=1e-6)


def test_region_indicators_match_pyproj(coverage_body, reference):
    region = coverage_body["region"]
    assert (region["code"], region["nom"]) == ("32", "Hauts-de-France")
    assert region["communes"] == 3782
    assert [b["km"] for b in region["beyond"]] == list(THRESHOLDS_KM)
    _assert_area(region, list(reference.values()))


def test_each_departement_matches_pyproj(coverage_body, reference):
    departements = coverage_body["departements"]
    assert [d["code"] for d in departements] == ["02", "59", "60", "62", "80"]
    assert departements[1]["nom"] == "Nord"
    for departement in departements:
        _assert_area(departement, [r for r in reference.values() if r["departement"] == departement["code"]])


def test_each_epci_matches_pyproj(coverage_body, reference):
    epcis = coverage_body["epci"]
    assert len(epcis) == 92
    assert {e["type"] for e in epcis} <= {"CC", "CA", "CU", "METRO"}
    for epci in epcis:
        _assert_area(epci, [r for r in reference.values() if r["epci"] == epci["code"]])


def test_farthest_communes_are_the_farthest(coverage_body, reference):
    expected = sorted(reference.values(), key=lambda r: (-r["nearest"][0][1], r["code"]))[:10]
    farthest = coverage_body["region"]["farthest"]
    assert [c["code"] for c in farthest] == [r["code"] for r in expected]
    assert farthest[0]["distance_m"] == pytest.approx(expected[0]["nearest"][0][1], abs=ROUNDING_M)
    assert farthest[0]["distance_m"] > 40_000  # Saint-Valery (60), at the Normandy border
    oise = next(d for d in coverage_body["departements"] if d["code"] == "60")
    assert all(c["departement"] == "60" for c in oise["farthest"])


def test_every_commune_has_the_three_nearest_of_the_brute_force(client, reference):
    communes = client.get("/coverage/communes").get_json()["communes"]
    assert len(communes) == 3782
    for commune in communes:
        expected = reference[commune["code"]]["nearest"][:3]
        assert [n["id"] for n in commune["nearest"]] == [site_id for site_id, _ in expected], commune["code"]
        for got, (_, metres) in zip(commune["nearest"], expected, strict=True):
            assert got["distance_m"] == pytest.approx(metres, abs=ROUNDING_M)
        assert commune["site_id"] == expected[0][0]
        assert commune["distance_m"] == commune["nearest"][0]["distance_m"]


def test_sites_share_out_every_commune_and_person(coverage_body, reference):
    sites = coverage_body["sites"]
    served = [site_id for site_id, _ in next(iter(reference.values()))["nearest"]]  # every served site, ranked
    assert sorted(s["id"] for s in sites) == sorted(served) and len(sites) == 53
    assert sum(s["communes"] for s in sites) == 3782
    assert sum(s["population"] for s in sites) == coverage_body["region"]["population"]
    for site in sites:
        served = [r for r in reference.values() if r["nearest"][0][0] == site["id"]]
        assert site["communes"] == len(served), site["id"]
        if served:
            assert site["max_distance_m"] == pytest.approx(max(r["nearest"][0][1] for r in served), abs=ROUNDING_M)


def test_missions_locales_group_sites_by_the_unions_code(coverage_body, sql):
    stored = sql("SELECT code, name FROM missions_locales ORDER BY code")
    assert [(m["code"], m["name"]) for m in coverage_body["missions_locales"]] == [
        (r["code"], r["name"]) for r in stored]
    missions = {m["code"]: m for m in coverage_body["missions_locales"]}
    assert len(missions) == 42
    site_ml = {r["id"]: r for r in sql(
        "SELECT s.id, s.mission_locale, m.name FROM mission_sites s "
        "JOIN missions_locales m ON m.code = s.mission_locale WHERE s.status = 'served'"
    )}
    for mission in missions.values():
        assert mission["sites"] == sorted(i for i, r in site_ml.items() if r["mission_locale"] == mission["code"])
    # Marly: the Valenciennois' 2026 head office and the five reception points of the 2015 directory
    assert len(missions["59383"]["sites"]) == 6 and missions["59383"]["name"] == "Mission locale de Marly"
    assert missions["59350"]["sites"] == ["mission_locale-59350-01", "mission_locale-59350-02"]
    by_site = {s["id"]: s for s in coverage_body["sites"]}
    for site in by_site.values():
        assert (site["mission_locale"], site["mission_locale_name"]) == (
            site_ml[site["id"]]["mission_locale"], site_ml[site["id"]]["name"])
    for mission in missions.values():
        assert mission["communes"] == sum(by_site[site]["communes"] for site in mission["sites"])
        assert mission["population"] == sum(by_site[site]["population"] for site in mission["sites"])
    assert sum(m["communes"] for m in missions.values()) == 3782
    assert sorted(site for m in missions.values() for site in m["sites"]) == sorted(by_site)
    zones = {r["mission_locale"]: r for r in sql(
        "SELECT z.mission_locale, count(*) AS n, sum(c.population) AS p FROM zones z "
        "JOIN communes c ON c.code = z.insee GROUP BY z.mission_locale"
    )}
    for mission in missions.values():
        assert (mission["zone_communes"], mission["zone_population"]) == (
            zones[mission["code"]]["n"], zones[mission["code"]]["p"])


@pytest.mark.parametrize(("query", "new"), [
    ("format=csv&table=structures", "table: 'structures' was renamed: use 'missions_locales'"),
])
def test_the_former_structure_names_say_the_new_ones(client, query, new):
    response = client.get(f"/coverage?{query}")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_parameter"
    assert new in response.get_json()["message"]


def test_custom_thresholds_are_sorted_and_deduplicated(client):
    body = client.get("/coverage?thresholds_km=20,3,3,7.5&farthest=0").get_json()
    assert body["thresholds_km"] == [3, 7.5, 20]
    assert [b["km"] for b in body["region"]["beyond"]] == [3, 7.5, 20]
    assert body["region"]["farthest"] == []
    shares = [b["population_share"] for b in body["region"]["beyond"]]
    assert shares == sorted(shares, reverse=True)


@pytest.mark.parametrize("query", [
    "thresholds_km=0", "thresholds_km=-5", "thresholds_km=abc", "thresholds_km=201",
    "thresholds_km=" + ",".join(["5"] * 11), "farthest=51", "format=xml", "table=nope",
])
def test_bad_coverage_parameters_are_400(client, query):
    response = client.get(f"/coverage?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_parameter"
    assert query.split("=")[0] in body["message"]


def test_every_answer_says_its_data_vintage_and_method(client):
    for url in ("/coverage", "/coverage/communes?departement=80", "/coverage/quality", "/coverage/assignment"):
        body = client.get(url).get_json()
        assert "COG 2026" in body["data"]["communes"]["vintage"], url
        assert "2014" in body["data"]["missions"]["vintage"], url
    body = client.get("/coverage").get_json()
    assert "geodesic" in body["method"] and "metres" in body["method"]
    assert "lower weighted median" in body["definitions"]["weighted_median_distance_m"]


def test_coverage_csv_tables(client, coverage_body):
    response = client.get("/coverage?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1 + 5 + 92
    assert rows[0]["level"] == "region"
    assert float(rows[0]["weighted_mean_distance_m"]) == coverage_body["region"]["weighted_mean_distance_m"]
    assert float(rows[0]["population_beyond_10km_share"]) == coverage_body["region"]["beyond"][1]["population_share"]
    data = json.loads(response.headers["X-Geosvc-Data"])
    assert "COG 2026" in data["communes"]["vintage"]
    assert "geodesic" in json.loads(response.headers["X-Geosvc-Method"])
    sites = list(csv.DictReader(io.StringIO(client.get("/coverage?format=csv&table=sites").get_data(as_text=True))))
    assert len(sites) == 53
    assert {s["mission_locale"] for s in sites} == {m["code"] for m in coverage_body["missions_locales"]}
    text = client.get("/coverage?format=csv&table=missions_locales").get_data(as_text=True)
    missions = {row["code"]: row for row in csv.DictReader(io.StringIO(text))}
    assert len(missions) == 42
    assert missions["59350"]["sites"] == "mission_locale-59350-01 mission_locale-59350-02"
    assert missions["59350"]["name"] == "Mission locale de Lille"


def test_communes_filters_and_csv(client):
    somme = client.get("/coverage/communes?departement=80").get_json()
    assert somme["count"] == 771 and all(c["departement"] == "80" for c in somme["communes"])
    far = client.get("/coverage/communes?beyond_km=30&order=distance").get_json()["communes"]
    distances = [c["distance_m"] for c in far]
    assert far and min(distances) > 30_000 and distances == sorted(distances, reverse=True)
    epci = client.get("/coverage/communes?epci=200093201").get_json()["communes"]
    assert epci and {c["epci"] for c in epci} == {"200093201"}
    text = client.get("/coverage/communes?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3782
    assert rows[0]["second_site_id"] and rows[0]["third_distance_m"]
    assert client.get("/coverage/communes?departement=999").status_code == 400


def test_communes_geojson_is_a_choropleth(client):
    response = client.get("/coverage/communes?format=geojson&departement=02")
    assert response.mimetype == "application/geo+json"
    collection = json.loads(response.get_data(as_text=True))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 797
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert {"code", "nom", "population", "site_id", "site_name", "distance_m"} <= set(feature["properties"])
    assert "COG 2026" in collection["data"]["communes"]["vintage"]


def test_quality_report_on_the_real_data(client, sql):
    body = client.get("/coverage/quality").get_json()
    assert body["counts"] == {
        "communes_without_population": 0, "communes_without_postcode": 0, "approximate_sites": 21,
        "not_served_sites": 63, "sites_outside_commune": 0, "duplicate_sites": 1,
    }
    placed = sql("SELECT id FROM mission_sites WHERE location_precision = 'commune' ORDER BY id")
    assert [s["id"] for s in body["approximate_sites"]] == [r["id"] for r in placed]
    assert {s["id"] for s in body["approximate_sites"]} >= {"ml-59512-x1-roubaix", "unml-2026-02168"}
    superseded = {r["id"]: r["superseded_by"] for r in sql(
        "SELECT id, superseded_by FROM mission_sites WHERE status = 'superseded'")}
    assert {s["id"]: s["superseded_by"] for s in body["not_served_sites"]} == superseded
    assert superseded["mission_locale-02168-01"] == "unml-2026-02168"  # the 2026 head office replaces 2017's
    # the Valenciennois antenne recorded in 2015 at the address the union gives for Marly's head office in 2026
    [duplicate] = body["duplicate_sites"]
    assert (duplicate["id"], duplicate["other_id"], duplicate["distance_m"]) == (
        "ml-59606-x1-valenciennes", "unml-2026-59383", 0)


def test_openapi_documents_the_coverage_api(client):
    spec = client.get("/openapi.json").get_json()
    assert {"/coverage", "/coverage/communes", "/coverage/catchments", "/coverage/scenarios",
            "/coverage/quality", "/coverage/assignment"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"ScenarioIn", "ScenarioOut", "IndicatorsOut"} <= set(schemas)
    assert "/analyse" not in spec["paths"] and not any(p.startswith("/vendor") for p in spec["paths"])


def test_benchmark_finds_the_brute_force_identical(api_url):
    import psycopg
    from psycopg.rows import dict_row

    from geosvc.db.pool import libpq_url
    from geosvc_tools.coverage_bench import run

    with psycopg.connect(libpq_url(api_url)) as connection, connection.cursor(row_factory=dict_row) as cursor:
        lines = run(cursor, runs=1)
    assert lines[0].startswith("communes 3782, served sites 53")
    assert "identical answers: yes (3782/3782 same nearest site" in lines[-1]
