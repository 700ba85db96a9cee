"""Coverage by the official zones (issue 14): every zone figure of the API, recomputed by brute force.

The reference shares no code with geosvc: it reads the communes' reference points, the served
sites and the union's zones with plain SQL, measures every commune to every site with pyproj.Geod
(GeographicLib), takes each commune's nearest site of its own mission locale (several zones: the
nearest of them; ties to the lower id) and aggregates with numpy. Each API figure is compared with
it: per commune, per area (region, department, EPCI), per zone, the zone x catchment cross-table,
the mismatches, and a what-if's changes in the distance to one's own mission locale.
"""

from __future__ import annotations

import collections
import csv
import io
import json

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import shape

from tests.conftest import settings_for

ROUNDING_M = 0.06  # the API gives decimetres
GEOD = Geod(ellps="WGS84")
THRESHOLDS_KM = (5, 10, 15, 20)
FARTHEST = 10


# --- the brute force ------------------------------------------------------------------------

def read_data(url: str) -> dict:
    """Communes (reference point, population, areas), served sites and zones, read with plain SQL."""
    from sqlalchemy import text

    from geosvc.db.pool import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        def rows(statement: str):
            return [dict(r) for r in connection.execute(text(statement)).mappings().all()]

        data = {
            "communes": rows("SELECT code, nom, departement, epci, population, ST_X(point::geometry) AS lon, "
                             "ST_Y(point::geometry) AS lat FROM communes ORDER BY code"),
            "sites": rows("SELECT id, mission_locale, ST_X(geog::geometry) AS lon, ST_Y(geog::geometry) AS lat "
                          "FROM mission_sites WHERE status = 'served' ORDER BY id"),
            "zones": rows("SELECT insee, mission_locale FROM zones"),
            "missions": rows("SELECT code FROM missions_locales ORDER BY code"),
        }
    engine.dispose()
    return data


def brute_force(data: dict, extra_sites: list[dict] = (), closed: set[str] = frozenset()) -> dict:
    """{code: commune + nearest (m, id, ml), own {ml: (m, id) | None}, own_nearest (m, id, ml) | None}."""
    sites = [s for s in data["sites"] if s["id"] not in closed] + list(extra_sites)
    communes = data["communes"]
    count = len(sites)
    _, _, metres = GEOD.inv(
        np.repeat([c["lon"] for c in communes], count), np.repeat([c["lat"] for c in communes], count),
        np.tile([s["lon"] for s in sites], len(communes)), np.tile([s["lat"] for s in sites], len(communes)),
    )
    metres = metres.reshape(len(communes), count)
    zones = collections.defaultdict(set)
    for row in data["zones"]:
        zones[row["insee"]].add(row["mission_locale"])
    out = {}
    for row, commune in zip(metres, communes, strict=True):
        ranked = sorted(zip(row.tolist(), (s["id"] for s in sites), (s["mission_locale"] for s in sites),
                            strict=True))
        own = {}
        for ml in zones.get(commune["code"], ()):
            candidates = [(m, i) for m, i, site_ml in ranked if site_ml == ml]
            own[ml] = candidates[0] if candidates else None
        measured = [(m, i, ml) for ml, best in own.items() if best for m, i in [best]]
        out[commune["code"]] = commune | {
            "nearest": ranked[0], "own": own, "own_nearest": min(measured) if measured else None,
            "other": bool(own) and ranked[0][2] not in own,
        }
    return out


def expected_figures(pairs: list[tuple[float, int | None, str]]) -> dict:
    """(distance, population, code) -> the figures, with numpy; shares of these communes."""
    if not pairs:
        return {"weighted_mean_distance_m": None, "weighted_median_distance_m": None, "mean_distance_m": None,
                "max_distance_m": None, "beyond": [(0, None, 0, None) for _ in THRESHOLDS_KM], "farthest": []}
    distances = np.array([d for d, _, _ in pairs])
    population = np.array([p or 0 for _, p, _ in pairs], dtype=float)
    order = np.argsort(distances, kind="stable")
    cumulative = np.cumsum(population[order])
    total = population.sum()
    median = distances[order][np.searchsorted(cumulative, total / 2)] if total else None
    return {
        "weighted_mean_distance_m": float(np.average(distances, weights=population)) if total else None,
        "weighted_median_distance_m": None if median is None else float(median),
        "mean_distance_m": float(distances.mean()),
        "max_distance_m": float(distances.max()),
        "beyond": [
            (int((distances > km * 1000).sum()), float((distances > km * 1000).mean()),
             int(population[distances > km * 1000].sum()),
             float(population[distances > km * 1000].sum() / total) if total else None)
            for km in THRESHOLDS_KM
        ],
        "farthest": [code for _, _, code in sorted(pairs, key=lambda t: (-t[0], t[2]))[:FARTHEST]],
    }


def assert_figures(actual: dict, pairs: list, where) -> None:
    expected = expected_figures(pairs)
    for key in ("weighted_mean_distance_m", "weighted_median_distance_m", "mean_distance_m", "max_distance_m"):
        if expected[key] is None:
            assert actual[key] is None, (where, key)
        else:
            assert actual[key] == pytest.approx(expected[key], abs=ROUNDING_M), (where, key)
    assert [b["km"] for b in actual["beyond"]] == list(THRESHOLDS_KM)
    for beyond, (communes, communes_share, population, population_share) in zip(
            actual["beyond"], expected["beyond"], strict=True):
        assert (beyond["communes"], beyond["population"]) == (communes, population), (where, beyond["km"])
        assert beyond["communes_share"] == pytest.approx(communes_share, abs=1e-6)
        assert beyond["population_share"] == pytest.approx(population_share, abs=1e-6)
    assert [c["code"] for c in actual["farthest"]] == expected["farthest"], where


def population(rows) -> int:
    return sum(r["population"] or 0 for r in rows)


@pytest.fixture(scope="module")
def data(api_url):
    return read_data(api_url)


@pytest.fixture(scope="module")
def reference(data):
    return brute_force(data)


@pytest.fixture(scope="module")
def body(app):
    response = app.test_client().get(f"/coverage?farthest={FARTHEST}")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture(scope="module")
def assignment(app):
    return app.test_client().get("/coverage/assignment").get_json()


# --- per commune ------------------------------------------------------------------------------

def test_every_communes_own_distance_matches_pyproj(client, reference):
    communes = client.get("/coverage/communes").get_json()["communes"]
    assert len(communes) == len(reference) == 3782
    for commune in communes:
        expected = reference[commune["code"]]
        own = commune["own"]
        metres, site_id, ml = expected["own_nearest"]
        assert (own["site_id"], own["mission_locale"]) == (site_id, ml), commune["code"]
        assert own["distance_m"] == pytest.approx(metres, abs=ROUNDING_M), commune["code"]
        assert own["nearest_is_own"] is (not expected["other"])
        assert own["distance_m"] >= commune["distance_m"]  # the nearest of any is never farther
    rows = list(csv.DictReader(io.StringIO(client.get("/coverage/communes?format=csv").get_data(as_text=True))))
    assert {r["code"]: float(r["own_distance_m"]) for r in rows} == {c["code"]: c["own"]["distance_m"]
                                                                      for c in communes}


def test_the_worked_question_oise_sud_beyond_20_km(client, data, reference):
    """docs/COVERAGE.md: which communes of the Oise Sud zone are more than 20 km from their own mission locale?"""
    oise_sud = next(m for m in client.get("/missions-locales").get_json()["missions_locales"]
                    if m["name"] == "Mission locale d'Oise Sud")
    answer = client.get(f"/coverage/communes?zone={oise_sud['code']}&own_beyond_km=20&order=own_distance")
    communes = answer.get_json()["communes"]
    zone = {z["insee"] for z in data["zones"] if z["mission_locale"] == oise_sud["code"]}
    expected = sorted((r for code, r in reference.items() if code in zone and r["own_nearest"][0] > 20_000),
                      key=lambda r: (-r["own_nearest"][0], r["code"]))
    assert [c["code"] for c in communes] == [r["code"] for r in expected] and len(expected) > 10
    geojson = json.loads(client.get(f"/coverage/communes?zone={oise_sud['code']}&own_beyond_km=20&format=geojson")
                         .get_data(as_text=True))
    assert {f["properties"]["code"] for f in geojson["features"]} == {r["code"] for r in expected}
    assert all(f["properties"]["own_distance_m"] > 20_000 for f in geojson["features"])
    missing = client.get("/coverage/communes?zone=99999")
    assert missing.status_code == 404 and missing.get_json()["code"] == "mission_locale_not_found"


# --- per area: region, departments, EPCI -------------------------------------------------------

def own_pairs(rows) -> list:
    return [(r["own_nearest"][0], r["population"], r["code"]) for r in rows if r["own_nearest"]]


def test_region_departement_and_epci_own_figures_match_pyproj(body, reference):
    assert body["own_mission_locale"]["available"] is True and body["own_mission_locale"]["reason"] is None
    assert "January 2026" in body["own_mission_locale"]["dataset"]["vintage"]
    areas = [(body["region"], list(reference.values()))]
    areas += [(d, [r for r in reference.values() if r["departement"] == d["code"]]) for d in body["departements"]]
    areas += [(e, [r for r in reference.values() if r["epci"] == e["code"]]) for e in body["epci"]]
    assert len(areas) == 1 + 5 + 92
    for area, rows in areas:
        own = area["own"]
        measured = [r for r in rows if r["own_nearest"]]
        assert own["communes"] == len(measured) == len(rows), area["code"]  # every commune has a zone and a site
        assert own["population"] == population(measured)
        assert (own["communes_without_zone"], own["communes_own_without_site"]) == (0, 0)
        assert_figures(own, own_pairs(rows), area["code"])
        others = [r for r in rows if r["other"]]
        assert own["communes_nearest_other"] == len(others)
        assert own["population_nearest_other"] == population(others)
        assert own["population_nearest_other_share"] == pytest.approx(population(others) / population(rows), abs=1e-6)
        for brief in own["farthest"]:
            expected = reference[brief["code"]]
            assert (brief["site_id"], brief["mission_locale"]) == expected["own_nearest"][1:]
            assert brief["distance_m"] == pytest.approx(expected["own_nearest"][0], abs=ROUNDING_M)
            assert brief["nearest_site_id"] == expected["nearest"][1]
    region = body["region"]
    # the own distance is never shorter: the weighted mean and the share beyond 20 km both grow
    assert region["own"]["weighted_mean_distance_m"] > region["weighted_mean_distance_m"]
    assert region["own"]["beyond"][-1]["population_share"] > region["beyond"][-1]["population_share"]


# --- per zone ------------------------------------------------------------------------------------

def test_every_zone_matches_pyproj(body, data, reference, sql):
    zones = {z["code"]: z for z in body["zones"]}
    assert sorted(zones) == [m["code"] for m in data["missions"]] and len(zones) == 42
    members = collections.defaultdict(list)
    for row in data["zones"]:
        members[row["mission_locale"]].append(reference[row["insee"]])
    geometries = {r["code"]: r["geometry"] for r in sql("SELECT code, ST_AsGeoJSON(geom) AS geometry FROM communes")}
    for code, zone in zones.items():
        rows = members[code]
        assert (zone["communes"], zone["population"]) == (len(rows), population(rows)), code
        # the zone's area: the geodesic area of its communes' polygons (GeographicLib)
        area = sum(abs(GEOD.geometry_area_perimeter(shape(json.loads(geometries[r["code"]])))[0]) for r in rows)
        assert zone["area_km2"] == pytest.approx(area / 1e6, abs=0.006), code
        assert zone["sites"] == sorted(s["id"] for s in data["sites"] if s["mission_locale"] == code)
        pairs = [(r["own"][code][0], r["population"], r["code"]) for r in rows]
        assert zone["communes_without_own_site"] == 0
        assert_figures(zone, pairs, code)
        nearest = np.average([r["nearest"][0] for r in rows], weights=[r["population"] for r in rows])
        assert zone["nearest_weighted_mean_distance_m"] == pytest.approx(nearest, abs=ROUNDING_M)
        served = collections.defaultdict(list)
        for r in rows:
            served[r["own"][code][1]].append(r)
        shares = {s["id"]: s for s in zone["own_sites"]}
        assert set(shares) == set(zone["sites"])
        for site_id, share in shares.items():
            assert (share["communes"], share["population"]) == (len(served[site_id]), population(served[site_id]))
        main = min(served, key=lambda i: (-population(served[i]), -len(served[i]), i))
        assert zone["main_site"]["id"] == main, code
        assert zone["main_site"]["population_share"] == pytest.approx(population(served[main]) / population(rows),
                                                                      abs=1e-6)
        others = [r for r in rows if r["other"]]
        assert (zone["communes_nearest_other"], zone["population_nearest_other"]) == (len(others), population(others))
    # a zone's area against the dissolved outline GET /missions-locales/{code}/zone measures
    noyon = zones["60471"]
    assert noyon["name"] == "Mission locale de Noyon" and len(noyon["sites"]) == 2


def test_zone_areas_agree_with_the_dissolved_zone(client, body):
    for zone in body["zones"][:6]:
        outline = json.loads(client.get(f"/missions-locales/{zone['code']}/zone").get_data(as_text=True))
        assert zone["area_km2"] == pytest.approx(outline["properties"]["area_km2"], rel=1e-4), zone["code"]


def test_longest_zones_and_csv(client, body):
    text = client.get("/coverage?format=csv&table=zones").get_data(as_text=True)
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert len(rows) == 42
    for zone in body["zones"]:
        row = rows[zone["code"]]
        assert float(row["weighted_mean_distance_m"]) == zone["weighted_mean_distance_m"]
        assert float(row["area_km2"]) == zone["area_km2"]
        assert row["main_site_id"] == zone["main_site"]["id"]
        assert float(row["population_beyond_20km_share"]) == zone["beyond"][-1]["population_share"]
    areas = list(csv.DictReader(io.StringIO(client.get("/coverage?format=csv").get_data(as_text=True))))
    assert float(areas[0]["own_weighted_mean_distance_m"]) == body["region"]["own"]["weighted_mean_distance_m"]


# --- zones against catchments --------------------------------------------------------------------

def test_cross_table_and_mismatches_match_pyproj(client, assignment, reference):
    cells = collections.defaultdict(list)
    for r in reference.values():
        for ml in r["own"]:
            cells[(ml, r["nearest"][2])].append(r)
    table = {(c["mission_locale"], c["nearest_mission_locale"]): c for c in assignment["cross_table"]}
    assert set(table) == set(cells)
    for key, rows in cells.items():
        assert (table[key]["communes"], table[key]["population"]) == (len(rows), population(rows)), key
        assert table[key]["same"] is (key[0] == key[1])
    assert sum(c["communes"] for c in table.values() if c["same"]) == assignment["communes_nearest_own"]
    assert sum(c["communes"] for c in table.values() if not c["same"]) == assignment["communes_nearest_other"] == 932
    for mission in assignment["missions_locales"]:
        lost = collections.defaultdict(list)
        for r in reference.values():
            if mission["code"] in r["own"] and r["other"]:
                lost[r["nearest"][2]].append(r)
        assert {o["code"]: (o["communes"], o["population"]) for o in mission["nearest_other"]} == {
            ml: (len(rows), population(rows)) for ml, rows in lost.items()}, mission["code"]
        pops = [o["population"] for o in mission["nearest_other"]]
        assert pops == sorted(pops, reverse=True)
    rows = list(csv.DictReader(io.StringIO(
        client.get("/coverage/assignment?format=csv&table=cross").get_data(as_text=True))))
    assert [(r["mission_locale"], r["nearest_mission_locale"], int(r["communes"])) for r in rows] == [
        (c["mission_locale"], c["nearest_mission_locale"], c["communes"]) for c in assignment["cross_table"]]


def test_mismatch_layer_is_the_mismatches_polygons(client, assignment, reference):
    response = client.get("/coverage/assignment?format=geojson")
    assert response.mimetype == "application/geo+json"
    layer = json.loads(response.get_data(as_text=True))
    assert layer["type"] == "FeatureCollection" and layer["available"] is True
    assert "COG 2026" in layer["data"]["communes"]["vintage"]
    features = {f["properties"]["code"]: f for f in layer["features"]}
    assert set(features) == {code for code, r in reference.items() if r["other"]}
    for code, feature in features.items():
        expected = reference[code]
        properties = feature["properties"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert properties["mission_locale"] in expected["own"]
        assert properties["nearest_mission_locale"] == expected["nearest"][2]
        assert properties["own_distance_m"] == pytest.approx(expected["own_nearest"][0], abs=ROUNDING_M)
        assert properties["nearest_distance_m"] == pytest.approx(expected["nearest"][0], abs=ROUNDING_M)


# --- what-if: the distance to one's own mission locale ----------------------------------------------

@pytest.fixture(scope="module")
def montdidier(app):
    """The example of docs/COVERAGE.md: an antenne of Noyon's mission locale at Montdidier's reference point."""
    client = app.test_client()
    noyon = next(m for m in client.get("/missions-locales").get_json()["missions_locales"]
                 if m["name"] == "Mission locale de Noyon")
    point = client.get("/communes/80561").get_json()["point"]  # Montdidier (80), in Noyon's zone
    site = {"name": "Antenne de Montdidier", "lon": point["lon"], "lat": point["lat"], "mission_locale": noyon["code"]}
    response = client.post("/coverage/scenarios", json={"add": [site]})
    assert response.status_code == 200, response.get_json()
    return response.get_json(), {"id": "new-1", "mission_locale": noyon["code"], **point}


def test_an_antenne_of_noyon_in_montdidier(montdidier, data, reference):
    result, new_site = montdidier
    after = brute_force(data, extra_sites=[new_site])
    changed = {c["code"]: c for c in result["communes_own_changed"]}
    expected = {code for code, r in after.items() if r["own_nearest"] != reference[code]["own_nearest"]}
    assert set(changed) == expected and "80561" in expected
    assert all(new_site["mission_locale"] in reference[code]["own"] for code in expected)  # Noyon's zone only
    for code, commune in changed.items():
        before_m, before_id, _ = reference[code]["own_nearest"]
        after_m, after_id, _ = after[code]["own_nearest"]
        assert (commune["current"]["site_id"], commune["scenario"]["site_id"]) == (before_id, after_id)
        assert commune["scenario"]["distance_m"] == pytest.approx(after_m, abs=ROUNDING_M)
        assert commune["delta_m"] == pytest.approx(after_m - before_m, abs=2 * ROUNDING_M)
    montdidier_itself = changed["80561"]
    assert montdidier_itself["scenario"]["distance_m"] == 0  # the antenne stands at its reference point
    deltas = result["deltas"]
    areas = [(deltas["region"], lambda r: True)]
    areas += [(d, lambda r, c=d["code"]: r["departement"] == c) for d in deltas["departements"]]
    for area, member in areas:
        for state, rows in (("current", reference), ("scenario", after)):
            pairs = own_pairs([r for r in rows.values() if member(r)])
            expected_area = expected_figures(pairs)
            own = area["own"]
            assert own["weighted_mean_distance_m"][state] == pytest.approx(
                expected_area["weighted_mean_distance_m"], abs=ROUNDING_M), (area["code"], state)
            assert own["weighted_median_distance_m"][state] == pytest.approx(
                expected_area["weighted_median_distance_m"], abs=ROUNDING_M)
            for beyond, (_, _, people, _) in zip(own["beyond"], expected_area["beyond"], strict=True):
                assert beyond["population"][state] == people, (area["code"], state, beyond["km"])
            others = [r for r in rows.values() if member(r) and r["other"]]
            assert own["communes_nearest_other"][state] == len(others)
    zones = {z["code"]: z for z in deltas["zones"]}
    noyon = zones[new_site["mission_locale"]]
    assert noyon["sites"]["scenario"] == sorted([*noyon["sites"]["current"], "new-1"])
    for state, rows in (("current", reference), ("scenario", after)):
        zone_rows = [r for r in rows.values() if new_site["mission_locale"] in r["own"]]
        expected_zone = expected_figures([(r["own"][new_site["mission_locale"]][0], r["population"], r["code"])
                                          for r in zone_rows])
        assert noyon["weighted_mean_distance_m"][state] == pytest.approx(
            expected_zone["weighted_mean_distance_m"], abs=ROUNDING_M), state
        assert noyon["max_distance_m"][state] == pytest.approx(expected_zone["max_distance_m"], abs=ROUNDING_M)
    assert noyon["weighted_mean_distance_m"]["delta"] < 0
    # the zones listed are those where something changed: an own distance, or a commune's nearest site
    def moved(code: str, r: dict) -> bool:
        then = after[r["code"]]
        return then["own"][code] != r["own"][code] or then["nearest"] != r["nearest"]

    members = collections.defaultdict(list)
    for r in reference.values():
        for code in r["own"]:
            members[code].append(r)
    assert set(zones) == {code for code, rows in members.items() if any(moved(code, r) for r in rows)}


def test_closing_a_site_moves_its_communes_to_their_other_own_site(client, data, reference):
    result = client.post("/coverage/scenarios", json={"close": ["mission_locale-80685-01"]}).get_json()  # Roye
    after = brute_force(data, closed={"mission_locale-80685-01"})
    changed = {c["code"]: c for c in result["communes_own_changed"]}
    assert set(changed) == {code for code, r in after.items() if r["own_nearest"] != reference[code]["own_nearest"]}
    assert {c["scenario"]["site_id"] for c in changed.values()} == {"mission_locale-60471-01"}  # Noyon itself
    for code, commune in changed.items():
        assert commune["delta_m"] == pytest.approx(after[code]["own_nearest"][0] - reference[code]["own_nearest"][0],
                                                   abs=2 * ROUNDING_M)
        assert commune["delta_m"] > 0


# --- data without zones, and zones with gaps ---------------------------------------------------------

def test_without_zones_the_own_figures_say_why(synthetic_client):
    body = synthetic_client.get("/coverage").get_json()
    assert body["own_mission_locale"]["available"] is False
    assert "no mission locale zones are loaded" in body["own_mission_locale"]["reason"]
    assert body["zones"] == [] and body["region"]["own"] is None
    assert all(area["own"] is None for area in body["departements"] + body["epci"])
    communes = synthetic_client.get("/coverage/communes").get_json()["communes"]
    assert communes and all(c["own"] is None for c in communes)
    result = synthetic_client.post("/coverage/scenarios", json={"add": [{"name": "X", "lon": 2.55, "lat": 50.05}]})
    result = result.get_json()
    assert result["deltas"]["region"]["own"] is None and result["deltas"]["zones"] == []
    assert result["communes_own_changed"] == []
    layer = json.loads(synthetic_client.get("/coverage/assignment?format=geojson").get_data(as_text=True))
    assert layer["features"] == [] and layer["available"] is False
    assert synthetic_client.get("/coverage/assignment").get_json()["cross_table"] == []


ORPHAN_ZONE = "02168"  # Château-Thierry: one served site, made unserved below
UNZONED = ("02001", "02002")  # two communes taken off every zone
DOUBLE = ("02003", "60471")  # a commune put on a second zone: Noyon's


def test_communes_without_an_own_distance_are_counted_never_invented(fresh_db, make_app):
    """Zones with gaps (a commune on none, a mission locale without a served site, a commune on two
    zones), made by rewriting the tables and ranking the sites again as the ingestion does."""
    import psycopg

    from geosvc.db import nearest, network
    from geosvc.db.pool import libpq_url

    with psycopg.connect(libpq_url(fresh_db)) as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE mission_sites SET status = 'rejected', status_reason = 'test' "
                       "WHERE mission_locale = %s AND status = 'served'", (ORPHAN_ZONE,))
        cursor.execute("DELETE FROM zones WHERE insee = ANY(%s)", (list(UNZONED),))
        cursor.execute("INSERT INTO zones (insee, mission_locale) VALUES (%s, %s)", DOUBLE)
        cursor.execute("DELETE FROM commune_own_sites")
        cursor.execute("DELETE FROM commune_nearest")
        network.precompute_own_sites(cursor)
        nearest.precompute(cursor)
    data = read_data(fresh_db)
    reference = brute_force(data)
    client = make_app(settings_for(fresh_db)).test_client()
    body = client.get(f"/coverage?farthest={FARTHEST}").get_json()
    region = body["region"]["own"]
    orphans = [r for r in reference.values() if r["own"] and r["own_nearest"] is None]
    assert orphans and all(set(r["own"]) == {ORPHAN_ZONE} for r in orphans)
    assert region["communes_without_zone"] == len(UNZONED)
    assert region["communes_own_without_site"] == len(orphans)
    assert region["communes"] == 3782 - len(UNZONED) - len(orphans)
    assert_figures(region, own_pairs(reference.values()), "region")
    aisne = next(d for d in body["departements"] if d["code"] == "02")
    assert_figures(aisne["own"], own_pairs(r for r in reference.values() if r["departement"] == "02"), "02")
    zone = next(z for z in body["zones"] if z["code"] == ORPHAN_ZONE)
    assert zone["sites"] == [] and zone["communes_without_own_site"] == zone["communes"] > 0
    assert zone["weighted_mean_distance_m"] is None and zone["main_site"] is None and zone["farthest"] == []
    # the commune on two zones: its own distance is the nearer of its two missions locales'
    communes = {c["code"]: c for c in client.get("/coverage/communes").get_json()["communes"]}
    double = reference[DOUBLE[0]]
    assert communes[DOUBLE[0]]["own"]["several"] is True
    assert communes[DOUBLE[0]]["own"]["site_id"] == double["own_nearest"][1]
    assert communes[DOUBLE[0]]["own"]["distance_m"] == pytest.approx(double["own_nearest"][0], abs=ROUNDING_M)
    assert all(communes[code]["own"] is None for code in UNZONED) and communes[orphans[0]["code"]]["own"] is None
    assignment = client.get("/coverage/assignment").get_json()
    assert assignment["communes_own_without_site"] == len(orphans)
    assert assignment["mismatches"][0]["own_distance_m"] is None  # no own office at all: listed first
    cells = {(c["mission_locale"], c["nearest_mission_locale"]): c["communes"] for c in assignment["cross_table"]}
    assert sum(cells.values()) == 3782 - len(UNZONED) + 1  # the commune on two zones counts in each


def test_the_indicators_answer_is_exactly_its_schema(client, synthetic_client, body):
    """GET /coverage is encoded without the schema's dump (for speed): the dump must change nothing,
    or a field would be missing from /openapi.json, or one documented would not be sent."""
    from geosvc.web.api.coverage_schemas import IndicatorsOut

    assert IndicatorsOut().dump(body) == body
    other = client.get("/coverage?thresholds_km=3,7.5&farthest=0").get_json()
    without_zones = synthetic_client.get("/coverage").get_json()
    for answer in (other, without_zones):
        assert IndicatorsOut().dump(answer) == answer
