"""The `transit` block of a commune's own-mission-locale answer, from the rows the ingestion stored.

Held in memory by each worker beside the mission locale table (geosvc/mission_locale.py): one dict
lookup per answer. A time is never given without its timetable: every block carries `timetable`
(the feed's version, the service day, the attribution SNCF's licence asks for) and `method`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from geosvc.core.transit import EXCLUDES, INCLUDES, MODES, TransitRow, describe_method, hhmm


def method_block(method: dict, service_date: str) -> dict:
    """The reference method, as the stored run recorded it (geosvc.transit.routing.Method's fields)."""
    return {
        "leave": hhmm(method["start_s"]),
        "no_trip_after": hhmm(method["cutoff_s"]),
        "walk": {"kmh": method["walk_kmh"], "max_m": method["walk_max_m"]},
        "bike": {"kmh": method["bike_kmh"], "max_m": method["bike_max_m"]},
        "detour": method["detour"],
        "change_same_stop_minutes": method["change_same_stop_s"] / 60,
        "change_same_station_minutes": method["change_same_station_s"] / 60,
        "change_on_foot_max_m": method["transfer_walk_max_m"],
        "description": describe_method(method, service_date),
        "includes": INCLUDES,
        "excludes": EXCLUDES,
    }


def timetable_block(run: dict) -> dict:
    day: dt.date = run["service_date"]
    return {
        "file": run["file"],
        "feed_version": run["feed_version"],
        "service_date": day.isoformat(),
        "weekday": day.strftime("%A"),
        "attribution": run["attribution"],
        "licence": "ODbL",
    }


class TransitAnswers:
    """Every commune's 'own' journeys, walk and bike, as the API gives them."""

    def __init__(self, run: dict | None, rows: list[TransitRow], site_names: dict[str, str],
                 data: dict | None = None):
        self.available = run is not None
        self.data = data or {}  # the timetable's entry of the answer's `data` block ({} without one)
        self._timetable = timetable_block(run) if run else None
        self._method = method_block(run["method"], run["service_date"].isoformat()) if run else None
        self._own: dict[str, dict[str, TransitRow]] = {}
        for row in rows:  # the 'own' rows (geosvc/db/transit.py rows(cursor, "own"))
            self._own.setdefault(row.code, {})[row.mode] = row
        self._site_names = site_names

    def own(self, code: str) -> dict | None:
        """The block for the commune; None when no timetable is loaded or the commune has no own mission locale."""
        journeys = self._own.get(code)
        if not self.available or journeys is None:
            return None
        block = {mode: self._journey(journeys.get(mode)) for mode in MODES}
        return block | {"target": "own", "timetable": self._timetable, "method": self._method}

    def _journey(self, row: TransitRow | None) -> dict | None:
        if row is None or row.minutes is None:
            return None
        fields = dataclasses.asdict(row)
        for key in ("code", "target", "mode", "site_id"):
            fields.pop(key)
        legs = [{key: leg[key] for key in ("line", "from", "to", "departure", "arrival")} for leg in row.legs or []]
        return fields | {"legs": legs, "site": {"id": row.site_id, "name": self._site_names.get(row.site_id)}}
