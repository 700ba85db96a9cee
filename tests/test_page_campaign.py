"""The campaign page `/` in headless Chromium (Debian's), against the live app on the real data.

Every test also checks that the page logged no console error (a Content-Security-Policy
violation is one), threw nothing, and asked nothing of any other host (no CDN, no tiles unless
a tile server is configured, and then only that one). Expected values come from the API's own
answers (`GET /communes/{code}/mission-locale`), not from figures written here.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from geosvc.config import PROJECT_ROOT
from geosvc.web.security import CONTENT_SECURITY_POLICY
from tests.browser_support import TILE_PATH, live_server, svg_paths, tile_server, watch
from tests.conftest import running_app, settings_for

ARTIFACTS = PROJECT_ROOT / "artifacts"
HAZEBROUCK, HAZEBROUCK_SITE = "59295", "mission_locale-59295-01"
SENLIS, GOUVIEUX = "60612", "60282"
ARRAS = {"longitude": 2.7775, "latitude": 50.2910}
PARIS = {"longitude": 2.3522, "latitude": 48.8566}
APPROXIMATE = "adresse approximative : position de la commune"
PARIS_TIME = ZoneInfo("Europe/Paris")


@pytest.fixture
def open_page(browser, live_url):
    """open_page(width=..., geolocation=..., clock=..., base=..., allowed=...) -> a loaded page;
    checked for errors afterwards. `clock`: a Paris wall-clock time ('2026-11-27 10:00') the
    page's Date is fixed at; `base`: another live app; `allowed`: origins besides the page's it
    may ask (a tile server)."""
    contexts, pages = [], []

    def open_(width: int = 1024, height: int = 900, geolocation: dict | None = None, clock: str | None = None,
              base: str | None = None, allowed: tuple[str, ...] = ()):
        options = {"viewport": {"width": width, "height": height}, "locale": "fr-FR"}
        if geolocation:
            options |= {"geolocation": geolocation, "permissions": ["geolocation"]}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.geosvc_seen = watch(page)
        page.geosvc_allowed = (base or live_url, *allowed)
        pages.append(page)
        if clock:
            set_clock(page, clock)
        page.goto(f"{base or live_url}/")
        page.wait_for_selector("body.ready", timeout=30_000)
        return page

    yield open_
    try:
        for page in pages:
            seen = page.geosvc_seen
            assert seen.console_errors == [], seen.console_errors  # CSP violations show up here
            assert seen.page_errors == []
            outside = [url for url in seen.external_requests() if not url.startswith(page.geosvc_allowed)]
            assert outside == []
    finally:
        for context in contexts:
            context.close()


def set_clock(page, paris_time: str) -> None:
    """Fix the page's Date at a Paris wall-clock time (timers keep running)."""
    page.clock.set_fixed_time(dt.datetime.fromisoformat(paris_time).replace(tzinfo=PARIS_TIME))


def wait_for_answer(page):
    expect(page.locator("#status")).to_contain_text("Ta mission locale", timeout=15_000)
    expect(page.locator("#resultat")).to_be_visible()


def km(metres: float) -> str:
    """The page's distance text."""
    return "à moins de 100 m" if metres < 100 else f"à {metres / 1000:.1f} km".replace(".", ",")


def shown_sites(page) -> list[str]:
    """The card's site, then the other sites listed below it."""
    first = page.get_attribute("#mission", "data-mission-id")
    return [first] + [item.get_attribute("data-mission-id") for item in page.locator("#autres li").all()]


def own_answer(client, code: str) -> dict:
    return client.get(f"/communes/{code}/mission-locale?k=3").get_json()


def map_markers(answer: dict, here: bool = False) -> int:
    """SVG paths the map should draw: the outline, the own sites, the nearer site of another
    mission locale, the position."""
    other = answer["nearest_is_own"] is False
    return 1 + len(answer["mission_locale"]["sites"]) + other + here


def pick(page, typed: str, label: str | None = None) -> None:
    """Type a commune's name and take the suggestion starting with `label` (the first one by
    default) with the keyboard."""
    page.fill("#commune-input", typed)
    options = page.locator("#commune-suggestions [role=option]")
    expect(options.first).to_be_visible()
    if label is not None:
        texts = options.all_text_contents()
        position = next(i for i, text in enumerate(texts) if text.startswith(label))
        for _ in range(position + 1):
            page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_for_answer(page)


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

    answer = own_answer(client, HAZEBROUCK)
    own = answer["mission_locale"]
    assert own["sites"][0]["id"] == HAZEBROUCK_SITE
    assert shown_sites(page) == [site["id"] for site in own["sites"]]
    expect(page.locator("#mission-nom")).to_have_text(own["name"])
    expect(page.locator("#mission-distance")).to_have_text(km(own["sites"][0]["distance_m"]))
    expect(page.locator("#mission-adresse")).to_contain_text(own["sites"][0]["address"])
    expect(page.locator("#mission-approx")).to_be_hidden()
    expect(page.locator("#origine")).to_have_text("Depuis Hazebrouck (59)")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    assert svg_paths(page) == map_markers(answer)  # the outline and the sites, without any tile

    # on with the keyboard alone: Tab reaches the card's links, the directions included
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#itineraire')"):
            break
    focused = page.evaluate("document.activeElement.href")
    assert focused.startswith("https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus ring


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
    own = own_answer(client, "80001")["mission_locale"]
    assert shown_sites(page)[0] == own["sites"][0]["id"] == "mission_locale-80001-01"
    expect(page.locator("#mission-distance")).to_have_text(km(own["sites"][0]["distance_m"]))


def test_senlis_gets_its_own_mission_locale_first(open_page, client):
    """Senlis (60612) belongs to Oise Sud by the union's zones: that one comes first, whichever
    site is nearest; the page says what the answer says, hours unknown included."""
    answer = own_answer(client, SENLIS)
    own = answer["mission_locale"]
    assert own["code"] == "60176" and "Oise Sud" in own["name"]
    page = open_page()
    page.select_option("#departement-select", "60")
    expect(page.locator("#commune-select")).to_be_enabled()
    page.select_option("#commune-select", SENLIS)
    wait_for_answer(page)
    expect(page.locator("#resultat-titre")).to_have_text("Ta mission locale")
    expect(page.locator("#mission-nom")).to_have_text(own["name"])
    assert page.get_attribute("#mission", "data-mission-locale") == own["code"]
    assert shown_sites(page) == [site["id"] for site in own["sites"]]
    first = own["sites"][0]
    expect(page.locator("#mission-distance")).to_have_text(km(first["distance_m"]))
    if first["location_precision"] == "commune":
        expect(page.locator("#mission-approx")).to_be_visible()
    if first["hours"] is None:
        expect(page.locator("#mission-ouvert")).to_contain_text("Horaires non connus")
        expect(page.locator("#mission-horaires")).to_be_hidden()
    if first["accessibility"] is None:
        expect(page.locator("#mission-acces")).to_have_text("Accessibilité non connue.")
    note = page.locator("#plus-proche")
    if answer["nearest_is_own"]:
        expect(note).to_be_hidden()
    else:  # the nearest site is another mission locale's: said, and Oise Sud still first
        expect(note).to_contain_text(km(answer["nearest"][0]["distance_m"]))
    assert svg_paths(page) == map_markers(answer)


def test_the_nearest_site_of_another_mission_locale_is_said_in_one_sentence(open_page, client):
    answer = own_answer(client, GOUVIEUX)
    assert answer["nearest_is_own"] is False  # Gouvieux: Oise Sud's; Creil's site is nearer
    nearest, own = answer["nearest"][0], answer["mission_locale"]
    assert nearest["mission_locale"] != own["code"]
    page = open_page()
    pick(page, "Gouvieux")
    expect(page.locator("#mission-nom")).to_have_text(own["name"])
    assert shown_sites(page)[0] == own["sites"][0]["id"]
    whose = nearest["mission_locale_name"]
    assert whose.startswith("Mission locale ")
    where = "" if nearest["city"] in whose else f" (à {nearest['city']})"
    expect(page.locator("#plus-proche")).to_have_text(
        f"Le site le plus proche, {km(nearest['distance_m'])}, est celui de la mission locale "
        f"{whose[len('Mission locale '):]}{where} ; c’est ta mission locale qui t’accompagne.")
    assert page.get_attribute("#plus-proche", "data-mission-id") == nearest["id"]
    assert svg_paths(page) == map_markers(answer)  # the other mission locale's site is on the map too


@pytest.mark.parametrize(("when", "expected"), [
    ("2026-11-27 10:00", "Ouvert maintenant (jusqu’à 12 h)"),  # a Friday morning
    ("2026-11-27 12:30", "Fermé — ouvre aujourd’hui à 13 h 30"),
    ("2026-11-28 10:00", "Fermé — ouvre lundi à 8 h 30"),  # Saturday: no hours that day
    ("2026-03-30 08:40", "Ouvert maintenant (jusqu’à 12 h)"),  # the day after the change to summer time
])
def test_opening_hours_with_a_fixed_clock(open_page, client, when, expected):
    site = own_answer(client, HAZEBROUCK)["mission_locale"]["sites"][0]
    # the record these expectations are written for (they say so if it changes)
    assert site["hours"]["days"] == {day: [["08:30", "12:00"], ["13:30", "17:30"]]
                                     for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi")}
    page = open_page(clock=when)
    pick(page, "Hazebrouck")
    expect(page.locator("#mission-ouvert")).to_have_text(expected)
    expect(page.locator("#mission-horaires li")).to_have_text(
        ["du lundi au vendredi : 8 h 30 – 12 h et 13 h 30 – 17 h 30"])
    record_year = site["record_date"][:4]
    expect(page.locator("#mission-horaires-notes")).to_contain_text(f"Horaires relevés en {record_year}")
    # Hazebrouck's address is the union's own of January 2026 (confirmed): no warning on it
    assert site["confirmed"] is True
    expect(page.locator("#mission-date")).to_be_hidden()


def test_contact_links_and_accessibility(open_page, client):
    site = own_answer(client, HAZEBROUCK)["mission_locale"]["sites"][0]
    page = open_page()
    pick(page, "Hazebrouck")
    contact = page.locator("#mission-contact")
    digits = "".join(c for c in site["phone"] if c.isdigit())
    expect(contact.get_by_role("link", name=site["phone"])).to_have_attribute("href", "tel:+33" + digits[1:])
    expect(contact.get_by_role("link", name=site["email"])).to_have_attribute("href", "mailto:" + site["email"])
    website = contact.get_by_role("link", name="(nouvel onglet)")
    expect(website).to_have_attribute("href", site["website"])
    assert site["accessibility"] == "ACC"
    expect(page.locator("#mission-acces")).to_have_text(
        "Accès : le lieu est indiqué accessible aux personnes à mobilité réduite "
        f"(fiche de l’annuaire, {site['record_date'][:4]}).")


def test_directions_links(open_page, client):
    answer = own_answer(client, HAZEBROUCK)
    point, site = answer["commune"]["point"], answer["mission_locale"]["sites"][0]
    origin, target = f"{point['lat']},{point['lon']}", f"{site['lat']},{site['lon']}"
    page = open_page()
    pick(page, "Hazebrouck")
    links = page.locator("#itineraire a")
    expected = [
        ("À pied", f"https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route={origin};{target}"),
        ("À vélo", f"https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike&route={origin};{target}"),
        ("En voiture", f"https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&route={origin};{target}"),
        ("En transports en commun",
         f"https://www.google.com/maps/dir/?api=1&destination={target}&travelmode=transit"),
        ("Dans l’appli de cartes de ton téléphone", f"geo:{target}"),
    ]
    assert [link.get_attribute("href") for link in links.all()] == [href for _, href in expected]
    for text, href in expected:
        link = page.locator(f'#itineraire a[href="{href}"]')
        if href.startswith("https://"):
            # a new tab, said to screen readers; no opener, no referrer (the page's policy)
            expect(link).to_have_accessible_name(f"{text} (nouvel onglet)")
            expect(link).to_have_attribute("target", "_blank")
            assert "noopener" in link.get_attribute("rel").split()
        else:
            expect(link).to_have_accessible_name(text)
            assert link.get_attribute("target") is None


def test_an_approximate_and_old_address_is_said(open_page, client):
    answer = own_answer(client, "59606")  # Valenciennes
    site = answer["mission_locale"]["sites"][0]
    assert site["location_precision"] == "commune" and not site["confirmed"]
    assert site["record_date"][:7] < answer["zone"]["month"]
    page = open_page()
    page.fill("#commune-input", "Valenciennes")
    expect(page.locator("#commune-suggestions [role=option]").first).to_contain_text("Valenciennes")
    page.keyboard.press("Enter")  # the best suggestion, without arrowing
    wait_for_answer(page)
    expect(page.locator("#mission-approx")).to_be_visible()
    expect(page.locator("#mission-approx")).to_have_text(APPROXIMATE)
    expect(page.locator("#mission-site")).to_have_text("Site : " + site["name"])
    expect(page.locator("#mission-date")).to_have_text(
        f"Adresse relevée en {site['record_date'][:4]}, "
        + ("appelle avant de te déplacer." if site["phone"] else "vérifie-la avant de te déplacer."))


def test_several_or_no_own_mission_locale_is_said_as_the_data_says(open_page, client):
    """No commune of the region has either today: the answers are the API's, edited in flight."""
    real = own_answer(client, HAZEBROUCK)
    other = own_answer(client, "62765")["mission_locale"]  # Saint-Omer's, as a second one
    several = real | {"also": [other]}
    none = real | {"mission_locale": None, "also": [], "nearest_is_own": None}
    page = open_page()
    served = {"body": several}
    page.route(f"**/communes/{HAZEBROUCK}/mission-locale?*", lambda route: route.fulfill(json=served["body"]))

    pick(page, "Hazebrouck")
    expect(page.locator("#zone-note")).to_contain_text(
        f"Hazebrouck est rattachée à plusieurs missions locales : {real['mission_locale']['name']}, {other['name']}")
    expect(page.locator("#zone-note")).to_contain_text("(janvier 2026)")
    expect(page.locator("#mission-nom")).to_have_text(real["mission_locale"]["name"])
    expect(page.locator("#autres-titre")).to_have_text("Les autres sites de ces missions locales")
    assert shown_sites(page) == [s["id"] for s in real["mission_locale"]["sites"] + other["sites"]]

    served["body"] = none
    page.fill("#commune-input", "")
    page.fill("#commune-input", "Hazebrouck")
    expect(page.locator("#commune-suggestions [role=option]").first).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#resultat-titre")).to_have_text("Le site le plus proche")
    expect(page.locator("#status")).to_have_text(
        "Aucune mission locale n’est rattachée à ta commune dans nos données : voici le site le plus proche.")
    expect(page.locator("#zone-note")).to_contain_text("aucune mission locale n’est rattachée à Hazebrouck")
    assert shown_sites(page) == [s["id"] for s in real["nearest"]]  # the nearest sites, none called theirs
    expect(page.locator("#mission-nom")).to_have_text(real["nearest"][0]["mission_locale_name"])
    expect(page.locator("#autres-titre")).to_have_text("Les sites suivants")
    expect(page.locator("#plus-proche")).to_be_hidden()


def test_use_my_location(open_page, client):
    page = open_page(geolocation=ARRAS)
    page.get_by_role("button", name="Utiliser ma position").click()
    wait_for_answer(page)
    point = client.get("/nearest?lon=2.778&lat=50.291&k=1").get_json()  # rounded to 3 decimals by the page
    assert point["commune"]["nom"] == "Arras"
    answer = own_answer(client, point["commune"]["code"])
    assert shown_sites(page) == [site["id"] for site in answer["mission_locale"]["sites"]]
    expect(page.locator("#mission-nom")).to_have_text(answer["mission_locale"]["name"])
    expect(page.locator("#origine")).to_have_text(
        "Depuis ta position, à Arras (62) ; distances mesurées depuis la commune")
    site = answer["mission_locale"]["sites"][0]
    expect(page.locator("#itineraire a").first).to_have_attribute(
        "href", f"https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=50.291,2.778;"
                f"{site['lat']},{site['lon']}")  # from the (rounded) position
    assert svg_paths(page) == map_markers(answer, here=True)


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
    for selector in ("#commune-input", "#departement-select", "#commune-select", "#locate", "#mission",
                     "#itineraire", "#carte"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign-360.png"), full_page=True)
    assert (ARTIFACTS / "campaign-360.png").stat().st_size > 10_000


def test_the_page_at_1280_px(open_page, client):
    page = open_page(width=1280, height=900, clock="2026-11-27 10:00")
    pick(page, "Bailleul", "Bailleul (59)")  # a full card: hours, contacts, another mission locale's site nearer
    assert _horizontal_overflow(page) == 0
    expect(page.locator("#plus-proche")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign_1280.png"), full_page=True)
    assert (ARTIFACTS / "campaign_1280.png").stat().st_size > 10_000


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


def test_the_full_card_is_readable(open_page):
    page = open_page(clock="2026-11-27 10:00")  # open: the green state
    pick(page, "Bailleul", "Bailleul (59)")
    expect(page.locator("#mission-ouvert")).to_have_class("open-state open")
    expect(page.locator("#plus-proche")).to_be_visible()
    assert page.evaluate(CONTRAST) == []  # hours, contacts, directions, the other mission locale's note


# --- the optional tile layer ------------------------------------------------------------------

ATTRIBUTION = ('© <a href="https://www.openstreetmap.org/copyright">les contributeurs d’OpenStreetMap</a>'
               '<img src="x"><script>document.title = "pwned"</script>')


@pytest.fixture(scope="module")
def tiles(api_url):
    """A local tile server, and the real-data app configured with it (GEOSVC_TILE_URL), served."""
    from geosvc.web.state import warm_up

    with tile_server() as server:
        settings = settings_for(api_url, tile_url=server.url, tile_attribution=ATTRIBUTION)
        with running_app(settings) as app:
            warm_up(app)
            with live_server(app) as url:
                yield server, app, url


def test_tiles_come_from_the_configured_server_only_and_the_csp_allows_it(open_page, tiles):
    server, app, url = tiles
    csp = app.test_client().get("/").headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives["img-src"] == f"'self' data: {server.origin}"  # that origin, in img-src alone
    assert csp.count(server.origin) == 1
    assert csp == CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {server.origin}")

    server.requested.clear()
    page = open_page(base=url, allowed=(server.origin,))
    pick(page, "Hazebrouck")
    tile_images = page.locator(".leaflet-tile-pane img.leaflet-tile")
    expect(tile_images.first).to_be_attached()
    page.wait_for_function("() => [...document.querySelectorAll('.leaflet-tile-pane img')]"
                           ".some(img => img.complete && img.naturalWidth === 256)")
    asked = [u for u in page.geosvc_seen.requests if u.startswith(server.origin)]
    assert asked and all(u.endswith(".png") for u in asked)
    assert server.requested and all(TILE_PATH.match(path) for path in server.requested)
    # the attribution: its link kept, opening in a new tab; the image and the script dropped
    attribution = page.locator(".leaflet-control-attribution")
    expect(attribution.get_by_role("link", name="les contributeurs d’OpenStreetMap")).to_have_attribute(
        "href", "https://www.openstreetmap.org/copyright")
    assert attribution.locator("img, script").count() == 0
    assert page.title() != "pwned"
    # the page's console is checked by open_page: no CSP violation, no failed image


@pytest.mark.parametrize("value", [
    "ftp://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/{z}/{x}.png", "tiles.example.org/{z}/{x}/{y}",
    "https://user:secret@tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/{z}/{x}/{y}.png; script-src *",
    "https://tiles.example.org/{z}/{x}/{y}.png 'unsafe-inline'",
])
def test_a_bad_tile_url_stops_the_start_naming_the_variable(value):
    from geosvc.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="GEOSVC_TILE_URL"):
        Settings.from_env({"GEOSVC_TILE_URL": value, "GEOSVC_TILE_ATTRIBUTION": "© x"})


def test_tiles_need_their_attribution_and_subdomains_become_a_wildcard():
    from geosvc.config import ConfigError, Settings
    from geosvc.web.security import security_headers

    with pytest.raises(ConfigError, match="GEOSVC_TILE_ATTRIBUTION"):
        Settings.from_env({"GEOSVC_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"})
    settings = Settings.from_env({"GEOSVC_TILE_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png",
                                  "GEOSVC_TILE_ATTRIBUTION": "© example"})
    csp = security_headers(settings)["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.example.org;" in csp
    assert security_headers(Settings())["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_without_the_setting_no_tile_and_no_other_origin(open_page, client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "img-src 'self' data:;" in csp and "http" not in csp
    page = open_page()
    pick(page, "Hazebrouck")
    assert page.locator(".leaflet-tile-pane img").count() == 0
    assert page.locator("#carte.tiled").count() == 0
    assert page.get_attribute("body", "data-tile-url") == ""
    # and open_page checks that nothing was asked of any other host
