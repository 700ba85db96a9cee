"""The analyst page /analyse in headless Chromium, against the live app on the real data.

Every figure the page shows is checked against the API's own answer (GET /coverage, its
`zones`, the communes' GeoJSON, the mismatches' layer, a scenario's answer), written the French
way by an independent formatter here: the page is in French (lang="fr", "12,4 km", "1 234").
"""

from __future__ import annotations

import collections
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser_support import svg_paths, watch

SAINT_OMER = "mission_locale-62765-01"
BEAUVAIS = "60057"
NBSP, NNBSP = "\u00a0", "\u202f"
# English words the page used to show; none may be left in its headings, labels, buttons and legend
ENGLISH = re.compile(
    r"\b(the|of|and|to|by|with|what|if|open|close|move|none|yet|compute|reset|weighted|median|farthest|beyond|"
    r"nearest|catchments?|indicators?|changes|scenario|area|loading|ready|hypothetical|add|own|zones? of|cells)\b",
    re.IGNORECASE,
)
VISIBLE_TEXTS = "h1, h2, h3, h4, caption, legend, summary, th, label, button, #status, .geosvc-legend, a"


@pytest.fixture
def page(browser, live_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.geosvc_seen = watch(page)
    page.goto(f"{live_url}/analyse")
    page.wait_for_selector("body.ready", timeout=30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def coverage(app) -> dict:
    return app.test_client().get("/coverage").get_json()


@pytest.fixture(scope="module")
def communes(app) -> dict:
    return json.loads(app.test_client().get("/coverage/communes?format=geojson").get_data(as_text=True))


def french(value: float, decimals: int = 0, unit: str = "") -> str:
    """An independent French number format: narrow no-break space between thousands, decimal comma,
    a no-break space before the unit."""
    whole, _, fraction = f"{abs(value):.{decimals}f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = ("-" if value < 0 and float(f"{abs(value):.{decimals}f}") else "") + NNBSP.join(groups)
    return text + ("," + fraction if fraction else "") + (NBSP + unit if unit else "")


def km(metres: float) -> str:
    return french(metres / 1000, 1, "km")


def pct(share: float) -> str:
    return french(share * 100, 1, "%")


def class_sizes(communes: dict, field: str, thresholds: list[float]) -> list[int]:
    """How many communes fall in each distance class (the legend's), largest first."""
    counts = collections.Counter(
        "none" if f["properties"][field] is None else sum(f["properties"][field] > t * 1000 for t in thresholds)
        for f in communes["features"]
    )
    return sorted(counts.values(), reverse=True)


def drawn_class_sizes(page) -> list[int]:
    fills = page.eval_on_selector_all(".leaflet-overlay-pane svg path",
                                      "paths => paths.map(p => p.getAttribute('fill'))")
    return sorted(collections.Counter(fills).values(), reverse=True)


def wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def layer_control(page, label: str):
    return page.locator(".leaflet-control-layers label", has_text=label).locator("input")


def test_leaflet_is_served_by_the_app(client):
    for name, mimetype in (("leaflet.js", "text/javascript"), ("leaflet.css", "text/css"),
                           ("images/layers.png", "image/png")):
        with client.get(f"/vendor/leaflet/{name}") as response:
            assert response.status_code == 200, name
            assert response.mimetype == mimetype
            if name == "leaflet.js":
                assert b"Leaflet 1.9.4" in response.data


def test_page_draws_the_choropleth_and_tables(page, live_url, coverage, communes):
    assert svg_paths(page) == len(communes["features"]) == 3782  # one polygon per commune
    assert svg_paths(page, "marker") == len(coverage["sites"]) == 53
    # the communes of each distance class, as many as the API's distances put in it
    assert drawn_class_sizes(page) == class_sizes(communes, "distance_m", coverage["thresholds_km"])
    assert page.locator("#areas-table tbody tr").count() == 1 + len(coverage["departements"])
    first = page.locator("#areas-table tbody tr").first.inner_text()
    assert first.startswith(coverage["region"]["nom"])
    assert km(coverage["region"]["weighted_mean_distance_m"]) in first
    assert french(coverage["region"]["population"]) in first
    own_first = page.locator("#own-areas-table tbody tr").first.inner_text()
    assert km(coverage["region"]["own"]["weighted_mean_distance_m"]) in own_first
    assert page.locator("#missions-locales-table tbody tr").count() == len(coverage["missions_locales"])
    assert page.locator("#epci-table tbody tr").count() == len(coverage["epci"])
    assert coverage["data"]["zones"]["vintage"] in page.locator("#provenance").inner_text()
    seen = page.geosvc_seen
    assert seen.page_errors == [] and seen.console_errors == []
    assert seen.external_requests(allowed_prefix=live_url) == []  # no CDN, no tile server


def test_the_page_is_in_french(page):
    page.wait_for_selector("body.zones-ready", timeout=30_000)
    assert page.get_attribute("html", "lang") == "fr"
    assert page.title().startswith("Couverture des missions locales")
    assert page.inner_text("h1") == f"À quelle distance est la mission locale{NBSP}?"
    texts = [text for text in page.locator(VISIBLE_TEXTS).all_inner_texts() if text.strip()]
    texts += page.locator(".leaflet-control-layers label").all_inner_texts()
    assert len(texts) > 100
    leftovers = [text for text in texts if ENGLISH.search(text)]
    assert leftovers == []
    assert "Prêt" in page.inner_text("#status")
    assert page.locator("#zones-panel h2").inner_text() == "Zones des missions locales"


def test_the_zones_outlines_and_table(page, coverage):
    zones = coverage["zones"]
    page.wait_for_selector("body.zones-ready", timeout=30_000)
    assert svg_paths(page, "zones") == len(zones) == 42  # one outline per mission locale's zone
    rows = page.locator("#zones-table tbody tr")
    assert rows.count() == len(zones)
    first, zone = rows.first, zones[0]
    cells = first.locator("th, td").all_inner_texts()
    beyond = next(b for b in zone["beyond"] if b["km"] == 20)
    assert cells == [
        zone["name"], french(zone["communes"]), french(zone["population"]), french(zone["area_km2"], 1, "km²"),
        km(zone["weighted_mean_distance_m"]), km(zone["max_distance_m"]), pct(beyond["population_share"]),
        french(zone["communes_nearest_other"]),
    ]
    headers = page.locator("#zones-table thead th").all_inner_texts()
    assert headers[0].startswith("Mission locale") and "20" in headers[6]

    # sortable: figures largest first, then smallest first
    mean = page.locator("#zones-table thead th", has_text="Distance moyenne pondérée")
    mean.locator("button").click()
    assert mean.get_attribute("aria-sort") == "descending"
    ranked = sorted(zones, key=lambda z: z["weighted_mean_distance_m"])
    assert rows.first.locator("th").inner_text() == ranked[-1]["name"]  # Péronne's, on this data
    mean.locator("button").click()
    assert mean.get_attribute("aria-sort") == "ascending"
    assert rows.first.locator("th").inner_text() == ranked[0]["name"]
    page.locator("#zones-table thead th").first.locator("button").click()
    assert rows.first.locator("th").inner_text() == sorted(z["name"] for z in zones)[0]

    # each row zooms the map to its zone
    target = next(z for z in zones if z["code"] == "02168")  # Château-Thierry: small in the region's view
    outline = page.locator(f'.leaflet-zones-pane path[aria-label^="Zone : {target["name"]} ("]')
    map_box = page.locator("#map").bounding_box()
    before = outline.bounding_box()
    assert before["width"] < map_box["width"] / 3 and before["height"] < map_box["height"] / 3
    page.locator(f"#zones-table tbody tr[data-code='{target['code']}'] button").click()
    expect(page.locator("#status")).to_have_text(f"Carte centrée sur la zone : {target['name']}.")

    def fills_the_map() -> bool:
        box = outline.bounding_box()
        inside = (box["x"] >= map_box["x"] - 2 and box["y"] >= map_box["y"] - 2
                  and box["x"] + box["width"] <= map_box["x"] + map_box["width"] + 2
                  and box["y"] + box["height"] <= map_box["y"] + map_box["height"] + 2)
        return inside and (box["width"] > map_box["width"] * 0.6 or box["height"] > map_box["height"] * 0.6)

    map_box = page.locator("#map").bounding_box()  # the page may have scrolled to the map
    wait_until(fills_the_map)
    assert page.geosvc_seen.page_errors == [] and page.geosvc_seen.console_errors == []


def test_zone_outlines_are_labelled_on_hover_and_focus(page, coverage):
    zones = coverage["zones"]
    page.wait_for_selector("body.zones-ready", timeout=30_000)
    tooltip = page.locator(".leaflet-tooltip")  # a closed one fades out for 0.2 s: count them with expect()

    def labelled(name: str, text: str = "") -> None:
        expect(tooltip).to_have_count(1)
        expect(tooltip).to_contain_text(name)
        if text:
            expect(tooltip).to_contain_text(text)

    # one tab stop for the outlines: the first zone's; the arrows go to the next
    focusable = page.locator(".leaflet-zones-pane path[tabindex='0']")
    assert focusable.count() == 1
    focusable.focus()
    labelled(zones[0]["name"], f"{french(zones[0]['communes'])} communes, {french(zones[0]['population'])} habitants")
    page.keyboard.press("ArrowRight")
    labelled(zones[1]["name"])
    assert zones[1]["name"] in page.evaluate("document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("ArrowLeft")
    labelled(zones[0]["name"])
    page.keyboard.press("End")
    labelled(zones[-1]["name"])
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text(f"Carte centrée sur la zone : {zones[-1]['name']}.")
    assert page.input_value("#add-form input[name=lon]") == ""  # the key is not a click on the map
    # a row of the table, focused or hovered, labels its zone on the map
    page.locator("#zones-table tbody tr").nth(2).locator("button").focus()
    labelled(zones[2]["name"])
    page.locator("#zones-table tbody tr").nth(3).locator("button").hover()
    expect(tooltip.filter(has_text=zones[3]["name"])).to_have_count(1)


def test_the_own_distance_choropleth_can_be_switched_on(page, coverage, communes):
    legend = page.locator(".geosvc-legend")
    expect(legend).to_contain_text("Distance au site le plus proche")
    layer_control(page, "Distance au site de sa mission locale").check()
    expect(legend).to_contain_text("Distance au site de sa mission locale")
    assert page.get_attribute("body", "data-distance") == "own"
    assert svg_paths(page) == len(communes["features"])  # the one choropleth shown, redrawn
    thresholds = coverage["thresholds_km"]
    assert drawn_class_sizes(page) == class_sizes(communes, "own_distance_m", thresholds)
    assert class_sizes(communes, "own_distance_m", thresholds) != class_sizes(communes, "distance_m", thresholds)
    assert legend.inner_text().split("\n")[1:7] == [
        f"jusqu'à 5{NBSP}km", f"de 5{NBSP}km à 10{NBSP}km", f"de 10{NBSP}km à 15{NBSP}km",
        f"de 15{NBSP}km à 20{NBSP}km", f"au-delà de 20{NBSP}km", "aucun site de sa mission locale",
    ]
    layer_control(page, "Distance au site le plus proche").check()
    expect(legend).to_contain_text("Distance au site le plus proche")
    assert drawn_class_sizes(page) == class_sizes(communes, "distance_m", thresholds)
    assert page.geosvc_seen.console_errors == []


def test_the_mismatch_layer(page, client):
    layer = json.loads(client.get("/coverage/assignment?format=geojson").get_data(as_text=True))
    assert len(layer["features"]) == 932
    layer_control(page, "Communes plus proches d'une autre mission locale").check()
    # expect() polls without eval, which the page's Content-Security-Policy forbids
    expect(page.locator(".leaflet-mismatch-pane svg path")).to_have_count(len(layer["features"]), timeout=30_000)
    expect(page.locator(".geosvc-legend")).to_contain_text("commune plus proche d'un site d'une autre mission locale")
    expect(page.locator("#status")).to_contain_text(f"{french(len(layer['features']))} polygones")
    layer_control(page, "Communes plus proches d'une autre mission locale").uncheck()
    expect(page.locator(".leaflet-mismatch-pane svg path")).to_have_count(0)
    assert page.geosvc_seen.console_errors == []


def test_catchment_layers_load_on_demand(page, coverage):
    # after the zones' outlines: their 42 unions and this dissolve, all at once, can overrun the
    # statement time limit on a loaded 2-core machine (the page then tries again, with a 503 logged)
    page.wait_for_selector("body.zones-ready", timeout=30_000)
    layer_control(page, "Bassins par mission locale").check()
    expect(page.locator(".leaflet-overlay-pane svg path")).to_have_count(3782 + len(coverage["missions_locales"]),
                                                                         timeout=30_000)
    assert page.geosvc_seen.console_errors == []


def test_the_csv_exports_are_linked(page, client):
    links = page.locator("#downloads-panel a[download]")
    hrefs = {links.nth(i).inner_text(): links.nth(i).get_attribute("href") for i in range(links.count())}
    assert set(hrefs.values()) >= {"/coverage/communes?format=csv", "/coverage?format=csv&table=zones",
                                   "/coverage/assignment?format=csv", "/coverage/assignment?format=csv&table=cross"}
    assert all(text.endswith("(CSV)") and not ENGLISH.search(text) for text in hrefs)
    for href in hrefs.values():
        response = client.get(href)
        assert response.status_code == 200 and response.mimetype == "text/csv", href
        header = response.get_data(as_text=True).splitlines()[0].split(",")
        if href.startswith("/coverage/communes"):
            assert {"own_mission_locale", "own_site_id", "own_distance_m"} <= set(header)


def test_a_scenario_from_the_form(page, client, coverage):
    page.locator(".leaflet-container").click(position={"x": 300, "y": 500})  # fills longitude and latitude
    assert page.input_value("#add-form input[name=lon]") != ""
    page.fill("#add-form input[name=name]", "Antenne d'essai")
    page.fill("#add-form input[name=lon]", "1.85")
    page.fill("#add-form input[name=lat]", "49.75")
    page.select_option("#mission-locale-select", BEAUVAIS)
    page.click("#add-form button")
    beauvais = next(m["name"] for m in coverage["missions_locales"] if m["code"] == BEAUVAIS)
    assert f"pour la {beauvais} ({BEAUVAIS})" in page.locator("#changes li").first.inner_text()
    page.select_option("#close-form select", SAINT_OMER)
    page.click("#close-form button")
    assert page.locator("#changes li").count() == 2
    page.click("#run-scenario")
    page.wait_for_selector("#scenario-result:not([hidden])", timeout=30_000)
    expected = client.post("/coverage/scenarios", json={
        "add": [{"name": "Antenne d'essai", "lon": 1.85, "lat": 49.75, "mission_locale": BEAUVAIS}],
        "close": [SAINT_OMER], "move": [], "thresholds_km": coverage["thresholds_km"],
    }).get_json()
    assert page.locator("#delta-table tbody tr").count() == 1 + len(expected["deltas"]["departements"])
    assert page.inner_text("#changed-count") == french(len(expected["communes_changed"]))
    # the distance to one's own mission locale: areas, zones and communes that change
    own_region = page.locator("#own-delta-table tbody tr").first.inner_text()
    mean = expected["deltas"]["region"]["own"]["weighted_mean_distance_m"]
    assert f"{km(mean['current'])} → {km(mean['scenario'])}" in own_region
    assert page.locator("#own-delta-table tbody tr").count() == 1 + len(expected["deltas"]["departements"])
    assert page.inner_text("#zones-changed-count") == french(len(expected["deltas"]["zones"]))
    assert page.locator("#zones-delta-table tbody tr").count() == len(expected["deltas"]["zones"])
    own_changed = expected["communes_own_changed"]
    assert page.inner_text("#own-changed-count") == french(len(own_changed)) and len(own_changed) > 100
    assert page.locator("#own-changed-table tbody tr").count() == 30
    first = own_changed[0]
    assert page.locator("#own-changed-table tbody tr").first.locator("th").inner_text() == \
        f"{first['nom']} ({first['code']})"
    assert svg_paths(page, "marker") == 53 + 1  # the hypothetical site is drawn
    # the communes that change are outlined in their new colour, on either map
    outlined = ".leaflet-overlay-pane svg path[stroke='#000']"
    assert page.locator(outlined).count() == len(expected["communes_changed"])
    layer_control(page, "Distance au site de sa mission locale").check()
    expect(page.locator(outlined)).to_have_count(len(own_changed))
    assert page.geosvc_seen.console_errors == []
    page.click("#reset-scenario")
    assert page.locator("#scenario-result").is_hidden()
    assert svg_paths(page, "marker") == 53
    assert page.locator(outlined).count() == 0


def test_a_refused_scenario_shows_the_reason(page):
    page.fill("#add-form input[name=lon]", "5.5")  # in the Ardennes, outside the region
    page.fill("#add-form input[name=lat]", "49.5")
    page.click("#add-form button")
    page.click("#run-scenario")
    error = page.locator("#scenario-error")
    error.wait_for(state="visible", timeout=30_000)
    assert error.inner_text() == ("Scénario refusé : ce point n'est dans aucune commune des Hauts-de-France "
                                  "(ouvrir « Nouveau site » (lon. 5,5 ; lat. 49,5), sans mission locale).")
    # the browser logs the 400 response itself; nothing else may fail
    assert all("400" in message for message in page.geosvc_seen.console_errors)
    assert page.geosvc_seen.page_errors == []
