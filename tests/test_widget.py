"""The embeddable widget (docs/CAMPAIGN.md, "Embedding"): another site pastes
`<div data-geosvc-widget>` and `<script src=".../widget.js">`; widget.js inserts an <iframe> of
`/widget`, which GEOSVC_EMBED_ORIGINS lets that site frame.

The browser tests serve a HOST page from another local port (another origin), with its own
aggressive CSS and its own strict Content-Security-Policy, embedding the live app: the widget
appears, a commune typed with a typo and Enter shows the answer inside the frame, the frame takes
its content's height, no style crosses the frame either way, axe finds nothing inside, and neither
side logs an error. A host whose origin is not listed gets no widget (frame-ancestors).
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from geosvc.config import PROJECT_ROOT, ConfigError, Settings, frame_ancestors
from geosvc.web.security import CONTENT_SECURITY_POLICY
from geosvc.web.state import warm_up
from tests.browser_support import live_server, watch
from tests.conftest import running_app, settings_for
from tests.test_accessibility import AXE, TAGS

ARTIFACTS = PROJECT_ROOT / "artifacts"
HAZEBROUCK = "59295"
FRAME = "iframe"
INITIAL_HEIGHT = 640  # widget.js's, until the frame says its own
MESSAGE = "geosvc-widget:height"

# The host's own style: everything it can reach, loud. None of it may show inside the widget;
# none of the widget's (box-sizing, .panel, .button, .card) may show on the host's elements.
HOST_CSS = """
* { font-size: 40px !important; color: rgb(255, 0, 0) !important; font-family: serif !important;
    line-height: 3 !important; letter-spacing: 3px !important; background-color: rgb(255, 255, 0) !important; }
input, select, button { border: 9px dotted green !important; padding: 30px !important; }
h1, h2, h3, p, ul, li, main, section, footer { margin: 60px !important; }
"""


def host_html(app_url: str, snippet_options: str = "") -> str:
    return f"""<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Association de quartier</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/host.css">
</head>
<body>
  <h1>Notre association</h1>
  <p id="host-text">Besoin d’aide pour ton avenir&nbsp;?</p>
  <a id="before" href="#after">Avant le widget</a>
  <div id="host-box" class="panel button card field">Une boîte de l’association</div>
  <div data-geosvc-widget{snippet_options}><a href="{app_url}/">Trouve ta mission locale</a></div>
  <p id="after">Après le widget</p>
  <script src="{app_url}/widget.js" async></script>
</body>
</html>
"""


class HostSite:
    """A tiny site on 127.0.0.1 (its own port: its own origin): / is the page set in `html`."""

    def __init__(self):
        self.html = ""
        self.csp = ""
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the standard library's name
                path = self.path.split("?")[0]
                body, kind = {"/": (site.html, "text/html"), "/host.css": (HOST_CSS, "text/css")}.get(
                    path, (None, None))
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                if site.csp:
                    self.send_header("Content-Security-Policy", site.csp)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"

    def serve(self, app_url: str, options: str = "") -> str:
        """Serve the host page embedding the app at `app_url`, under a strict CSP of its own that
        allows the widget's script and frame (what a site with a CSP must add). Returns its URL."""
        self.html = host_html(app_url, options)
        self.csp = (f"default-src 'self'; script-src {app_url}; frame-src {app_url}; style-src 'self'; "
                    "img-src 'self' data:; object-src 'none'; base-uri 'none'")
        return self.origin + "/"


@contextlib.contextmanager
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    thread = threading.Thread(target=site.server.serve_forever, name="host-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        thread.join(timeout=10)
        site.server.server_close()


@pytest.fixture(scope="module")
def sites():
    """(allowed host, another host): two sites on their own ports, i.e. two origins."""
    with host_site() as allowed, host_site() as other:
        yield allowed, other


@pytest.fixture(scope="module")
def embed_app(api_url, sites):
    allowed, _ = sites
    with running_app(settings_for(api_url, embed_origins=allowed.origin)) as app:
        yield app


@pytest.fixture(scope="module")
def embed_url(embed_app):
    """The real-data app, whose widget the allowed host (only) may frame, served on a loopback port."""
    warm_up(embed_app)
    with live_server(embed_app) as url:
        yield url


@pytest.fixture
def open_host(browser, sites, embed_url):
    """open_host(options='', allowed=True, app_url=None) -> (page, seen): the host page with the
    widget, loaded. Afterwards: no console error, no page error (on the host or in the frame) and
    no request to a third origin, unless the test says it expects errors (page.expect_errors)."""
    contexts, pages = [], []

    def open_(options: str = "", allowed: bool = True, app_url: str | None = None, **context_options):
        site = sites[0] if allowed else sites[1]
        app_url = app_url or embed_url
        context_options = {"viewport": {"width": 1024, "height": 900}, "locale": "fr-FR"} | context_options
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        seen = watch(page)
        page.geosvc_seen, page.geosvc_origins, page.expect_errors = seen, (site.origin, app_url), False
        pages.append(page)
        page.goto(site.serve(app_url, options))
        return page, seen

    yield open_
    try:
        for page in pages:
            seen = page.geosvc_seen
            if not page.expect_errors:
                assert seen.console_errors == [], seen.console_errors  # CSP violations included
            assert seen.page_errors == []
            assert [url for url in seen.external_requests() if not url.startswith(page.geosvc_origins)] == []
    finally:
        for context in contexts:
            context.close()


def widget_frame(page):
    """The widget's Frame, once its page is ready (departments listed)."""
    frame = page.locator(FRAME).element_handle(timeout=15_000).content_frame()
    frame.wait_for_selector("body.ready", timeout=30_000)
    return frame


def frame_height(page) -> float:
    return page.locator(FRAME).evaluate("frame => frame.getBoundingClientRect().height")


def document_height(frame) -> int:
    return frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")


def wait_for_fit(page, frame) -> float:
    """Wait until the frame is as tall as its document (the resizing has converged); its height."""
    for _ in range(100):
        height = frame_height(page)
        if height == document_height(frame) and height != INITIAL_HEIGHT:
            return height
        page.wait_for_timeout(100)
    raise AssertionError(f"the frame is {frame_height(page)} px, its document {document_height(frame)} px")


def wait_for_refusal(page, seen) -> None:
    """Wait until the browser has refused the frame (it says so on the site's console)."""
    for _ in range(150):
        if any("frame-ancestors" in error for error in seen.console_errors):
            page.wait_for_timeout(300)  # and has put its error page in the frame
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame-ancestors refusal logged: {seen.console_errors}")


def style(target, selector: str, *properties: str) -> dict[str, str]:
    return target.eval_on_selector(
        selector, "(node, names) => Object.fromEntries(names.map(n => [n, getComputedStyle(node)[n]]))",
        list(properties))


def axe_violations(frame, context: str = "document", options: str = "{runOnly: {type: 'tag', values: tags}}"):
    frame.evaluate(AXE.read_text(encoding="utf-8"))  # through DevTools: the frame's CSP does not apply
    found = frame.evaluate(
        f"tags => axe.run({context}, Object.assign({options}, {{resultTypes: ['violations']}}))"
        ".then(result => result.violations.map(v => v.id + ': ' + v.help + ' — ' + v.nodes[0].html))",
        TAGS,
    )
    return found


# --- headers and settings ----------------------------------------------------------------------

def test_by_default_no_site_may_frame_the_widget(client):
    response = client.get("/widget")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY  # frame-ancestors 'none'
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_listed_origins_may_frame_the_widget_and_nothing_else(embed_app, sites):
    allowed, other = sites
    client = embed_app.test_client()
    widget = client.get("/widget")
    csp = widget.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {allowed.origin}")
    assert other.origin not in csp
    assert "X-Frame-Options" not in widget.headers  # it knows no list: the CSP says who may frame
    for path in ("/", "/analyse", "/docs", "/communes/59295", "/widget.js"):
        with client.get(path) as response:
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
            assert response.headers["X-Frame-Options"] == "DENY", path


def test_the_widget_keeps_the_tile_origin_and_any_site_may_be_allowed(make_app, api_url):
    app = make_app(settings_for(api_url, embed_origins="*", tile_url="https://tile.example.org/{z}/{x}/{y}.png",
                                tile_attribution="© example"))
    csp = app.test_client().get("/widget").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.example.org;" in csp and csp.endswith("frame-ancestors *")
    assert "frame-ancestors 'none'" in app.test_client().get("/").headers["Content-Security-Policy"]


def test_the_widget_page_is_the_campaign_ui_compact(client):
    page = client.get("/widget?departement=80").get_data(as_text=True)
    full = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page and "<title>Trouve ta mission locale" in page
    assert 'class="banner"' not in page and 'class="skip-link"' not in page
    assert 'data-departement="80"' in page
    start, end = full.index('<section id="recherche"'), full.index("</main>")
    assert full[start:end] in page  # the same search and card, ids and all
    assert "/static/embed.js" in page and "/static/embed.js" not in full
    # anything but a department code is dropped, never echoed
    for value in ("<script>", "80\" onload=\"x", "999", ""):
        assert 'data-departement=""' in client.get("/widget", query_string={"departement": value}).get_data(
            as_text=True)


def test_widget_js_is_a_cacheable_cross_origin_script(client):
    with client.get("/widget.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # for hosts that pin it (SRI)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["ETag"]
        assert b"data-geosvc-widget" in response.get_data()
        etag = response.headers["ETag"]
    with client.get("/widget.js", headers={"If-None-Match": etag}) as revalidated:
        assert revalidated.status_code == 304


@pytest.mark.parametrize(("raw", "expected"), [
    ("", "'none'"),
    (" https://campagne.example.fr/ ", "https://campagne.example.fr"),
    ("https://a.fr,http://localhost:8080,https://a.fr", "https://a.fr http://localhost:8080"),
    ("https://*.example.fr", "https://*.example.fr"),
    ("https://a.fr,*", "*"),
])
def test_embed_origins_become_frame_ancestors(raw, expected):
    assert frame_ancestors(raw) == expected
    assert Settings.from_env({"GEOSVC_EMBED_ORIGINS": raw}).embed_origins == raw


@pytest.mark.parametrize("raw", ["campagne.example.fr", "https://a.fr/page", "https://a.fr; script-src *",
                                 "'self'", "https://a.fr 'unsafe-inline'", "javascript:alert(1)", "https://*"])
def test_a_bad_embed_origin_stops_the_start_naming_the_variable(raw):
    with pytest.raises(ConfigError, match="GEOSVC_EMBED_ORIGINS"):
        Settings.from_env({"GEOSVC_EMBED_ORIGINS": raw})


# --- in Chromium: a host page on another origin ------------------------------------------------

def test_the_widget_on_another_site_answers_inside_its_frame(open_host, client):
    page, seen = open_host()
    frame = widget_frame(page)
    iframe = page.locator(FRAME)
    expect(iframe).to_have_attribute("title", "Trouve ta mission locale")
    assert page.locator("[data-geosvc-widget] > a").count() == 0  # the fallback link replaced
    empty_height = wait_for_fit(page, frame)
    assert 200 < empty_height < 1500
    assert frame.evaluate("document.documentElement.lang") == "fr"

    # from the host's link, the keyboard goes on into the widget's field
    page.focus("#before")
    page.keyboard.press("Tab")
    assert frame.evaluate("document.activeElement.id") == "commune-input"
    page.keyboard.type("hazebruck")  # a typo
    inside = page.frame_locator(FRAME)
    expect(inside.locator("#commune-suggestions [role=option]").first).to_have_text("Hazebrouck – 59190")
    page.keyboard.press("Enter")
    expect(inside.locator("#resultat")).to_be_visible(timeout=15_000)
    own = client.get(f"/communes/{HAZEBROUCK}/mission-locale?k=3").get_json()["mission_locale"]
    expect(inside.locator("#mission-nom")).to_have_text(own["name"])
    expect(inside.locator("#status")).to_contain_text("Ta mission locale")

    # the frame grew to the answer: no scrolling inside it, the host's page scrolls instead
    answered_height = wait_for_fit(page, frame)
    assert answered_height > empty_height + 300
    assert frame.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight")
    expect(page.locator("#after")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-on-a-host.png"), full_page=True)

    # a message of the right shape from anything else than the widget's frame changes nothing
    # (a listener added now runs after widget.js's: when it has the message, widget.js has had it)
    page.evaluate("""type => new Promise(done => {
        addEventListener('message', event => { if (event.data.height === 300) done(); });
        window.postMessage({type: type, height: 300}, '*');
    })""", MESSAGE)
    assert frame_height(page) == answered_height
    assert seen.requests and all(url.startswith(page.geosvc_origins) for url in seen.requests)

    # what the frame logs or throws is seen (so the checks after the test cover both sides)
    frame.evaluate("console.error('geosvc probe'); setTimeout(() => { throw new Error('geosvc probe') })")
    for _ in range(50):
        if seen.console_errors and seen.page_errors:
            break
        page.wait_for_timeout(100)
    assert seen.console_errors == ["geosvc probe"] and seen.page_errors == ["geosvc probe"]
    seen.console_errors.clear()
    seen.page_errors.clear()


def test_no_style_crosses_the_frame(open_host):
    page, _ = open_host()
    frame = widget_frame(page)
    # the host's CSS is all over the host's page...
    assert style(page, "#host-text", "fontSize", "color", "fontFamily") == {
        "fontSize": "40px", "color": "rgb(255, 0, 0)", "fontFamily": "serif"}
    # ...and nowhere in the widget
    field = style(frame, "#commune-input", "fontSize", "color", "fontFamily", "borderTopStyle", "paddingTop",
                  "letterSpacing")
    assert field["fontSize"] == "16px" and field["color"] == "rgb(27, 27, 27)"
    assert field["fontFamily"] != "serif" and "system-ui" in field["fontFamily"]
    assert field["borderTopStyle"] == "solid" and field["paddingTop"] == "8px" and field["letterSpacing"] == "normal"
    heading = style(frame, "#recherche-titre", "color", "marginTop", "backgroundColor")
    assert heading == {"color": "rgb(27, 27, 27)", "marginTop": "0px", "backgroundColor": "rgba(0, 0, 0, 0)"}
    assert style(frame, "body", "backgroundColor")["backgroundColor"] == "rgb(255, 255, 255)"
    # the widget's CSS (box-sizing on *, .panel, .button, .card, .field) reaches no host element
    host_box = style(page, "#host-box", "boxSizing", "borderTopLeftRadius", "borderLeftWidth", "paddingTop",
                     "marginBottom", "minHeight", "fontWeight")
    assert host_box == {"boxSizing": "content-box", "borderTopLeftRadius": "0px", "borderLeftWidth": "0px",
                        "paddingTop": "0px", "marginBottom": "0px", "minHeight": "0px", "fontWeight": "400"}
    assert style(page, "body", "margin")["margin"] == "8px"  # the browser's, not the widget's 0


def test_options_preselect_a_department_and_fix_the_height(open_host):
    page, _ = open_host(' data-departement="80" data-title="Mission locale : le widget"')
    frame = widget_frame(page)
    inside = page.frame_locator(FRAME)
    expect(page.locator(FRAME)).to_have_attribute("title", "Mission locale : le widget")
    expect(inside.locator("#departement-select")).to_have_value("80")
    expect(inside.locator("#commune-select option")).to_have_count(1 + 771)
    expect(inside.locator("#commune-select")).to_be_enabled()
    wait_for_fit(page, frame)

    fixed, _ = open_host(' data-height="300" data-geolocation="off"')
    frame = widget_frame(fixed)
    fixed.wait_for_timeout(500)  # messages would have arrived
    assert frame_height(fixed) == 300  # fixed: the frame scrolls inside
    assert document_height(frame) > 300
    assert fixed.locator(FRAME).get_attribute("allow") is None
    expect(fixed.frame_locator(FRAME).locator("#locate")).to_be_hidden()  # no position without the grant
    expect(inside.locator("#locate")).to_be_visible()  # the first one: allow="geolocation"


def test_a_div_added_later_gets_its_own_frame(open_host):
    page, _ = open_host()
    widget_frame(page)
    page.evaluate("""() => {
        const div = document.createElement('div');
        div.dataset.geosvcWidget = '';
        div.dataset.departement = '02';
        document.body.appendChild(div);
        GeosvcWidget.mount();
        GeosvcWidget.mount();  // once per div
    }""")
    expect(page.locator(FRAME)).to_have_count(2)
    second = page.locator(FRAME).nth(1).element_handle().content_frame()
    second.wait_for_selector("body.ready", timeout=30_000)
    expect(page.frame_locator(f"{FRAME} >> nth=1").locator("#departement-select")).to_have_value("02")
    expect(page.frame_locator(f"{FRAME} >> nth=0").locator("#departement-select")).to_have_value("")
    # each frame sized to its own document, the second one although it is out of view (below the
    # first one), where Chromium pauses the rendering of a cross-origin frame
    assert not page.locator(FRAME).nth(1).evaluate(
        "f => f.getBoundingClientRect().top < innerHeight")
    for _ in range(100):
        if page.locator(FRAME).nth(1).evaluate("f => f.getBoundingClientRect().height") == document_height(second):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the second frame was not resized (a frame out of view too)")


def test_the_widget_on_a_phone(open_host):
    """A 360 px phone: the frame is the site's column (344 px here), and nothing scrolls sideways."""
    page, _ = open_host(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    frame = widget_frame(page)
    inside = page.frame_locator(FRAME)
    inside.locator("#commune-input").fill("abevile")
    expect(inside.locator("#commune-suggestions [role=option]").first).to_have_text("Abbeville – 80100")
    inside.locator("#commune-input").press("Enter")
    expect(inside.locator("#resultat")).to_be_visible(timeout=15_000)
    wait_for_fit(page, frame)
    assert frame.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_the_position_works_inside_the_frame(open_host, client):
    page, _ = open_host(geolocation={"longitude": 2.7775, "latitude": 50.2910}, permissions=["geolocation"])
    widget_frame(page)
    inside = page.frame_locator(FRAME)
    inside.get_by_role("button", name="Utiliser ma position").click()
    expect(inside.locator("#resultat")).to_be_visible(timeout=15_000)
    expect(inside.locator("#origine")).to_contain_text("Depuis ta position, à Arras")


def test_a_site_that_is_not_listed_gets_no_widget(open_host):
    page, seen = open_host(allowed=False)
    page.expect_errors = True
    handle = page.locator(FRAME).element_handle(timeout=15_000)
    wait_for_refusal(page, seen)
    frame = handle.content_frame()
    assert frame.locator("#commune-input").count() == 0  # the browser refused to render it
    assert not frame.url.startswith("http")  # Chromium's error page
    assert any("frame-ancestors" in error for error in seen.console_errors), seen.console_errors
    assert all("frame-ancestors" in error for error in seen.console_errors), seen.console_errors


def test_the_default_setting_lets_no_site_frame_it(open_host, live_url):
    """The session's app has no GEOSVC_EMBED_ORIGINS: frame-ancestors 'none' for every host."""
    page, seen = open_host(app_url=live_url)
    page.expect_errors = True
    handle = page.locator(FRAME).element_handle(timeout=15_000)
    wait_for_refusal(page, seen)
    assert handle.content_frame().locator("#commune-input").count() == 0
    assert any("frame-ancestors 'none'" in error for error in seen.console_errors), seen.console_errors


# --- accessibility inside the widget (axe-core, as tests/test_accessibility.py) ---------------

def test_axe_finds_nothing_in_the_widget_empty_and_with_an_answer(open_host):
    page, _ = open_host()
    frame = widget_frame(page)
    assert axe_violations(frame) == []
    inside = page.frame_locator(FRAME)
    inside.locator("#commune-input").fill("senlis")
    expect(inside.locator("#commune-suggestions [role=option]").first).to_be_visible()
    assert axe_violations(frame) == []  # suggestions open
    inside.locator("#commune-input").press("Enter")
    expect(inside.locator("#resultat")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(300)  # the map draws after the card
    assert axe_violations(frame) == []
    # the host's side of it: the frame has a title, unique (the host's own page is its business)
    assert axe_violations(page.main_frame, "document",
                          "{runOnly: {type: 'rule', values: ['frame-title', 'frame-title-unique']}, "
                          "iframes: false}") == []
