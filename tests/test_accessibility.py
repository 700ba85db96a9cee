"""axe-core (npm, node_modules/axe-core) on the pages, in every state a young person or an analyst sees.

WCAG 2.1 A and AA plus axe's best practices; zero violations is the bar. axe is evaluated in the
page through the DevTools protocol, which the page's strict CSP does not govern: the page itself
still loads nothing but its own files.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from geosvc.config import PROJECT_ROOT

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PARIS = {"longitude": 2.3522, "latitude": 48.8566}


def violations(page) -> list[str]:
    """axe's violations on the page as it is now: one line per rule, with the first offending node."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(result => result.violations.map(v => ({id: v.id, help: v.help, node: v.nodes[0].html})))",
        TAGS,
    )
    return [f"{v['id']}: {v['help']} — {v['node']}" for v in found]


@pytest.fixture
def open_page(browser, live_url):
    contexts = []

    def open_(path: str = "/", width: int = 1024, geolocation: dict | None = None, ready: str = "body.ready"):
        options = {"viewport": {"width": width, "height": 900}, "locale": "fr-FR"}
        if geolocation:
            options |= {"geolocation": geolocation, "permissions": ["geolocation"]}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_url}{path}")
        page.wait_for_selector(ready, timeout=30_000)
        return page

    yield open_
    for context in contexts:
        context.close()


def test_axe_is_installed_and_can_fail(open_page):
    """The audit must be able to say no: an image without text is a violation."""
    page = open_page()
    page.evaluate("document.body.appendChild(Object.assign(document.createElement('img'), {src: 'x.png'}))")
    assert any(line.startswith("image-alt") for line in violations(page))


@pytest.mark.parametrize("width", [360, 1280])
def test_the_campaign_page_empty(open_page, width):
    assert violations(open_page(width=width)) == []


def test_the_campaign_page_with_suggestions_open(open_page):
    page = open_page()
    page.fill("#commune-input", "amien")
    expect(page.locator("#commune-suggestions [role=option]").first).to_be_visible()
    assert violations(page) == []


def test_the_campaign_page_with_an_answer(open_page):
    page = open_page()
    page.fill("#commune-input", "senlis")
    expect(page.locator("#commune-suggestions [role=option]").first).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#resultat")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(300)  # the map draws after the card
    assert violations(page) == []


def test_the_campaign_page_with_an_error(open_page):
    page = open_page(geolocation=PARIS)
    page.click("#locate")
    expect(page.locator("#status")).not_to_be_empty(timeout=15_000)
    assert violations(page) == []


def test_the_campaign_page_outside_the_region(open_page):
    page = open_page()
    page.fill("#commune-input", "paris")
    expect(page.locator("#hors-region")).to_be_visible()
    assert violations(page) == []


def test_the_analyst_page(open_page):
    page = open_page("/analyse", ready="body.zones-ready")  # the zones' table and outlines drawn
    assert violations(page) == [], json.dumps(violations(page), ensure_ascii=False, indent=1)
    # the zones' table sorted, the distance to one's own mission locale with the communes nearer another's,
    # a zone's outline focused (its label open), and a scenario's answer
    page.locator("#zones-table thead th button").nth(4).click()
    for label in ("Distance au site de sa mission locale", "plus proches d'une autre"):
        page.locator(".leaflet-control-layers label", has_text=label).locator("input").check()
    expect(page.locator(".leaflet-mismatch-pane svg path").first).to_be_attached(timeout=30_000)
    page.select_option("#close-form select", "mission_locale-62765-01")
    page.click("#close-form button")
    page.click("#run-scenario")
    expect(page.locator("#scenario-result")).to_be_visible(timeout=30_000)
    page.locator(".leaflet-zones-pane path[tabindex='0']").focus()
    expect(page.locator(".leaflet-tooltip")).to_have_count(1)
    assert violations(page) == [], json.dumps(violations(page), ensure_ascii=False, indent=1)


def test_the_whole_path_at_200_percent_zoom_with_the_keyboard_alone(browser, live_url):
    """A 1280 x 900 window zoomed to 200 % is a 640 x 450 CSS-pixel viewport at 2 device pixels
    per CSS pixel: nothing may need scrolling sideways, and the keyboard reaches the answer."""
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{live_url}/")
        page.wait_for_selector("body.ready", timeout=30_000)
        for _ in range(6):
            if page.evaluate("document.activeElement.id") == "commune-input":
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "commune-input"
        page.keyboard.type("abevile")
        expect(page.locator("#commune-suggestions [role=option]").first).to_contain_text("Abbeville")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        expect(page.locator("#resultat")).to_be_visible(timeout=15_000)
        page.wait_for_timeout(300)
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
        # the directions are links the keyboard reaches, each shown with a focus ring
        links = page.locator("#resultat a[href^='https://www.openstreetmap.org/directions']")
        assert links.count() >= 3
        links.first.focus()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        assert violations(page) == []
    finally:
        context.close()
