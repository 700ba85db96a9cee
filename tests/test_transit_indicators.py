"""Access by TER for analysts (issue 16): GET /coverage/transit, /coverage/transit/communes and /worst,
the `transit` layer of coverage.gpkg, and the TER map layer of /analyse, on the real loaded data.

Every figure is recomputed here from plain rows of `commune_transit`, `communes`, `zones` and
`departements`, with Python sums and sorts of our own; nothing is taken from geosvc.coverage.transit.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import sqlite3

import pytest
from playwright.sync_api import expect

from geosvc.cli.coverage_commands import read_cursor
from geosvc.cli.geopackage import write_geopackage
from geosvc.web.api.coverage_schemas import TerAccessCommunesOut, TerAccessOut
from tests.browser_support import watch
from tests.conftest import settings_for
from tests.test_coverage_page import french, layer_control

TARGETS, MODES = ("own", "nearest"), ("walk", "bike")
THRESHOLDS = (30, 60, 90)


# --- the independent computation -----------------------------------------------------------------

@pytest.fixture(scope="module")
def rows(api_url):
    import psycopg
    from psycopg.rows import dict_row

    from geosvc.db.pool import libpq_url

    with psycopg.connect(libpq_url(api_url), row_factory=dict_row) as connection:
        def read(statement: str) -> list[dict]:
            return connection.execute(statement).fetchall()

        return {
            "communes": read("SELECT c.code, c.nom, c.departement, c.epci, c.population, d.region "
                             "FROM communes c JOIN departements d ON d.code = c.departement"),
            "zones": read("SELECT insee, mission_locale FROM zones"),
            "transit": read("SELECT code, target, mode, minutes FROM commune_transit"),
            "run": read("SELECT service_date, attribution FROM transit_run")[0],
        }


def expected_areas(rows: dict, thresholds=THRESHOLDS) -> dict[tuple[str, str], dict]:
    """{(level, code): {communes, population, (target, mode): {within: {min: (c, p)}, no_trip, without}}}."""
    times = {(r["code"], r["target"], r["mode"]): r["minutes"] for r in rows["transit"]}
    zones = collections.defaultdict(list)
    for z in rows["zones"]:
        zones[z["insee"]].append(z["mission_locale"])
    regions = {c["region"] for c in rows["communes"]}
    region = regions.pop() if len(regions) == 1 else "all"
    areas: dict = {}
    for commune in rows["communes"]:
        keys = [("region", region), ("departement", commune["departement"])]
        keys += [("epci", commune["epci"])] if commune["epci"] else []
        keys += [("zone", code) for code in zones[commune["code"]]]
        people = commune["population"] or 0
        for key in keys:
            area = areas.setdefault(key, {"communes": 0, "population": 0})
            area["communes"] += 1
            area["population"] += people
            for target in TARGETS:
                for mode in MODES:
                    figures = area.setdefault((target, mode), {
                        "within": {m: [0, 0] for m in thresholds}, "no_trip": [0, 0], "without": [0, 0]})
                    key3 = (commune["code"], target, mode)
                    if key3 not in times:
                        bucket = figures["without"]
                    elif times[key3] is None:
                        bucket = figures["no_trip"]
                    else:
                        for m in thresholds:
                            if times[key3] <= m:
                                figures["within"][m][0] += 1
                                figures["within"][m][1] += people
                        continue
                    bucket[0] += 1
                    bucket[1] += people
    return areas


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


@pytest.fixture(scope="module")
def indicators(app) -> dict:
    response = app.test_client().get("/coverage/transit")
    assert response.status_code == 200
    return response.get_json()


# --- indicators --------------------------------------------------------------------------------

def test_every_area_figure_is_the_independent_count(indicators, rows):
    expected = expected_areas(rows)
    answered = {(a["level"], a["code"]): a for a in indicators["areas"]}
    assert set(answered) == set(expected)
    assert collections.Counter(level for level, _ in answered) == {"region": 1, "departement": 5, "epci": 92,
                                                                   "zone": 42}
    for key, area in answered.items():
        mine = expected[key]
        assert (area["communes"], area["population"]) == (mine["communes"], mine["population"]), key
        for target in TARGETS:
            for mode in MODES:
                figures, counted = area["access"][target][mode], mine[(target, mode)]
                assert [w["minutes"] for w in figures["within"]] == list(THRESHOLDS)
                for item in figures["within"]:
                    communes, population = counted["within"][item["minutes"]]
                    assert (item["communes"], item["population"]) == (communes, population), (key, target, mode)
                    assert item["population_share"] == share(population, mine["population"])
                    assert item["communes_share"] == share(communes, mine["communes"])
                assert [figures["no_trip"]["communes"], figures["no_trip"]["population"]] == counted["no_trip"]
                assert figures["no_trip"]["population_share"] == share(counted["no_trip"][1], mine["population"])
                assert [figures["communes_without_target"], figures["population_without_target"]] == counted["without"]


def test_the_region_figures_of_this_data(indicators):
    region = indicators["areas"][0]
    assert (region["level"], region["code"], region["nom"]) == ("region", "32", "Hauts-de-France")

    def figures(target, mode):
        f = region["access"][target][mode]
        return [w["population_share"] for w in f["within"]] + [f["no_trip"]["population_share"]]

    # population-weighted: 30, 60, 90 min, no trip (docs/TRANSIT.md#for-analysts)
    assert figures("own", "walk") == [0.220003, 0.34238, 0.413837, 0.532779]
    assert figures("own", "bike") == [0.519786, 0.740601, 0.792853, 0.12848]
    assert figures("nearest", "walk")[1] == 0.343254 and figures("nearest", "bike")[1] == 0.737628


def test_every_answer_says_what_it_includes_and_carries_the_timetable(indicators, rows):
    timetable = indicators["timetable"]
    assert indicators["available"] is True and indicators["reason"] is None
    assert timetable["service_date"] == rows["run"]["service_date"].isoformat() == "2025-02-04"
    assert timetable["attribution"] == rows["run"]["attribution"]
    assert timetable["attribution"].startswith("Horaires TER © SNCF") and "ODbL" in timetable["attribution"]
    assert "TER trains and TER coaches" in indicators["includes"] and "city and departmental buses" in \
        indicators["excludes"]
    assert "08:00 on 2025-02-04" in indicators["method"] and "by 14:00" in indicators["method"]
    assert timetable["parameters"]["walk_max_m"] == 2000.0 and set(indicators["targets"]) == {"own", "nearest"}
    assert indicators["data"]["zones"]["vintage"] == "January 2026"
    assert "2025-02-04" in indicators["data"]["timetable"]["vintage"]
    # encoded without the schema: its dump would change nothing (a field missing there would vanish)
    assert TerAccessOut().dump(indicators) == indicators


def test_one_level_and_other_thresholds(client, rows):
    answer = client.get("/coverage/transit?by=zone&thresholds_min=45,15").get_json()
    assert answer["by"] == "zone" and answer["thresholds_min"] == [15, 45]
    assert {a["level"] for a in answer["areas"]} == {"zone"} and len(answer["areas"]) == 42
    expected = expected_areas(rows, thresholds=(15, 45))
    for area in answer["areas"]:
        for item in area["access"]["own"]["bike"]["within"]:
            assert [item["communes"], item["population"]] == \
                expected[("zone", area["code"])][("own", "bike")]["within"][item["minutes"]]
    for bad in ("by=commune", "thresholds_min=0", "thresholds_min=361", "thresholds_min=a", "format=xml"):
        response = client.get(f"/coverage/transit?{bad}")
        assert response.status_code == 400 and response.get_json()["code"] == "invalid_parameter", bad


def test_the_csv_is_the_json(client, indicators):
    response = client.get("/coverage/transit?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    timetable = json.loads(response.headers["X-Geosvc-Timetable"])
    assert timetable["attribution"] == indicators["timetable"]["attribution"]
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(table) == 4 * len(indicators["areas"])
    by_key = {(r["level"], r["code"], r["target"], r["mode"]): r for r in table}
    for area in indicators["areas"]:
        for target in TARGETS:
            for mode in MODES:
                row, figures = by_key[(area["level"], area["code"], target, mode)], area["access"][target][mode]
                for item in figures["within"]:
                    assert int(row[f"population_within_{item['minutes']}min"]) == item["population"]
                    assert float(row[f"population_share_within_{item['minutes']}min"]) == item["population_share"]
                assert int(row["communes_no_trip"]) == figures["no_trip"]["communes"]
                assert row["service_date"] == "2025-02-04"
                assert row["attribution"] == indicators["timetable"]["attribution"]


# --- communes, worst served -----------------------------------------------------------------------

def independent_worst(rows: dict, target: str, mode: str, codes: set[str] | None = None) -> list[str]:
    population = {c["code"]: c["population"] or 0 for c in rows["communes"]}
    ranked = []
    for r in rows["transit"]:
        if r["target"] == target and r["mode"] == mode and (codes is None or r["code"] in codes):
            people = population[r["code"]]
            key = (0, -people, 0) if r["minutes"] is None else (1, -r["minutes"], -people)
            ranked.append((*key, r["code"]))
    return [item[-1] for item in sorted(ranked)]


@pytest.mark.parametrize(("target", "mode"), [("own", "walk"), ("own", "bike"), ("nearest", "bike")])
def test_the_worst_served_first(client, rows, target, mode):
    answer = client.get(f"/coverage/transit/worst?target={target}&mode={mode}&limit=60").get_json()
    assert answer["order"] == "worst" and answer["count"] == 60
    assert [c["code"] for c in answer["communes"]] == independent_worst(rows, target, mode)[:60]
    times = [c[target][mode]["minutes"] for c in answer["communes"]]
    # no trip first, most inhabitants first among them, then the longest times
    first_timed = next((i for i, t in enumerate(times) if t is not None), len(times))
    assert all(t is None for t in times[:first_timed]) and all(t is not None for t in times[first_timed:])
    people = [c["population"] for c in answer["communes"][:first_timed]]
    assert people == sorted(people, reverse=True)
    assert times[first_timed:] == sorted(times[first_timed:], reverse=True)
    assert TerAccessCommunesOut().dump(answer) == answer


def test_the_worst_served_of_a_zone_and_a_department(client, rows):
    zone = {z["insee"] for z in rows["zones"] if z["mission_locale"] == "60176"}
    answer = client.get("/coverage/transit/worst?zone=60176&mode=bike&limit=5000").get_json()
    assert [c["code"] for c in answer["communes"]] == independent_worst(rows, "own", "bike", zone)
    assert len(answer["communes"]) == len(zone) == 90
    oise = client.get("/coverage/transit/worst?departement=60&limit=10").get_json()["communes"]
    assert {c["departement"] for c in oise} == {"60"} and len(oise) == 10
    lines = client.get("/coverage/transit/worst?zone=60176&limit=3&format=csv").get_data(as_text=True).splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == independent_worst(rows, "own", "walk", zone)[:3]
    missing = client.get("/coverage/transit/worst?zone=99999")
    assert missing.status_code == 404 and missing.get_json()["code"] == "mission_locale_not_found"
    assert client.get("/coverage/transit/worst?mode=car").status_code == 400
    assert client.get("/coverage/transit/worst?limit=0").status_code == 400


def test_every_commune_has_its_stored_times(client, rows):
    answer = client.get("/coverage/transit/communes").get_json()
    assert answer["count"] == len(rows["communes"]) == 3782
    assert [c["code"] for c in answer["communes"]] == sorted(c["code"] for c in rows["communes"])
    stored = {(r["code"], r["target"], r["mode"]): r["minutes"] for r in rows["transit"]}
    for commune in answer["communes"]:
        for target in TARGETS:
            for mode in MODES:
                result = commune[target][mode]
                if (commune["code"], target, mode) not in stored:
                    assert result is None
                else:
                    assert result["minutes"] == stored[(commune["code"], target, mode)]
    lean = client.get("/coverage/transit/communes?legs=false&departement=80").get_json()["communes"]
    assert all("legs" not in (c["own"]["walk"] or {}) for c in lean) and {c["departement"] for c in lean} == {"80"}


def test_the_communes_csv(client, rows):
    response = client.get("/coverage/transit/communes?format=csv")
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(table) == 3782
    stored = {(r["code"], r["target"], r["mode"]): r["minutes"] for r in rows["transit"]}
    for row in table:
        for target in TARGETS:
            for mode in MODES:
                minutes = stored[(row["code"], target, mode)]
                assert row[f"{target}_{mode}_minutes"] == ("" if minutes is None else str(minutes))
                assert row[f"{target}_{mode}_no_trip"] == str(minutes is None)
        assert row["attribution"] == rows["run"]["attribution"] and row["service_date"] == "2025-02-04"
    crepy = next(row for row in table if row["code"] == "60176")  # Crépy-en-Valois, by K15 then K14
    assert crepy["nearest_bike_lines"] == "K15 K14" and crepy["nearest_bike_kind"] == "transit"


def test_the_map_layer(client, rows):
    layer = json.loads(client.get("/coverage/transit/communes?format=geojson").get_data(as_text=True))
    assert len(layer["features"]) == 3782
    assert layer["timetable"]["attribution"] == rows["run"]["attribution"]
    assert layer["timetable"]["service_date"] == "2025-02-04" and "SNCF TER" in layer["includes"]
    stored = {(r["code"], r["target"], r["mode"]): r["minutes"] for r in rows["transit"]}
    for feature in layer["features"]:
        p = feature["properties"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        for target in TARGETS:
            for mode in MODES:
                assert p[f"{target}_{mode}_minutes"] == stored[(p["code"], target, mode)]


def test_without_a_timetable_the_answers_say_so(synthetic_client):
    answer = synthetic_client.get("/coverage/transit").get_json()
    assert answer["available"] is False and answer["areas"] == [] and "no TER timetable" in answer["reason"]
    assert answer["timetable"] is None
    communes = synthetic_client.get("/coverage/transit/communes").get_json()["communes"]
    assert len(communes) == 6 and all(c["own"] == {"walk": None, "bike": None} for c in communes)
    assert synthetic_client.get("/coverage/transit/worst").get_json()["communes"] == []


# --- the GeoPackage -----------------------------------------------------------------------------------

def test_the_geopackage_has_the_transit_layer(api_url, rows, tmp_path):
    with read_cursor(settings_for(api_url)) as cursor:
        path = write_geopackage(cursor, tmp_path)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as gpkg:
        columns = [row[1] for row in gpkg.execute("PRAGMA table_info(transit)")]
        assert {"code", "own_mission_locale", "own_walk_minutes", "own_bike_minutes", "nearest_walk_minutes",
                "nearest_bike_minutes", "geom"} <= set(columns)
        geometry = gpkg.execute("SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns "
                                "WHERE table_name = 'transit'").fetchone()
        assert geometry == ("MULTIPOLYGON", 4326)
        description = gpkg.execute("SELECT description FROM gpkg_contents WHERE table_name = 'transit'").fetchone()[0]
        assert rows["run"]["attribution"] in description and "2025-02-04" in description
        provenance = gpkg.execute("SELECT source, vintage FROM provenance WHERE name = 'timetable'").fetchone()
        assert "licence ODbL" in provenance[0] and "2025-02-04" in provenance[1]
        stored = gpkg.execute("SELECT code, own_walk_minutes, own_bike_minutes, nearest_walk_minutes, "
                              "nearest_bike_minutes FROM transit").fetchall()
        style = gpkg.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = 'transit'").fetchone()[0]
    minutes = {(r["code"], r["target"], r["mode"]): r["minutes"] for r in rows["transit"]}
    assert len(stored) == 3782
    for code, *values in stored:
        assert values == [minutes[(code, t, m)] for t in TARGETS for m in MODES]
    assert 'attr="coalesce(&quot;own_walk_minutes&quot;, 9999)"' in style


# --- the analyst page ------------------------------------------------------------------------------------

@pytest.fixture
def page(browser, live_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.geosvc_seen = watch(page)
    page.goto(f"{live_url}/analyse")
    page.wait_for_selector("body.ready", timeout=30_000)
    yield page
    context.close()


def drawn_fills(page) -> collections.Counter:
    return collections.Counter(page.eval_on_selector_all(".leaflet-overlay-pane svg path",
                                                         "paths => paths.map(p => p.getAttribute('fill'))"))


def expected_classes(rows: dict, field: str) -> list[int]:
    target, mode = field.split("_")[:2]
    counts = collections.Counter()
    for r in rows["transit"]:
        if (r["target"], r["mode"]) == (target, mode):
            m = r["minutes"]
            counts["none" if m is None else sum(m > bound for bound in THRESHOLDS)] += 1
    counts["no target"] = len(rows["communes"]) - sum(counts.values())
    return sorted((n for n in counts.values() if n), reverse=True)


@pytest.mark.parametrize(("label", "field"), [("à pied", "own_walk_minutes"), ("à vélo", "own_bike_minutes")])
def test_the_page_maps_the_time_by_ter(page, rows, label, field):
    layer_control(page, f"Temps en TER jusqu'à sa mission locale, {label}").check()
    page.wait_for_selector("body.transit-ready", timeout=30_000)
    assert page.get_attribute("body", "data-distance") == f"transit-{field.split('_')[1]}"
    expect(page.locator(".leaflet-overlay-pane svg path")).to_have_count(3782, timeout=30_000)
    assert sorted(drawn_fills(page).values(), reverse=True) == expected_classes(rows, field)
    legend = page.locator(".geosvc-legend")
    expect(legend).to_contain_text(f"Temps en TER jusqu'à sa mission locale ({label})")
    expect(legend).to_contain_text("horaires du mardi 4 février 2025")
    expect(legend).to_contain_text("aucun trajet arrivant avant 14")
    expect(legend).to_contain_text(rows["run"]["attribution"])
    layer_control(page, "Distance au site le plus proche").check()
    expect(legend).not_to_contain_text("TER")
    assert page.geosvc_seen.page_errors == [] and page.geosvc_seen.console_errors == []


def test_the_page_shows_the_ter_tables(page, indicators):
    page.locator("#transit-panel").scroll_into_view_if_needed()  # loaded when first seen
    page.wait_for_selector("body.transit-tables-ready", timeout=30_000)
    rows = page.locator("#transit-table tbody tr")
    expect(rows).to_have_count(2 * (1 + 5))
    region_walk = rows.first.inner_text()
    walk = indicators["areas"][0]["access"]["own"]["walk"]
    assert region_walk.startswith("Hauts-de-France")
    assert french(walk["within"][1]["population_share"] * 100, 1, "%") in region_walk
    assert french(walk["no_trip"]["population"]) in region_walk
    expect(page.locator("#transit-scope")).to_contain_text(indicators["timetable"]["attribution"])
    expect(page.locator("#worst-table tbody tr")).to_have_count(15)
    links = page.locator("#downloads-panel a[download]")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "/coverage/transit?format=csv" in hrefs and "/coverage/transit/communes?format=csv" in hrefs
