"""The analyst page /analyse in headless Chromium, against the live app on the real data."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import svg_paths, watch

SAINT_OMER = "mission_locale-62765-01"


@pytest.fixture
def page(browser, live_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.geosvc_seen = watch(page)
    page.goto(f"{live_url}/analyse")
    page.wait_for_selector("body.ready", timeout=30_000)
    yield page
    context.close()


def test_leaflet_is_served_by_the_app(client):
    for name, mimetype in (("leaflet.js", "text/javascript"), ("leaflet.css", "text/css"),
                           ("images/layers.png", "image/png")):
        with client.get(f"/vendor/leaflet/{name}") as response:
            assert response.status_code == 200, name
            assert response.mimetype == mimetype
            if name == "leaflet.js":
                assert b"Leaflet 1.9.4" in response.data


def test_page_draws_the_choropleth_and_tables(page, live_url):
    assert svg_paths(page) == 3782  # one polygon per commune
    assert svg_paths(page, "marker") == 53
    fills = page.eval_on_selector_all(
        ".leaflet-overlay-pane svg path", "paths => new Set(paths.map(p => p.getAttribute('fill'))).size"
    )
    assert fills == 5  # the five distance classes of the default thresholds are all present
    assert page.locator("#areas-table tbody tr").count() == 6
    assert page.locator("#areas-table tbody tr").first.inner_text().startswith("Hauts-de-France")
    assert page.locator("#missions-locales-table tbody tr").count() == 42
    assert page.locator("#epci-table tbody tr").count() == 92
    assert "January 2026" in page.locator("#provenance").inner_text()
    seen = page.geosvc_seen
    assert seen.page_errors == [] and seen.console_errors == []
    assert seen.external_requests(allowed_prefix=live_url) == []  # no CDN, no tile server


def test_catchment_layers_load_on_demand(page):
    page.locator(".leaflet-control-layers-overlays label", has_text="Catchments by mission locale") \
        .locator("input").check()
    # expect() polls without eval, which the page's Content-Security-Policy forbids
    expect(page.locator(".leaflet-overlay-pane svg path")).to_have_count(3782 + 42, timeout=30_000)
    assert page.geosvc_seen.console_errors == []


def test_a_scenario_from_the_form(page):
    page.locator(".leaflet-container").click(position={"x": 300, "y": 500})  # fills longitude and latitude
    assert page.input_value("#add-form input[name=lon]") != ""
    page.fill("#add-form input[name=name]", "Antenne d'essai")
    page.fill("#add-form input[name=lon]", "1.85")
    page.fill("#add-form input[name=lat]", "49.75")
    page.select_option("#mission-locale-select", "60057")  # Beauvais
    page.click("#add-form button")
    assert "for mission locale 60057" in page.locator("#changes li").first.inner_text()
    page.select_option("#close-form select", SAINT_OMER)
    page.click("#close-form button")
    assert page.locator("#changes li").count() == 2
    page.click("#run-scenario")
    page.wait_for_selector("#scenario-result:not([hidden])", timeout=30_000)
    assert page.locator("#delta-table tbody tr").count() == 6
    assert int(page.inner_text("#changed-count").replace(",", "")) > 100
    assert svg_paths(page, "marker") == 53 + 1  # the hypothetical site is drawn
    assert page.geosvc_seen.console_errors == []
    page.click("#reset-scenario")
    assert page.locator("#scenario-result").is_hidden()
    assert svg_paths(page, "marker") == 53


def test_a_refused_scenario_shows_the_reason(page):
    page.fill("#add-form input[name=lon]", "5.5")  # in the Ardennes, outside the region
    page.fill("#add-form input[name=lat]", "49.5")
    page.click("#add-form button")
    page.click("#run-scenario")
    error = page.locator("#scenario-error")
    error.wait_for(state="visible", timeout=30_000)
    assert "not inside a commune of the region" in error.inner_text()
    # the browser logs the 400 response itself; nothing else may fail
    assert all("400" in message for message in page.geosvc_seen.console_errors)
    assert page.geosvc_seen.page_errors == []
