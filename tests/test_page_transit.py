"""The TER line of the campaign card (issue 16): geosvc/web/static/transit.js and its place in the
card of `/`, of the widget and of the static build, in headless Chromium, on the real data.

The page says the `transit` block of GET /communes/{code}/mission-locale in French: the walking
journey ("En TER : départ 8 h 35 de la gare de Lens …"), the bike one beside it when walking is
much longer or gives nothing, a direct trip ("À pied : environ 22 min jusqu’à …"), or "Pas de
liaison TER pratique"; never a clock time without the timetable's date ("horaires de début 2025").
Expected values come from the API's answers and the database (commune_transit), not from figures
written here; the made-up blocks check the sentences themselves.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from geosvc.campaign import site_export
from geosvc.config import PROJECT_ROOT
from tests.browser_support import watch
from tests.conftest import settings_for
from tests.test_accessibility import violations
from tests.test_page_campaign import CONTRAST, open_page, own_answer, wait_for_answer  # noqa: F401 - fixture, helpers

ARTIFACTS = PROJECT_ROOT / "artifacts"
TRANSIT_JS = PROJECT_ROOT / "geosvc" / "web" / "static" / "transit.js"
LENS, LIEVIN, CREPY, COMINES, COMPIEGNE, ARRAS, DENAIN = "62498", "62510", "60176", "59152", "60159", "62041", "59172"
CLOCK_TIME = re.compile(r"\b\d{1,2} h(?: \d{2})?\b")  # "8 h", "9 h 10": a time of day (or a duration of hours)
MONTHS_PERIOD = {**dict.fromkeys(range(1, 5), "début "), **dict.fromkeys(range(5, 9), "mi-"),
                 **dict.fromkeys(range(9, 13), "fin ")}


# --- expected texts, computed here independently of transit.js -------------------------------

def french_clock(text: str) -> str:
    """'08:35' -> '8 h 35', '09:00' -> '9 h'."""
    hours, minutes = text.split(":")
    return f"{int(hours)} h" + (f" {minutes}" if minutes != "00" else "")


def period(service_date: str) -> str:
    """'2025-02-04' -> 'début 2025'."""
    year, month, _ = service_date.split("-")
    return MONTHS_PERIOD[int(month)] + year


def dated(transit: dict) -> str:
    return "horaires de " + period(transit["timetable"]["service_date"])


def undated_times(lines: list[str], date_text: str) -> list[str]:
    """The lines that hold a clock time but not the timetable's date."""
    return [line for line in lines if CLOCK_TIME.search(line) and date_text not in line]


# --- the page ---------------------------------------------------------------------------------

def show(page, code: str) -> None:
    """Department, then commune, with the selects; waits for the card."""
    page.select_option("#departement-select", code[:2])
    expect(page.locator(f"#commune-select option[value='{code}']")).to_have_count(1)
    page.select_option("#commune-select", code)
    expect(page.locator("#mission")).to_have_attribute("data-mission-id", re.compile(".+"))
    wait_for_answer(page)


def ter_lines(page) -> list[str]:
    return page.locator("#ter p").all_inner_texts()


def test_lens_card_says_the_train_with_its_station_times_and_date(open_page, client):  # noqa: F811
    answer = own_answer(client, LENS)
    transit = answer["transit"]
    walk = transit["walk"]
    assert walk["kind"] == "transit" and walk["legs"], "Lens's walk is a train journey in the loaded data"
    page = open_page()
    show(page, LENS)
    block = page.locator("#ter")
    expect(block).to_be_visible()
    first = block.locator("p").first
    expect(first).to_contain_text("En TER : départ " + french_clock(walk["departure"]) + " de la gare de " +
                                  walk["legs"][0]["from"])
    expect(first).to_contain_text(f"({walk['access_minutes']} min à pied jusqu’à la gare)")
    expect(first).to_contain_text("arrivée " + french_clock(walk["arrival"]) + " à la mission locale")
    expect(first).to_contain_text("ligne " + walk["legs"][0]["line"])
    expect(first).to_contain_text(dated(transit) + ", à vérifier")
    assert "début 2025" in dated(transit)  # the loaded timetable is of February 2025
    # the bike, much quicker here (a direct ride), is said too
    bike = transit["bike"]
    if bike and walk["minutes"] - bike["minutes"] >= 15:
        expect(block).to_contain_text("À vélo, c’est plus rapide")
    # the attribution SNCF's licence asks for, the licence linked
    expect(block).to_contain_text(transit["timetable"]["attribution"])
    licence = block.get_by_role("link", name=re.compile("ODbL"))
    expect(licence).to_have_attribute("href", "https://opendatacommons.org/licenses/odbl/")
    expect(licence).to_have_attribute("target", "_blank")
    # no time without the date, on the card
    lines = ter_lines(page)
    assert lines and undated_times(lines, dated(transit)) == []


@pytest.mark.parametrize("code", [CREPY, COMINES])
def test_a_commune_without_a_trip_says_so_with_the_date(open_page, client, code):  # noqa: F811
    transit = own_answer(client, code)["transit"]
    assert transit["walk"] is None and transit["bike"] is None
    page = open_page()
    show(page, code)
    expect(page.locator("#ter")).to_be_visible()
    expect(page.locator("#ter p").first).to_have_text(
        "Pas de liaison TER pratique (départ " + french_clock(transit["method"]["leave"]) + ", arrivée avant " +
        french_clock(transit["method"]["no_trip_after"]) + ") — " + dated(transit) + ".")
    assert "pas de liaison ter pratique" in page.locator("#ter").inner_text().lower()
    assert undated_times(ter_lines(page), dated(transit)) == []


def test_a_direct_walk_says_the_minutes_and_no_train(open_page, client):  # noqa: F811
    transit = own_answer(client, LIEVIN)["transit"]
    walk = transit["walk"]
    assert walk["kind"] == "direct" and walk["legs"] == [] and walk["minutes"] >= 1
    page = open_page()
    show(page, LIEVIN)
    first = page.locator("#ter p").first
    expect(first).to_have_text(f"À pied : environ {walk['minutes']} min jusqu’à la mission locale de Lens-Liévin, "
                               "sans train.")
    expect(page.locator("#ter")).to_have_attribute("data-kind", "direct")
    expect(page.locator("#ter .ter-note")).to_contain_text("trains et cars TER seulement")
    assert undated_times(ter_lines(page), dated(transit)) == []


def test_no_transit_block_no_line(open_page):  # noqa: F811
    """An answer whose `transit` is null (no timetable loaded): nothing is said, and the card is whole."""
    page = open_page()

    def without_transit(route):
        response = route.fetch()
        answer = response.json()
        answer["transit"] = None
        route.fulfill(response=response, json=answer)

    page.route("**/communes/*/mission-locale?k=3", without_transit)
    show(page, LENS)
    expect(page.locator("#ter")).to_be_hidden()
    assert page.locator("#ter p").count() == 0
    expect(page.locator("#itineraire li")).to_have_count(5)  # the directions links are still there


@pytest.mark.parametrize("code", [LENS, CREPY])
def test_the_line_is_accessible_and_fits_a_phone(open_page, code):  # noqa: F811
    """axe-core (WCAG 2.1 A/AA and best practices) and the contrast of every text with the TER line
    shown, on a 360 px phone, no horizontal scroll; a screenshot in artifacts/."""
    page = open_page(width=360, height=740)
    show(page, code)
    expect(page.locator("#ter")).to_be_visible()
    page.wait_for_timeout(300)  # the map draws after the card
    assert violations(page) == []
    assert page.evaluate(CONTRAST) == []
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    box = page.locator("#ter").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#mission").screenshot(path=str(ARTIFACTS / f"campaign-ter-{code}-360.png"))


def test_the_widget_shows_the_same_line(open_page, browser, live_url):  # noqa: F811
    page = open_page()
    show(page, LENS)
    expected = ter_lines(page)
    context = browser.new_context(viewport={"width": 400, "height": 900}, locale="fr-FR")
    try:
        widget = context.new_page()
        seen = watch(widget)
        widget.goto(f"{live_url}/widget")
        widget.wait_for_selector("body.ready", timeout=30_000)
        show(widget, LENS)
        expect(widget.locator("#ter")).to_be_visible()
        assert ter_lines(widget) == expected
        assert seen.console_errors == [] and seen.page_errors == []
        assert [url for url in seen.external_requests() if not url.startswith(live_url)] == []
    finally:
        context.close()


# --- the static build: the same card from the exported answers -----------------------------------

@contextlib.contextmanager
def static_folder(folder: Path):
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_the_static_build_shows_the_same_line(open_page, browser, client, api_url, tmp_path):  # noqa: F811
    """The export's page and assets (site_export.render_page, asset_files: transit.js among them)
    with the very answers it writes for Lens (the API's bytes), served by a plain static server."""
    page = open_page()
    show(page, LENS)
    expected = ter_lines(page)

    files = {site_export.PAGE: site_export.render_page(settings_for(api_url))}
    files |= {asset.path: asset.body for asset in site_export.asset_files()}
    files["departements.json"] = client.get("/departements").data
    files["departements/62/communes.json"] = client.get("/departements/62/communes").data
    files[f"communes/{LENS}/mission-locale.json"] = client.get(f"/communes/{LENS}/mission-locale?k=3").data
    files[f"communes/{LENS}/outline.json"] = client.get(f"/communes/{LENS}/outline").data
    assert "static/transit.js" in files
    assert 'src="static/transit.js"' in files[site_export.PAGE].decode()
    for path, body in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(body)

    context = browser.new_context(viewport={"width": 360, "height": 900}, locale="fr-FR")
    try:
        with static_folder(tmp_path) as url:
            static = context.new_page()
            seen = watch(static)
            static.goto(url)
            static.wait_for_selector("body.ready", timeout=30_000)
            show(static, LENS)
            expect(static.locator("#ter")).to_be_visible()
            assert ter_lines(static) == expected
            assert seen.console_errors == [] and seen.page_errors == []  # a missing transit.js would be a 404
            assert [u for u in seen.external_requests() if not u.startswith(url)] == []
    finally:
        context.close()


# --- transit.js alone, over made-up blocks -------------------------------------------------------

@pytest.fixture(scope="module")
def js(browser):
    """js(expression, arg) evaluated in a blank page holding transit.js."""
    context = browser.new_context(locale="en-US", timezone_id="Pacific/Auckland")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_content("<!doctype html><title>transit</title>")
    page.add_script_tag(path=str(TRANSIT_JS))

    def run(expression: str, arg=None):
        return page.evaluate(expression, arg)

    yield run
    assert errors == []
    context.close()


METHOD = {"leave": "08:00", "no_trip_after": "14:00", "walk": {"kmh": 4.5, "max_m": 2000},
          "bike": {"kmh": 15, "max_m": 8000}, "detour": 1.3}
ATTRIBUTION = "Horaires TER © SNCF (GTFS du 2025-01-22), licence ODbL"


def block(walk=None, bike=None, service_date="2025-02-04") -> dict:
    return {"walk": walk, "bike": bike, "target": "own", "method": METHOD,
            "timetable": {"file": "sources/gtfs/x.zip", "feed_version": "2025-01-22", "service_date": service_date,
                          "weekday": "Tuesday", "attribution": ATTRIBUTION, "licence": "ODbL"}}


def journey(minutes, kind="transit", departure="08:00", arrival="08:00", access=0, egress=0, legs=(),
            site="Mission locale"):
    return {"minutes": minutes, "kind": kind, "leave": "08:00", "departure": departure, "arrival": arrival,
            "access_minutes": access, "egress_minutes": egress,
            "legs": [dict(zip(("line", "from", "to", "departure", "arrival"), leg, strict=True)) for leg in legs],
            "site": {"id": "site-1", "name": site}}


TWO_LEGS = journey(95, departure="08:12", arrival="09:35", access=7, egress=12, site="Mission locale du Tréport", legs=[
    ("K44", "Amiens", "Abbeville", "08:12", "08:50"),
    ("P22", "Abbeville", "Le Tréport - Mers-les-Bains", "09:00", "09:23")])
BIKE_TRAIN = journey(40, departure="08:09", arrival="08:40", access=4, egress=4, site="Antenne de Valenciennes", legs=[
    ("P63", "Denain", "Lourches", "08:09", "08:13"), ("P63", "Lourches", "Valenciennes", "08:15", "08:36")])

CASES = {
    "two legs, walking, end of the year": (block(walk=TWO_LEGS, service_date="2025-10-07"), "transit", [
        "En TER : départ 8 h 12 de la gare d’Amiens (7 min à pied jusqu’à la gare), arrivée 9 h 35 à la mission "
        "locale du Tréport (lignes K44 puis P22, changement à Abbeville, descente au Tréport - Mers-les-Bains puis "
        "12 min à pied) — horaires de fin 2025, à vérifier.",
    ]),
    "no walk, the bike and a train, mid-year": (block(bike=BIKE_TRAIN, service_date="2025-06-10"), "transit", [
        "À pied : pas de liaison TER pratique (départ 8 h, arrivée avant 14 h) — horaires de mi-2025.",
        "À vélo : en TER, départ 8 h 09 de la gare de Denain (4 min à vélo jusqu’à la gare), arrivée 8 h 40 à "
        "« Antenne de Valenciennes » (ligne P63, changement à Lourches, descente à Valenciennes puis 4 min à vélo) "
        "— horaires de mi-2025, à vérifier.",
    ]),
    "direct walk, the bike not much quicker": (
        block(walk=journey(14, kind="direct", arrival="08:14", access=14), bike=journey(5, kind="direct")), "direct",
        ["À pied : environ 14 min jusqu’à la mission locale, sans train."]),
    "a long train walk, a direct ride": (
        block(walk=journey(70, departure="08:35", arrival="09:10", access=28, egress=31,
                           site="Mission locale de Lens-Liévin", legs=[("P54", "Lens", "Liévin", "08:35", "08:39")]),
              bike=journey(14, kind="direct", arrival="08:14", site="Mission locale de Lens-Liévin")), "transit", [
            "En TER : départ 8 h 35 de la gare de Lens (28 min à pied jusqu’à la gare), arrivée 9 h 10 à la mission "
            "locale de Lens-Liévin (ligne P54, descente à Liévin puis 31 min à pied) — horaires de début 2025, "
            "à vérifier.",
            "À vélo, c’est plus rapide : environ 14 min jusqu’à la mission locale de Lens-Liévin, sans train.",
        ]),
    "nothing by 14:00": (block(), "none", [
        "Pas de liaison TER pratique (départ 8 h, arrivée avant 14 h) — horaires de début 2025."]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_sentences_of_made_up_blocks(js, case):
    transit, kind, expected = CASES[case]
    said = js("t => GeosvcTransit.describe(t)", transit)
    assert said["kind"] == kind
    assert said["lines"] == expected
    assert said["attribution"] == ATTRIBUTION and said["licenceUrl"] == "https://opendatacommons.org/licenses/odbl/"
    date_text = "horaires de " + period(transit["timetable"]["service_date"])
    assert undated_times(said["lines"] + [said["note"]], date_text) == []


def test_the_method_note_and_the_small_formats(js):
    said = js("t => GeosvcTransit.describe(t)", block())
    assert said["note"] == ("Calcul pour le mardi 4 février 2025 (horaires de début 2025), départ de ta commune "
                            "à 8 h : trains et cars TER seulement, pas les bus de ville ; trajets à pied ou à vélo à "
                            "vol d’oiseau, allongés de 30 %.")
    assert js("t => GeosvcTransit.describe(t)", None) is None
    assert js("""() => [GeosvcTransit.clock('09:00'), GeosvcTransit.clock('08:05'), GeosvcTransit.clock('13:40'),
                        GeosvcTransit.duration(0), GeosvcTransit.duration(28), GeosvcTransit.duration(70),
                        GeosvcTransit.duration(125)]""") == [
        "9 h", "8 h 05", "13 h 40", "moins d’une minute", "28 min", "1 h 10", "2 h 05"]
    assert js("ds => ds.map(GeosvcTransit.period)", ["2025-01-22", "2025-04-30", "2025-05-01", "2025-08-31",
                                                      "2025-09-01", "2026-12-31", "nope"]) == [
        "début 2025", "début 2025", "mi-2025", "mi-2025", "fin 2025", "fin 2026", ""]
    assert js("ns => ns.map(GeosvcTransit.station)", ["Lens", "Amiens", "Le Cateau", "Les Fontinettes",
                                                       "Étaples - Le Touquet", "Paris Gare du Nord"]) == [
        "la gare de Lens", "la gare d’Amiens", "la gare du Cateau", "la gare des Fontinettes",
        "la gare d’Étaples - Le Touquet", "Paris Gare du Nord"]
    # a site placed at its commune's centre: the times are said to be approximate too
    approximate = js("t => GeosvcTransit.describe(t, {sites: [{id: 'site-1', location_precision: 'commune'}]})",
                     block(walk=journey(0, kind="direct")))
    assert approximate["lines"] == ["À pied : moins d’une minute jusqu’à la mission locale, sans train.",
                                    "La position de la mission locale est approximative (centre de sa commune) : "
                                    "ces temps le sont aussi."]


@pytest.mark.parametrize("code", [LENS, "59183", "59569", DENAIN, CREPY, COMINES, ARRAS, "80021", LIEVIN, COMPIEGNE])
def test_no_time_without_the_date_on_the_real_answers(js, client, code):
    answer = own_answer(client, code)
    transit = answer["transit"]
    sites = answer["mission_locale"]["sites"] if answer["mission_locale"] else []
    said = js("([t, s]) => GeosvcTransit.describe(t, {sites: s})", [transit, sites])
    assert said["lines"]
    assert undated_times(said["lines"] + [said["note"]], dated(transit)) == []
    assert dated(transit) in said["note"]  # the method, dated, whatever the journey
    if transit["walk"] and transit["walk"]["kind"] == "transit" or not transit["walk"]:
        assert dated(transit) in said["lines"][0]  # the date beside the journey's (or the no-trip's) times
    walk, bike = transit["walk"], transit["bike"]
    first = said["lines"][0]
    if walk and walk["kind"] == "transit":  # the walk first, with its departure, station and arrival
        assert first.startswith(f"En TER : départ {french_clock(walk['departure'])} de ")
        assert f"arrivée {french_clock(walk['arrival'])} à " in first and walk["legs"][0]["from"] in first
    elif walk:
        assert first.startswith("À pied : ")
    elif bike:
        assert first.startswith("À pied : pas de liaison TER pratique") and said["lines"][1].startswith("À vélo : ")
    else:
        assert first.startswith("Pas de liaison TER pratique")


# --- the API: the block is the stored rows -------------------------------------------------------

def test_the_api_block_is_the_stored_journeys(client, sql):
    body = client.get(f"/communes/{LENS}/mission-locale").get_json()
    transit = body["transit"]
    rows = {row["mode"]: row for row in sql(
        "SELECT mode, minutes, kind, site_id, leave, departure, arrival, access_minutes, egress_minutes, legs "
        "FROM commune_transit WHERE code = :code AND target = 'own'", code=LENS)}
    assert set(rows) == {"walk", "bike"}
    walk, stored = transit["walk"], rows["walk"]
    assert stored["legs"], "Lens's walk is a train journey in the loaded data"
    assert walk["legs"][0]["line"] == stored["legs"][0]["line"]
    assert [(leg["line"], leg["from"], leg["to"], leg["departure"], leg["arrival"]) for leg in walk["legs"]] == [
        (leg["line"], leg["from"], leg["to"], leg["departure"], leg["arrival"]) for leg in stored["legs"]]
    for mode in ("walk", "bike"):
        given, row = transit[mode], rows[mode]
        if row["minutes"] is None:
            assert given is None
            continue
        for key in ("minutes", "kind", "leave", "departure", "arrival", "access_minutes", "egress_minutes"):
            assert given[key] == row[key], (mode, key)
        assert given["site"]["id"] == row["site_id"]
    run = sql("SELECT feed_version, service_date, attribution FROM transit_run WHERE id = 1")[0]
    assert transit["timetable"]["service_date"] == run["service_date"].isoformat()
    assert transit["timetable"]["attribution"] == run["attribution"]
    assert transit["timetable"]["feed_version"] == run["feed_version"]
