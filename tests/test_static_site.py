"""`geosvc export --site DIR`: the campaign page as static files, served by Debian's nginx (gzip on,
under a sub-path: every URL of the page is relative) with no Python, and used in Chromium.

- the files are what the API serves (the feeds and every commune's own-mission-locale answer, byte
  for byte), the manifest lists them all, the outlines and the grid are the communes' polygons;
- the point rule of static_data.js (node) names the commune the service's GET /nearest names, on
  seeded random points of the region and around it;
- the weights (gzip level 9, Python's gzip module) are within the issue's budgets: first load
  <= 150 KB, the region's search index <= 100 KB; the page fetches nothing else before any
  interaction, the search index on the field's first focus, the names of France only when needed;
- in Chromium: a typo (hazebruck), department -> commune, "use my location" (mocked), a name
  outside the region (paris), a position outside it; no request to another origin, no console error;
- Lighthouse (mobile preset): accessibility and best practices 1.0 (performance printed, not asserted).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from geosvc.campaign import feeds
from geosvc.campaign import site_export as site_module
from geosvc.cli import main
from geosvc.config import PROJECT_ROOT
from geosvc.core.errors import BadRequest
from geosvc.web.state import state_of
from geosvc_tools.site_weights import lighthouse, scores, static_nginx
from tests.browser_support import svg_paths, watch
from tests.conftest import settings_for

STATIC_DATA = PROJECT_ROOT / "geosvc" / "web" / "static" / "static_data.js"
ARTIFACTS = PROJECT_ROOT / "artifacts"
HAZEBROUCK = "59295"
ARRAS = {"longitude": 2.7775, "latitude": 50.2910}
PARIS = {"longitude": 2.3522, "latitude": 48.8566}


def gzip9(body: bytes) -> int:
    """The measure of the budgets: Python's gzip module, level 9."""
    return len(gzip.compress(body, compresslevel=9, mtime=0))


@pytest.fixture(scope="module")
def site(api_url):
    """One build of the real data, in a folder nginx's workers (www-data, as root) may read."""
    scratch = Path(tempfile.mkdtemp(prefix="geosvc-test-site-"))
    scratch.chmod(0o755)
    out = scratch / "site"
    env = {"GEOSVC_DATABASE_URL": api_url, "GEOSVC_READ_DATABASE_URL": settings_for(api_url).read_database_url}
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["export", "--site", str(out)], env=env)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    print(f"\n{result.output}export --site: {elapsed:.1f} s")
    try:
        yield out, result.output
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def manifest(site) -> dict:
    return json.loads((site[0] / "manifest.json").read_bytes())


@pytest.fixture(scope="module")
def site_url(site):
    with static_nginx(site[0]) as url:
        yield url


@pytest.fixture
def open_site(browser, site_url):
    """open_site(geolocation=...) -> the static page loaded from nginx; checked for console errors,
    page errors and requests to any other origin afterwards."""
    contexts, pages = [], []
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(site_url))

    def open_(geolocation: dict | None = None, width: int = 1024):
        options = {"viewport": {"width": width, "height": 900}, "locale": "fr-FR"}
        if geolocation:
            options |= {"geolocation": geolocation, "permissions": ["geolocation"]}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.geosvc_seen = watch(page)
        pages.append(page)
        page.goto(site_url)
        page.wait_for_selector("body.ready", timeout=30_000)
        return page

    yield open_
    try:
        for page in pages:
            seen = page.geosvc_seen
            assert seen.console_errors == [], seen.console_errors
            assert seen.page_errors == []
            assert seen.external_requests(origin) == []
    finally:
        for context in contexts:
            context.close()


def requested(page, site_url: str) -> list[str]:
    """The site's paths the page asked for, in order (the folder itself as index.html)."""
    return [url[len(site_url):].split("?")[0] or "index.html"
            for url in page.geosvc_seen.requests if url.startswith(site_url)]


def wait_for_answer(page):
    expect(page.locator("#status")).to_contain_text("Ta mission locale", timeout=15_000)
    expect(page.locator("#resultat")).to_be_visible()


def km(metres: float) -> str:
    return "à moins de 100 m" if metres < 100 else f"à {metres / 1000:.1f} km".replace(".", ",")


def own_answer(client, code: str) -> dict:
    return client.get(f"/communes/{code}/mission-locale?k=3").get_json()


def assert_card_is(page, answer: dict) -> None:
    """The card shows the answer's own mission locale and its nearest site, as the API says."""
    own = answer["mission_locale"]
    expect(page.locator("#mission-nom")).to_have_text(own["name"])
    expect(page.locator("#mission-distance")).to_have_text(km(own["sites"][0]["distance_m"]))
    assert page.get_attribute("#mission", "data-mission-id") == own["sites"][0]["id"]


# --- the files -----------------------------------------------------------------------------------

def test_the_files_are_what_the_api_serves(site, manifest, app, client):
    out, _ = site
    on_disk = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    listed = [entry["path"] for entry in manifest["files"]]
    assert on_disk == sorted([*listed, "manifest.json"])
    assert not [path for path in out.parent.iterdir() if path.name != "site"]  # no staging folder left
    assert manifest["data"] == client.get("/departements").get_json()["data"]
    for entry in manifest["files"]:
        body = (out / entry["path"]).read_bytes()
        assert entry["bytes"] == len(body) and entry["sha256"] == hashlib.sha256(body).hexdigest(), entry["path"]
        assert entry["gzip"] == gzip9(body), entry["path"]

    # the feeds, through the API: the very bytes
    answers = {entry["api"]: entry["path"] for entry in manifest["files"] if "api" in entry}
    for api in ["/departements"] + [f"/departements/{code}/communes" for code in ("02", "59", "60", "62", "80")]:
        served = client.get(api)
        assert (out / answers[api]).read_bytes() == served.data, api
    assert json.loads((out / answers["/missions"]).read_bytes()) == client.get("/missions").get_json()

    # every commune's own mission locale (k=3): the bytes the service answers, all of them from the
    # worker's table, a sample through the API
    table = state_of(app).nearest.get()
    codes = [path.split("/")[1] for path in listed if path.endswith("/mission-locale.json")]
    assert len(codes) == 3782
    for code in codes:
        assert (out / f"communes/{code}/mission-locale.json").read_bytes() == table.own_encoded(code, 3).body, code
    for code in random.Random(13).sample(codes, 40) + [HAZEBROUCK, "60612", "62041"]:
        api = f"/communes/{code}/mission-locale?k=3"
        assert (out / answers[api]).read_bytes() == client.get(api).data, api


def test_outlines_and_grid_cells_hold_the_communes_polygons(site, manifest, client):
    out, _ = site
    for code in (HAZEBROUCK, "62041", "80001", "02691", "59350"):
        light = json.loads((out / f"communes/{code}/outline.json").read_bytes())
        served = client.get(f"/communes/{code}/outline").get_json()
        assert light["properties"] == served["properties"]
        assert light["geometry"]["type"] == served["geometry"]["type"]
        ours, theirs = _coordinates(light["geometry"]), _coordinates(served["geometry"])
        assert len(ours) == len(theirs)
        assert max(max(abs(a - b) for a, b in zip(p, q, strict=True)) for p, q in zip(ours, theirs, strict=True)) \
            <= 0.5e-5 + 1e-9  # rounded to 5 decimals, no other change

    grid = json.loads((out / "grid/index.json").read_bytes())
    assert grid["cells_per_degree"] == 10 and grid["tolerance_m"] == feeds.POINT_TOLERANCE_M
    assert len(grid["cells"]) == len({*grid["cells"]}) == manifest["weights"]["grid"]["files"] - 1
    # every commune is in the cell of its reference point
    for code in random.Random(7).sample([e["path"].split("/")[1] for e in manifest["files"]
                                         if e["path"].endswith("/outline.json")], 60):
        point = client.get(f"/communes/{code}").get_json()["point"]
        key = f"{int(point['lon'] * 10 // 1)}_{int(point['lat'] * 10 // 1)}"
        cell = json.loads((out / f"grid/{key}.json").read_bytes())
        assert code in [feature["properties"]["code"] for feature in cell["features"]], (code, key)


def _coordinates(geometry: dict) -> list:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [point for polygon in polygons for ring in polygon for point in ring]


POINT_RUNNER = """
const fs = require("fs"), path = require("path");
const S = require(process.argv[1]);
const site = process.argv[2];
const grid = JSON.parse(fs.readFileSync(path.join(site, "grid/index.json"), "utf8"));
const cells = new Set(grid.cells);
const points = JSON.parse(fs.readFileSync(0, "utf8"));
console.log(JSON.stringify(points.map(([lon, lat]) => {
  const key = S.cellKey(lon, lat, grid.cells_per_degree);
  if (!cells.has(key)) return null;
  const cell = JSON.parse(fs.readFileSync(path.join(site, "grid", key + ".json"), "utf8"));
  const found = S.communeAt(cell, lon, lat, grid.tolerance_m);
  return found && found.code;
})));
"""


def test_the_point_rule_of_the_static_page_is_the_services(site, app):
    """static_data.js (point in polygon in a cell, else the nearest within 2 km) names the commune
    GET /nearest names, for positions rounded as the page rounds them (3 decimals)."""
    out, _ = site
    rng = random.Random(2026)
    points = [(round(rng.uniform(1.3, 4.4), 3), round(rng.uniform(48.75, 51.15), 3)) for _ in range(600)]
    # and positions on and near the region's edge: inside, in the 2 km band, beyond it
    points += [(2.545, 51.089), (1.58, 50.73), (1.55, 50.73), (4.23, 49.96), (4.26, 49.96), (2.35, 48.86)]
    ran = subprocess.run(["node", "-e", POINT_RUNNER, str(STATIC_DATA), str(out)], input=json.dumps(points),
                         capture_output=True, text=True, timeout=120, check=True)
    static = json.loads(ran.stdout)
    locator = state_of(app).locator.get()
    service = []
    for lon, lat in points:
        try:
            service.append(feeds.nearest_to_point(locator, lon, lat, 1)["commune"]["code"])
        except BadRequest:
            service.append(None)
    differing = [(point, ours, theirs) for point, ours, theirs in zip(points, static, service, strict=True)
                 if ours != theirs]
    assert sum(code is not None for code in service) > 250  # most of the box is the region
    assert differing == []


def test_the_weights_are_within_the_budgets(site, manifest):
    out, output = site
    weights = manifest["weights"]
    first = weights["first_load"]
    page = (out / "index.html").read_bytes()
    # what the page names (stylesheets and scripts, relative URLs) and the one feed fetched at once
    assert first["paths"] == site_module.first_load_paths(page)
    assert all(not path.startswith(("/", "http:", "https:")) for path in first["paths"])
    assert first["gzip"] == sum(gzip9((out / path).read_bytes()) for path in first["paths"])
    assert first["gzip"] <= site_module.FIRST_LOAD_BUDGET_GZIP == 150_000
    index = weights["search_index"]
    assert index["gzip"] == gzip9((out / "search/index.json").read_bytes()) <= 100_000
    assert weights["outside_names"]["gzip"] == gzip9((out / "search/outside.json").read_bytes())
    assert weights["mission_locale_answers"]["files"] == weights["outlines"]["files"] == 3782
    assert weights["total"]["files"] == len(manifest["files"])
    assert f"{first['gzip']:,} gzip (budget 150,000)" in output
    assert f"{index['gzip']:,} gzip (budget 100,000)" in output
    print(f"\nfirst load {first['gzip']:,} B gzip; search index {index['gzip']:,}; outside names "
          f"{weights['outside_names']['gzip']:,}; total {weights['total']['files']:,} files "
          f"{weights['total']['bytes']:,} B")


class _Outline(HTMLParser):
    """The elements with an id, and the static mode's attributes."""

    def __init__(self):
        super().__init__()
        self.ids, self.body, self.links = [], {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append((tag, attrs["id"]))
        if tag == "body":
            self.body = attrs
        if tag == "a":
            self.links.append(attrs.get("href"))


def test_the_page_is_the_services_page_in_static_mode(site, client):
    out, _ = site
    ours, theirs = _Outline(), _Outline()
    ours.feed((out / "index.html").read_text(encoding="utf-8"))
    theirs.feed(client.get("/").get_data(as_text=True))
    assert ours.ids == theirs.ids
    assert ours.body["data-static"] == "1" and "data-static" not in theirs.body
    assert ours.body["data-autocomplete-url"] == "search/index.json"
    assert ours.body["data-mission-locale-url"] == "communes/CODE/mission-locale.json"
    assert "/docs" in theirs.links and "/docs" not in ours.links  # no API behind a static host


# --- in Chromium, from nginx -----------------------------------------------------------------------

def test_first_load_then_the_search_index_on_first_focus(open_site, site_url, manifest):
    page = open_site()
    page.wait_for_load_state("networkidle")
    first = requested(page, site_url)
    assert sorted(first) == sorted(manifest["weights"]["first_load"]["paths"])
    # the page shows the data's vintage as the service's does (departements.json's data block)
    expect(page.locator("#donnees")).to_contain_text("communes : COG 2026")
    page.focus("#commune-input")
    page.wait_for_load_state("networkidle")
    later = requested(page, site_url)[len(first):]
    assert sorted(later) == ["search/index.json", "static/search_client.js"]
    page.fill("#commune-input", "amiens")  # typed as written: the names of France are not needed
    expect(page.locator("#commune-suggestions [role=option]").first).to_contain_text("Amiens")
    assert "search/outside.json" not in requested(page, site_url)


def test_a_town_typed_with_a_typo(open_site, site_url, client):
    page = open_site()
    page.fill("#commune-input", "hazebruck")
    options = page.locator("#commune-suggestions [role=option]")
    expect(options.first).to_have_text("Hazebrouck – 59190")
    served = client.get("/communes/autocomplete?q=hazebruck&limit=10").get_json()["communes"]
    assert options.all_text_contents() == [f"{c['label']} – {', '.join(c['codesPostaux'])}" for c in served]
    page.keyboard.press("Enter")
    wait_for_answer(page)
    answer = own_answer(client, HAZEBROUCK)
    assert_card_is(page, answer)
    expect(page.locator("#origine")).to_have_text("Depuis Hazebrouck (59)")
    assert svg_paths(page) == 1 + len(answer["mission_locale"]["sites"]) + (answer["nearest_is_own"] is False)
    assert f"communes/{HAZEBROUCK}/mission-locale.json" in requested(page, site_url)


def test_department_then_commune(open_site, client):
    page = open_site()
    page.select_option("#departement-select", "80")
    options = page.locator("#commune-select option")
    expect(options).to_have_count(1 + 771)
    page.select_option("#commune-select", "80001")
    wait_for_answer(page)
    assert_card_is(page, own_answer(client, "80001"))
    expect(page.locator("#origine")).to_have_text("Depuis Abbeville (80)")


def test_use_my_location(open_site, site_url, client):
    page = open_site(geolocation=ARRAS)
    page.get_by_role("button", name="Utiliser ma position").click()
    wait_for_answer(page)
    point = client.get("/nearest?lon=2.778&lat=50.291&k=1").get_json()  # the page rounds to 3 decimals
    code = point["commune"]["code"]
    answer = own_answer(client, code)
    assert_card_is(page, answer)
    expect(page.locator("#origine")).to_have_text(
        f"Depuis ta position, à {answer['commune']['nom']} ({answer['commune']['departement']}) ; "
        "distances mesurées depuis la commune")
    asked = requested(page, site_url)
    assert "grid/index.json" in asked and "grid/27_502.json" in asked  # one cell of 0.1 degree
    assert not [path for path in asked if path.startswith("search/")]


def test_a_position_outside_the_region(open_site):
    page = open_site(geolocation=PARIS)
    page.get_by_role("button", name="Utiliser ma position").click()
    expect(page.locator("#status")).to_have_text(
        "Ta position semble hors des Hauts-de-France : tape le nom de ta commune.")
    expect(page.locator("#resultat")).to_be_hidden()


def test_a_name_outside_the_region(open_site, site_url):
    page = open_site()
    page.fill("#commune-input", "paris")
    note = page.locator("#hors-region")
    expect(note).to_contain_text("Paris (75) n’est pas dans les Hauts-de-France")
    expect(note.get_by_role("link")).to_have_attribute("href", "https://lannuaire.service-public.fr/")
    expect(page.locator("#commune-suggestions")).to_be_hidden()
    assert "search/outside.json" in requested(page, site_url)
    page.fill("#commune-input", "xkqzvw")  # neither here nor elsewhere
    expect(note).to_contain_text("Aucune commune des Hauts-de-France ne correspond à « xkqzvw »")


def test_nginx_sends_the_files_compressed(site_url):
    import urllib.request

    request = urllib.request.Request(site_url + "static/campaign.js", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
        assert answer.headers["Content-Encoding"] == "gzip"
        assert answer.headers["Content-Type"].startswith("application/javascript")


def test_lighthouse(site_url):
    """Mobile preset; accessibility and best practices must be perfect, performance is recorded."""
    ARTIFACTS.mkdir(exist_ok=True)
    found = scores(lighthouse(site_url, report=ARTIFACTS / "static-site-lighthouse.json"))
    print(f"\nlighthouse {found['lighthouse']} ({found['form_factor']}): {found['categories']} {found['metrics']}")
    assert found["categories"]["accessibility"] == 1.0, found["failing"]
    assert found["categories"]["best-practices"] == 1.0, found["failing"]


# --- writing ------------------------------------------------------------------------------------

def test_a_build_replaces_the_previous_one_whole_and_nothing_else(tmp_path):
    out = tmp_path / "site"
    first = [site_module.SiteFile("a.json", b"1"), site_module.SiteFile("b/c.json", b"2"),
             site_module.SiteFile("manifest.json", b'{"format":"geosvc-static-site"}')]
    site_module.write_site(out, first)
    assert (out / "b" / "c.json").read_bytes() == b"2"
    site_module.write_site(out, [site_module.SiteFile("a.json", b"3"), first[2]])
    assert (out / "a.json").read_bytes() == b"3"
    assert not (out / "b").exists()  # the previous build is gone whole
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]  # nothing staged left

    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"...")
    result = CliRunner().invoke(main, ["export", "--site", str(other)])
    assert result.exit_code == 1
    assert "holds no static build" in result.output
    assert (other / "holiday.jpg").exists()


def test_the_widget_of_the_static_build_on_another_site(browser, site_url, client):
    """The static build embeds as the service does: widget.js, told data-frame="widget.html"."""
    from tests.test_widget import host_site  # the host site on its own port (its own origin)

    with host_site() as host:
        host.html = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Association</title><link rel="icon" href="data:,"></head>
<body><h1>Association</h1>
<div data-geosvc-widget data-departement="80"><a href="{site_url}">Trouve ta mission locale</a></div>
<script src="{site_url}widget.js" data-frame="widget.html" async></script>
</body></html>"""
        context = browser.new_context(locale="fr-FR", viewport={"width": 1024, "height": 900})
        try:
            page = context.new_page()
            seen = watch(page)
            page.goto(host.origin + "/")
            inside = page.frame_locator("iframe")
            expect(inside.locator("body.ready")).to_have_count(1, timeout=30_000)
            expect(inside.locator("#departement-select")).to_have_value("80")  # from the frame's URL
            inside.locator("#commune-input").fill("hazebruck")
            expect(inside.locator("#commune-suggestions [role=option]").first).to_have_text("Hazebrouck – 59190")
            inside.locator("#commune-input").press("Enter")
            own = client.get(f"/communes/{HAZEBROUCK}/mission-locale?k=3").get_json()["mission_locale"]
            expect(inside.locator("#mission-nom")).to_have_text(own["name"], timeout=15_000)
            assert seen.console_errors == [] and seen.page_errors == []
        finally:
            context.close()


def test_the_static_answer_has_its_directions_and_passes_axe(open_site, client):
    from tests.test_accessibility import violations

    page = open_site(width=360)
    assert violations(page) == []
    page.fill("#commune-input", "abevile")  # written by ear, matched by the client-side search
    expect(page.locator("#commune-suggestions [role=option]").first).to_contain_text("Abbeville")
    assert violations(page) == []
    page.keyboard.press("Enter")
    wait_for_answer(page)
    site = client.get("/communes/80001/mission-locale?k=3").get_json()["mission_locale"]["sites"][0]
    foot = page.locator("#resultat a[href*='engine=fossgis_osrm_foot']").first
    assert foot.get_attribute("href").endswith(f";{site['lat']},{site['lon']}")  # to the site, from the commune
    expect(page.locator(f"#resultat a[href='geo:{site['lat']},{site['lon']}']").first).to_be_attached()
    page.wait_for_timeout(300)
    assert violations(page) == []
