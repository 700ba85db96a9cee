"""The campaign page `/` in headless Chromium (Debian's), against the live app on the real data.

Every test also checks that the page logged no console error (a Content-Security-Policy
violation is one), threw nothing, and asked nothing of any other host (no CDN, no tiles).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

from geosvc.config import PROJECT_ROOT
from tests.browser_support import svg_paths, watch

ARTIFACTS = PROJECT_ROOT / "artifacts"
HAZEBROUCK, HAZEBROUCK_SITE = "59295", "mission_locale-59295-01"
ARRAS = {"longitude": 2.7775, "latitude": 50.2910}
PARIS = {"longitude": 2.3522, "latitude": 48.8566}
APPROXIMATE = "adresse approximative : position de la commune"


@pytest.fixture
def open_page(browser, live_url):
    """open_page(width=..., geolocation=...) -> a loaded page; checked for errors afterwards."""
    contexts, pages = [], []

    def open_(width: int = 1024, height: int = 900, geolocation: dict | None = None):
        options = {"viewport": {"width": width, "height": height}, "locale": "fr-FR"}
        if geolocation:
            options |= {"geolocation": geolocation, "permissions": ["geolocation"]}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.geosvc_seen = watch(page)
        pages.append(page)
        page.goto(f"{live_url}/")
        page.wait_for_selector("body.ready", timeout=30_000)
        return page

    yield open_
    try:
        for page in pages:
            seen = page.geosvc_seen
            assert seen.console_errors == [], seen.console_errors  # CSP violations show up here
            assert seen.page_errors == []
            assert seen.external_requests(allowed_prefix=live_url) == []
    finally:
        for context in contexts:
            context.close()


def wait_for_answer(page):
    expect(page.locator("#status")).to_contain_text("Mission locale la plus proche", timeout=15_000)
    expect(page.locator("#resultat")).to_be_visible()


def km(metres: float) -> str:
    return f"à {metres / 1000:.1f} km".replace(".", ",")


def shown_sites(page) -> list[str]:
    first = page.get_attribute("#mission", "data-mission-id")
    return [first] + [item.get_attribute("data-mission-id") for item in page.locator("#autres li").all()]


# --- the HTML itself ------------------------------------------------------------------------

class _Audit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems, self.fields, self.labels, self.lang = [], [], set(), None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            self.problems.append(f"inline style or handler on <{tag}>")
        if tag == "style":
            self.problems.append("<style> block")
        if tag == "script":
            self._in_script = True
            if not attrs.get("src", "").startswith("/"):
                self.problems.append("script not served by the app")
        if tag in ("input", "select"):
            self.fields.append(attrs.get("id"))
        if tag == "label":
            self.labels.add(attrs.get("for"))

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script")


def test_page_is_french_with_labelled_fields_and_no_inline_code(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    audit = _Audit()
    audit.feed(response.get_data(as_text=True))
    assert audit.lang == "fr"
    assert audit.problems == []
    assert audit.fields and all(field in audit.labels for field in audit.fields)
    for asset in ("/static/campaign.js", "/static/campaign.css", "/vendor/leaflet/leaflet.js"):
        with client.get(asset) as served:
            assert served.status_code == 200, asset


# --- finding one's mission locale -----------------------------------------------------------

def test_a_town_typed_with_a_typo_then_picked_with_the_keyboard(open_page, client):
    page = open_page()
    for _ in range(5):  # from the top of the page, with Tab only
        if page.evaluate("document.activeElement.id") == "commune-input":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "commune-input"
    page.keyboard.type("hazebruck")
    option = page.locator("#commune-suggestions [role=option]").first
    expect(option).to_have_text("Hazebrouck – 59190")
    combobox = page.locator("#commune-input")
    expect(combobox).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(combobox).to_have_attribute("aria-activedescendant", "suggestion-0")
    expect(option).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    wait_for_answer(page)

    expected = client.get(f"/communes/{HAZEBROUCK}/nearest?k=3").get_json()["missions"]
    assert expected[0]["id"] == HAZEBROUCK_SITE
    assert shown_sites(page) == [site["id"] for site in expected]
    expect(page.locator("#mission-nom")).to_have_text(expected[0]["name"])
    expect(page.locator("#mission-distance")).to_have_text(km(expected[0]["distance_m"]))
    expect(page.locator("#mission-adresse")).to_contain_text(expected[0]["address"])
    expect(page.locator("#mission-approx")).to_be_hidden()
    expect(page.locator("#origine")).to_have_text("Depuis Hazebrouck (59)")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    assert svg_paths(page) == 1 + 3  # the commune outline and three sites, without any tile


def test_a_town_written_by_ear_is_offered(open_page):
    page = open_page()
    page.fill("#commune-input", "abevile")
    expect(page.locator("#commune-suggestions [role=option]").first).to_have_text("Abbeville – 80100")
    expect(page.locator("#hors-region")).to_be_hidden()


def test_a_commune_outside_the_region_is_said_in_french_with_the_directory(open_page, client):
    page = open_page()
    page.fill("#commune-input", "paris")
    note = page.locator("#hors-region")
    expect(note).to_contain_text("Paris (75) n’est pas dans les Hauts-de-France")
    link = note.get_by_role("link")
    expect(link).to_have_attribute("href", "https://lannuaire.service-public.fr/")
    expect(page.locator("#commune-suggestions")).to_be_hidden()
    page.fill("#commune-input", "xkqzvw")  # neither here nor elsewhere
    expect(note).to_contain_text("Aucune commune des Hauts-de-France ne correspond à « xkqzvw »")
    page.fill("#commune-input", "amiens")
    expect(page.locator("#commune-suggestions [role=option]").first).to_contain_text("Amiens")
    expect(note).to_be_hidden()


def test_department_then_commune(open_page, client):
    page = open_page()
    page.select_option("#departement-select", "80")
    options = page.locator("#commune-select option")
    expect(options).to_have_count(1 + 771)
    feed = client.get("/departements/80/communes").get_json()["communes"]
    labels = options.evaluate_all("options => options.slice(1).map(o => o.textContent)")
    assert labels == [f"{c['label']} – {', '.join(c['codesPostaux'])}" for c in feed]  # French order, as served
    page.select_option("#commune-select", "80001")
    wait_for_answer(page)
    abbeville = next(c for c in feed if c["code"] == "80001")
    assert shown_sites(page)[0] == abbeville["mission"]["id"] == "mission_locale-80001-01"
    expect(page.locator("#mission-distance")).to_have_text(km(abbeville["mission"]["distance_m"]))


def test_an_approximate_address_is_said(open_page):
    page = open_page()
    page.fill("#commune-input", "Valenciennes")
    expect(page.locator("#commune-suggestions [role=option]").first).to_contain_text("Valenciennes")
    page.keyboard.press("Enter")  # the best suggestion, without arrowing
    wait_for_answer(page)
    expect(page.locator("#mission-approx")).to_be_visible()
    expect(page.locator("#mission-approx")).to_have_text(APPROXIMATE)
    assert "antenne de Valenciennes" in page.inner_text("#mission-nom")


def test_use_my_location(open_page, client):
    page = open_page(geolocation=ARRAS)
    page.get_by_role("button", name="Utiliser ma position").click()
    wait_for_answer(page)
    expected = client.get("/nearest?lon=2.778&lat=50.291&k=3").get_json()  # rounded to 3 decimals by the page
    assert expected["commune"]["nom"] == "Arras"
    assert shown_sites(page) == [site["id"] for site in expected["missions"]]
    expect(page.locator("#origine")).to_have_text("Depuis ta position, à Arras (62)")
    assert svg_paths(page) == 1 + 3 + 1  # outline, three sites, the position


def test_a_position_outside_the_region(open_page):
    page = open_page(geolocation=PARIS)
    page.get_by_role("button", name="Utiliser ma position").click()
    expect(page.locator("#status")).to_have_text(
        "Ta position semble hors des Hauts-de-France : tape le nom de ta commune.")
    expect(page.locator("#resultat")).to_be_hidden()
    # Chromium logs every 4xx answer to fetch(); this one is expected, and the only one
    errors = page.geosvc_seen.console_errors
    assert errors == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
    errors.clear()


def test_the_page_at_360_px(open_page):
    page = open_page(width=360, height=740)
    page.fill("#commune-input", "conde sur l escaut")
    expect(page.locator("#commune-suggestions [role=option]").first).to_contain_text("Condé-sur-l'Escaut")
    assert _horizontal_overflow(page) == 0  # with the suggestions open
    page.keyboard.press("Enter")
    wait_for_answer(page)
    assert _horizontal_overflow(page) == 0
    for selector in ("#commune-input", "#departement-select", "#commune-select", "#locate", "#carte"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign-360.png"), full_page=True)
    assert (ARTIFACTS / "campaign-360.png").stat().st_size > 10_000


def _horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


# WCAG 2.1 contrast of every piece of visible text against its (first opaque) background.
CONTRAST = """() => {
  const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const rgba = s => s.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c;
      if (c[3] > 0) return c.slice(0, 3).map(v => v * c[3] + 255 * (1 - c[3]));  // over white
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join("").trim();
    if (!text || !el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
    if (el.closest(".skip-link")) continue;  // off-screen until focused
    const style = getComputedStyle(el);
    const [l1, l2] = [luminance(rgba(style.color)), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && style.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${el.tagName}.${el.className} "${text.slice(0, 30)}" ${ratio}`);
  }
  return failures;
}"""


def test_every_field_is_labelled_and_the_text_readable(open_page):
    page = open_page()
    page.fill("#commune-input", "valenc")
    expect(page.locator("#commune-suggestions [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    assert page.evaluate(CONTRAST) == []  # including the highlighted suggestion
    page.keyboard.press("Enter")
    wait_for_answer(page)
    assert page.evaluate(CONTRAST) == []  # the card, the approximate note, the map's controls
    for field in ("#commune-input", "#departement-select", "#commune-select"):
        assert page.locator(field).evaluate("el => el.labels.length") == 1, field
    expect(page.get_by_label("Nom ou code postal de ta commune")).to_have_attribute("role", "combobox")
    expect(page.get_by_role("listbox")).to_be_hidden()
