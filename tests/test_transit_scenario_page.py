"""The TER part of a scenario on the analyst page /analyse ("Accès en TER"), in headless Chromium.

The Montdidier antenne of Noyon's mission locale (tests/test_transit_scenario.py) is run from the
page's form; what the section shows is checked against the API's `ter` for the very body the page
sent (posted again with the Flask client), written the French way by a formatter of this file. On
the synthetic data (no TER timetable) the section gives way to the API's reason, in French.
"""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser_support import live_server, watch

# the antenne of tests/test_transit_scenario.py: Noyon's mission locale (60471) at Montdidier
MONTDIDIER = {"name": "Antenne de Montdidier", "lon": 2.5633736, "lat": 49.6472, "mission_locale": "60471"}
NBSP, NNBSP = "\u00a0", "\u202f"
MODES = {"walk": "à pied", "bike": "à vélo"}
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def french(value: float, decimals: int = 0, signed: bool = False) -> str:
    """Narrow no-break space between thousands, decimal comma; a sign on a change (none on zero)."""
    digits = f"{abs(value):.{decimals}f}"
    whole, _, fraction = digits.partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    zero = float(digits) == 0
    sign = "" if zero else "-" if value < 0 else "+" if signed else ""
    return sign + NNBSP.join(groups) + ("," + fraction if fraction else "")


def change(figures: dict) -> str:
    """A share's change: "34,2 % → 34,3 % (+0,1 pt)"."""
    def pct(share):
        return french(share * 100, 1) + NBSP + "%"

    return (f"{pct(figures['current'])} → {pct(figures['scenario'])} "
            f"({french(figures['delta'] * 100, 1, signed=True)}{NBSP}pt)")


def minutes_text(journey: dict | None) -> str:
    if journey is None:
        return "sans site"
    return "pas de trajet" if journey["minutes"] is None else f"{french(journey['minutes'])}{NBSP}min"


def long_date(iso: str) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def open_analyse(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.geosvc_seen = watch(page)
    page.goto(f"{base_url}/analyse")
    page.wait_for_selector("body.ready", timeout=30_000)
    return context, page


def run_scenario(page, site: dict) -> dict:
    """Adds `site` through the form and runs the scenario; the JSON body the page posted."""
    page.fill("#add-form input[name=name]", site["name"])
    page.fill("#add-form input[name=lon]", str(site["lon"]))
    page.fill("#add-form input[name=lat]", str(site["lat"]))
    if site.get("mission_locale"):
        page.select_option("#mission-locale-select", site["mission_locale"])
    page.click("#add-form button")
    with page.expect_request("**/coverage/scenarios") as request:
        page.click("#run-scenario")
    page.wait_for_selector("#scenario-result:not([hidden])", timeout=60_000)
    return request.value.post_data_json


def test_the_ter_change_of_the_montdidier_antenne(browser, live_url, client):
    context, page = open_analyse(browser, live_url)
    try:
        sent = run_scenario(page, MONTDIDIER)
        assert sent["add"] == [MONTDIDIER] and sent["close"] == [] and sent["move"] == []
        response = client.post("/coverage/scenarios", json=sent)
        assert response.status_code == 200
        ter = response.get_json()["ter"]
        assert ter["available"] is True

        section = page.locator("#ter-deltas")
        expect(section).to_be_visible()
        assert page.locator("#ter-unavailable").is_hidden()
        assert section.locator("h4").first.inner_text() == "Accès en TER"
        scope = section.locator("p.hint").first.inner_text()
        assert "Trains et cars TER" in scope and "sans les bus urbains" in scope

        # the region, to one's own mission locale: within 60 min and no trip, current → scenario (points)
        region = {(f["target"], f["mode"]): f for f in ter["region"]}
        rows = page.locator("#ter-region-table tbody tr")
        assert rows.count() == 2
        for index, mode in enumerate(("walk", "bike")):
            figures = region[("own", mode)]
            within = next(w for w in figures["within"] if w["minutes"] == 60)
            cells = rows.nth(index).locator("th, td").all_inner_texts()
            assert cells == [MODES[mode], change(within["population_share"]),
                             change(figures["no_trip"]["population_share"])]
        # Montdidier's 5,935 inhabitants come within 60 min of Noyon's antenne, walking and biking
        assert rows.nth(0).locator("td").first.inner_text().endswith(f"(+0,1{NBSP}pt)")
        assert page.inner_text("#ter-rerouted") == (
            f"Trajets recalculés : {french(ter['rerouted']['own'])} communes jusqu'à leur mission locale, "
            f"{french(ter['rerouted']['nearest'])} jusqu'au site le plus proche.")

        # the communes whose time to their own mission locale changes: Montdidier on foot and by bike
        own = [c for c in ter["communes_changed"] if c["target"] == "own"]
        assert ter["communes_changed_total"] == len(ter["communes_changed"])  # not capped: all are counted
        assert page.inner_text("#ter-changed-count") == french(len({c["code"] for c in own}))
        listed = page.locator("#ter-changed-table tbody tr")
        assert listed.count() == min(30, len(own))
        assert page.locator("#ter-changed-note").is_visible() == (len(own) > 30)
        montdidier = page.locator("#ter-changed-table tbody tr", has_text="Montdidier (80561)")
        expected = [c for c in own if c["code"] == "80561"]
        assert montdidier.count() == len(expected) == 2
        for row, commune in zip(montdidier.all(), expected, strict=True):
            cells = row.locator("th, td").all_inner_texts()
            assert cells == ["Montdidier (80561)", MODES[commune["mode"]], minutes_text(commune["current"]),
                             minutes_text(commune["scenario"]),
                             f"{french(commune['delta_minutes'], signed=True)}{NBSP}min"]
            assert cells[3] == f"1{NBSP}min" and int(cells[2].split(NBSP)[0]) > 90  # over 1 h 30 today
        # the rows in the API's order, the first 30
        assert listed.locator("th").all_inner_texts() == [f"{c['nom']} ({c['code']})" for c in own[:30]]

        source = page.inner_text("#ter-source")
        assert f"Horaires du {long_date(ter['timetable']['service_date'])}" in source  # mardi 4 février 2025
        assert ter["timetable"]["attribution"] in source
        assert "Horaires TER © SNCF" in source and "licence ODbL" in source
        assert page.geosvc_seen.page_errors == [] and page.geosvc_seen.console_errors == []

    finally:
        context.close()


@pytest.fixture(scope="module")
def synthetic_live_url(synthetic_app):
    with live_server(synthetic_app) as url:
        yield url


def test_without_a_timetable_the_reason_is_said(browser, synthetic_live_url, synthetic_client):
    context, page = open_analyse(browser, synthetic_live_url)
    try:
        site = {"name": "X", "lon": 2.55, "lat": 50.05}
        sent = run_scenario(page, site)
        ter = synthetic_client.post("/coverage/scenarios", json=sent).get_json()["ter"]
        assert ter["available"] is False and ter["reason"].startswith("no TER timetable was loaded")
        line = page.locator("#ter-unavailable")
        expect(line).to_be_visible()
        assert line.inner_text() == ("Accès en TER non comparé : aucun horaire TER n'a été chargé avec les "
                                     "données, pas de temps de trajet à comparer.")
        assert page.locator("#ter-deltas").is_hidden()
        assert page.locator("#changed-table tbody tr").count() > 0  # the rest of the scenario is shown
        assert page.geosvc_seen.page_errors == [] and page.geosvc_seen.console_errors == []
    finally:
        context.close()
