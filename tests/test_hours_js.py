"""geosvc/web/static/hours.js — "open now" from a site's structured hours, in Europe/Paris time —
unit-tested in headless Chromium (Debian's, tests/browser_support.py), in a browser whose own time
zone is not Paris's: the function must convert, summer time included, whatever the device says.
Expected times are computed here with Python's zoneinfo, independently of the browser."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from geosvc.config import PROJECT_ROOT

HOURS_JS = PROJECT_ROOT / "geosvc" / "web" / "static" / "hours.js"
PARIS = ZoneInfo("Europe/Paris")
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]

# Creil's record (mission_locale-60175-01): no Saturday nor Sunday, Friday's afternoon shorter.
CREIL = {"days": {
    **{day: [["08:45", "12:00"], ["13:30", "17:30"]] for day in ("lundi", "mardi", "mercredi", "jeudi")},
    "vendredi": [["08:45", "12:00"], ["13:00", "16:30"]],
}, "notes": []}
MONDAYS_ONLY = {"days": {"lundi": [["09:00", "12:00"]]}, "notes": []}


@pytest.fixture(scope="module", params=["America/New_York", "Asia/Tokyo"])
def js(request, browser):
    """js(expression, arg) evaluated in a blank page holding hours.js, in a far time zone."""
    context = browser.new_context(timezone_id=request.param, locale="en-US")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_content("<!doctype html><title>hours</title>")
    page.add_script_tag(path=str(HOURS_JS))

    def run(expression: str, arg=None):
        return page.evaluate(expression, arg)

    yield run
    assert errors == []
    context.close()


def paris(text: str) -> int:
    """'2026-11-27 11:00' on a Paris wall clock -> epoch milliseconds."""
    local = dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)
    return int(local.timestamp() * 1000)


def said(js, hours, when: str) -> str:
    return js("([h, t]) => GeosvcHours.describe(GeosvcHours.openingState(h, new Date(t)))", [hours, paris(when)])


@pytest.mark.parametrize(("when", "expected"), [
    ("2026-11-27 08:44", "Fermé — ouvre aujourd’hui à 8 h 45"),  # a Friday, before opening
    ("2026-11-27 08:45", "Ouvert maintenant (jusqu’à 12 h)"),  # opening minute: open
    ("2026-11-27 11:59", "Ouvert maintenant (jusqu’à 12 h)"),
    ("2026-11-27 12:00", "Fermé — ouvre aujourd’hui à 13 h"),  # closing minute: closed; lunch
    ("2026-11-27 16:00", "Ouvert maintenant (jusqu’à 16 h 30)"),  # Friday's own afternoon
    ("2026-11-27 17:00", "Fermé — ouvre lundi à 8 h 45"),  # Friday after closing
    ("2026-11-28 10:00", "Fermé — ouvre lundi à 8 h 45"),  # Saturday: a day without hours
    ("2026-11-29 23:59", "Fermé — ouvre lundi à 8 h 45"),  # Sunday night
    ("2026-11-30 00:00", "Fermé — ouvre aujourd’hui à 8 h 45"),  # Monday, midnight
    ("2026-11-30 14:00", "Ouvert maintenant (jusqu’à 17 h 30)"),
])
def test_open_and_closed_on_a_paris_clock(js, when, expected):
    assert said(js, CREIL, when) == expected


def test_summer_time_is_paris_s_not_the_device_s(js):
    # the same UTC instant, 06:50, one week apart: 07:50 in winter time (UTC+1), 08:50 in summer (UTC+2)
    winter = js("([h, t]) => GeosvcHours.describe(GeosvcHours.openingState(h, new Date(t)))",
                [CREIL, "2026-03-23T06:50:00Z"])
    summer = js("([h, t]) => GeosvcHours.describe(GeosvcHours.openingState(h, new Date(t)))",
                [CREIL, "2026-03-30T06:50:00Z"])
    assert (winter, summer) == ("Fermé — ouvre aujourd’hui à 8 h 45", "Ouvert maintenant (jusqu’à 12 h)")
    # and back in October: 08:50 in summer time, 07:50 in winter time
    assert said(js, CREIL, "2026-10-19 08:50") == "Ouvert maintenant (jusqu’à 12 h)"
    autumn = js("([h, t]) => GeosvcHours.describe(GeosvcHours.openingState(h, new Date(t)))",
                [CREIL, "2026-10-26T06:50:00Z"])
    assert autumn == "Fermé — ouvre aujourd’hui à 8 h 45"
    # the night of the change itself (Sunday 29 March 2026, 02:00 -> 03:00): Sunday, closed
    assert js("t => GeosvcHours.parisClock(new Date(t))", "2026-03-29T01:30:00Z")["minutes"] == 3 * 60 + 30
    assert said(js, CREIL, "2026-03-29 03:30") == "Fermé — ouvre lundi à 8 h 45"


def test_the_paris_clock_agrees_with_zoneinfo_all_year(js):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(minutes=37 * 7 * i) for i in range(2100)]  # about every 4.3 h, all 2026
    got = js("ts => ts.map(t => GeosvcHours.parisClock(new Date(t)))", [int(i.timestamp() * 1000) for i in instants])
    expected = []
    for instant in instants:
        local = instant.astimezone(PARIS)
        expected.append({"day": local.weekday(), "minutes": local.hour * 60 + local.minute, "year": local.year,
                         "month": local.month, "dayOfMonth": local.day})
    assert got == expected


def test_unknown_hours_are_never_closed(js):
    assert said(js, None, "2026-11-27 10:00") == "Horaires non connus"
    assert said(js, {"days": {}, "notes": ["Sur rendez-vous."]}, "2026-11-27 10:00") == "Horaires non connus"
    assert js("h => GeosvcHours.week(h)", None) == []


def test_next_week_touching_intervals_and_midnight(js):
    assert said(js, MONDAYS_ONLY, "2026-11-30 13:00") == "Fermé — ouvre lundi prochain à 9 h"
    touching = {"days": {"mardi": [["08:30", "12:00"], ["12:00", "17:00"]]}, "notes": []}
    assert said(js, touching, "2026-12-01 11:00") == "Ouvert maintenant (jusqu’à 17 h)"
    late = {"days": {"samedi": [["20:00", "24:00"]]}, "notes": []}
    assert said(js, late, "2026-11-28 23:00") == "Ouvert maintenant (jusqu’à minuit)"
    with_seconds = {"days": {"mardi": [["08:30:00", "12:15:30"]]}, "notes": []}
    assert said(js, with_seconds, "2026-12-01 12:15") == "Ouvert maintenant (jusqu’à 12 h 15)"


def test_public_holidays(js):
    # Christmas 2026 is a Friday: the usual hours would say open, the page says probably closed
    assert said(js, CREIL, "2026-12-25 10:00") == "Jour férié (Noël) : sans doute fermé — ouvre lundi à 8 h 45"
    # Easter Monday 2026 (6 April): from the Sunday before, the next opening is Tuesday
    assert said(js, CREIL, "2026-04-05 12:00") == "Fermé — ouvre mardi à 8 h 45 (lundi est férié)"
    # a holiday on a day the site is closed anyway says nothing of it (Sunday 1 November 2026)
    assert said(js, CREIL, "2026-11-01 10:00") == "Fermé — ouvre lundi à 8 h 45"
    easters = {2024: [3, 31], 2025: [4, 20], 2026: [4, 5], 2027: [3, 28], 2038: [4, 25], 2285: [3, 22]}
    assert js("ys => ys.map(y => GeosvcHours.easter(y))", list(easters)) == list(easters.values())
    assert js("() => [GeosvcHours.publicHoliday(2026, 5, 14), GeosvcHours.publicHoliday(2026, 5, 25), "
              "GeosvcHours.publicHoliday(2026, 7, 14), GeosvcHours.publicHoliday(2026, 7, 15)]") == [
        "Ascension", "lundi de Pentecôte", "fête nationale", None]


def test_the_week_in_french(js):
    assert js("h => GeosvcHours.week(h)", CREIL) == [
        {"days": "du lundi au jeudi", "times": "8 h 45 – 12 h et 13 h 30 – 17 h 30"},
        {"days": "vendredi", "times": "8 h 45 – 12 h et 13 h – 16 h 30"},
    ]
    two = {"days": {"lundi": [["09:00", "12:00"]], "mardi": [["09:00", "12:00"]], "jeudi": [["14:00", "17:00"]]},
           "notes": []}
    assert js("h => GeosvcHours.week(h)", two) == [
        {"days": "lundi et mardi", "times": "9 h – 12 h"}, {"days": "jeudi", "times": "14 h – 17 h"},
    ]


def test_every_served_site_s_hours_are_read(js, client):
    """Each site's record: some days, each with at least one interval, described without a fault."""
    sites = client.get("/missions").get_json()["missions"]
    with_hours = [site["hours"] for site in sites if site["hours"]]
    assert with_hours
    weeks = js("hs => hs.map(h => GeosvcHours.week(h))", with_hours)
    assert all(week for week in weeks)
    for hours, week in zip(with_hours, weeks, strict=True):
        days = [day for day in DAYS if hours["days"].get(day)]
        assert len(days) >= len(week)
