"""Opening hours in one shape for every directory format.

The shape (JSON-serialisable, stored as JSON text in `sites.csv`):

    {"days": {"lundi": [["08:30", "12:30"], ["13:30", "17:30"]], "samedi": [["09:00", "12:00"]]},
     "notes": ["Accueil fermé en juillet-août."]}

* `days` maps a French weekday name (`lundi` ... `dimanche`, lower case) to the list of its opening intervals,
  each `[open, close]` as local time `HH:MM` (Europe/Paris, as the directory gives it; seconds are dropped
  when they are `00` and kept as `HH:MM:SS` otherwise). Days appear in weekday order, intervals in time order;
  a day that is not a key is closed (as far as the record says).
* `notes` are the record's free-text remarks on its hours, in the order of the source, without duplicates.
* A record that gives no hours has `None`: hours are never guessed, and the build report says "no hours".

The directory's v1 format gives day ranges (`début` .. `fin`, e.g. `lundi` .. `vendredi`) with one or more
hour ranges (`PlageH`); "données locales" v4 and the online dataset give `plage_ouverture` ranges with up to
two hour ranges (`valeur_heure_debut_1` .. `valeur_heure_fin_2`). Both are expanded day by day here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

DAYS: tuple[str, ...] = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DAY_ABBREVIATIONS = {"lundi": "lun", "mardi": "mar", "mercredi": "mer", "jeudi": "jeu", "vendredi": "ven",
                     "samedi": "sam", "dimanche": "dim"}
_TIME_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$")

Hours = dict  # {"days": {day: [[open, close], ...]}, "notes": [str, ...]}


def day_name(value: str | int) -> str:
    """`Lundi`, `lundi`, 1 (ISO: Monday = 1) -> `lundi`; anything else raises ValueError."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= 7:
            return DAYS[value - 1]
        raise ValueError(f"day number {value} is not 1 (Monday) to 7 (Sunday)")
    name = str(value).strip().lower()
    if name not in DAYS:
        raise ValueError(f"unknown day {value!r}")
    return name


def day_range(first: str | int, last: str | int | None = None) -> list[str]:
    """The days from `first` to `last` included (a range may wrap past Sunday: `samedi` .. `lundi`)."""
    start = DAYS.index(day_name(first))
    end = DAYS.index(day_name(last)) if last not in (None, "") else start
    length = (end - start) % 7 + 1
    return [DAYS[(start + i) % 7] for i in range(length)]


def parse_time(value: str) -> str:
    """`08:30:00` -> `08:30`; `08:30` stays; `08:30:15` stays; anything else raises ValueError."""
    text = str(value).strip()
    match = _TIME_RE.match(text)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"not a time of day: {value!r}")
    hh, mm, ss = match.groups()
    return f"{hh}:{mm}" if ss in (None, "00") else f"{hh}:{mm}:{ss}"


def build_hours(ranges: Iterable[tuple[str | int, str | int | None, Iterable[tuple[str, str]]]],
                notes: Iterable[str] = ()) -> Hours | None:
    """Hours from day ranges `(first_day, last_day, [(open, close), ...])` and free-text notes.

    Returns None when there is no interval and no note (a record without hours). Raises ValueError on an
    unknown day, a malformed time, or an interval that does not close after it opens.
    """
    days: dict[str, set[tuple[str, str]]] = {}
    for first, last, intervals in ranges:
        parsed = []
        for opening, closing in intervals:
            start, end = parse_time(opening), parse_time(closing)
            if end <= start:
                raise ValueError(f"interval {opening}-{closing} does not close after it opens")
            parsed.append((start, end))
        for day in day_range(first, last):
            days.setdefault(day, set()).update(parsed)
    kept_notes: list[str] = []
    for note in notes:
        note = " ".join(str(note).split())
        if note and note not in kept_notes:
            kept_notes.append(note)
    if not any(days.values()) and not kept_notes:
        return None
    return {
        "days": {day: [list(pair) for pair in sorted(days[day])] for day in DAYS if days.get(day)},
        "notes": kept_notes,
    }


def to_json(hours: Hours | None) -> str:
    """Compact JSON text for CSV (empty string for no hours)."""
    if not hours:
        return ""
    return json.dumps(hours, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str | None) -> Hours | None:
    return json.loads(text) if text else None


def describe(hours: Hours | None) -> str:
    """A short human summary: `lun-ven 08:30-12:30, 13:30-17:30; sam 09:00-12:00`, or `no hours`."""
    if not hours or not hours.get("days"):
        return "no hours" if not hours else "no hours (notes only)"
    groups: list[tuple[list[str], list]] = []
    for day in DAYS:
        intervals = hours["days"].get(day)
        if not intervals:
            continue
        previous = groups[-1] if groups else None
        if previous and previous[1] == intervals and DAYS.index(previous[0][-1]) == DAYS.index(day) - 1:
            previous[0].append(day)
        else:
            groups.append(([day], intervals))
    parts = []
    for days, intervals in groups:
        label = DAY_ABBREVIATIONS[days[0]] + (f"-{DAY_ABBREVIATIONS[days[-1]]}" if len(days) > 1 else "")
        parts.append(label + " " + ", ".join(f"{a}-{b}" for a, b in intervals))
    return "; ".join(parts)
