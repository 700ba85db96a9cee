"""A commune's own mission locale beside its nearest sites, held in memory by each worker.

The nearest-site table (geosvc/nearest.py) plus what the ingestion computed for the zones
(commune_own_sites: every served site of the commune's own mission locale(s), ranked by
geodesic distance); one table, built once per data version from one snapshot, answers both
GET /communes/{code}/nearest and /mission-locale with dictionary lookups.
"""

from __future__ import annotations

import functools
import re

from psycopg import Cursor

from geosvc.core import present
from geosvc.core.representation import Representation
from geosvc.core.rules import DISTANCE_METHOD
from geosvc.db import nearest, network, sites
from geosvc.db import transit as transit_sql
from geosvc.nearest import ENCODED_ANSWERS, NearestTable, encode
from geosvc.provenance import data_block, timetable_block
from geosvc.transit.answer import TransitAnswers

OWN_METHOD = (
    "the commune's own mission locale is the one the union's (UNML) coverage table names for it; "
    "its sites, and the nearest sites of any mission locale, ranked by " + DISTANCE_METHOD
)


class MissionLocaleTable(NearestTable):
    def __init__(self, missions: list[dict], zone_rows: list[dict], own_rows: list[dict],
                 nearest_rows: list[dict], site_rows: list[dict], data: dict,
                 transit: TransitAnswers | None = None):
        super().__init__(nearest_rows, site_rows, data)
        self.transit = transit or TransitAnswers(None, [], {})
        self._missions = {row["code"]: present.mission_locale(row) for row in missions}
        self._own: dict[str, list[tuple[str, list[tuple[str, float]]]]] = {}
        for row in own_rows:
            ranked = list(zip(row["site_ids"], row["distances_m"], strict=True))
            self._own.setdefault(row["code"], []).append((row["mission_locale"], ranked))
        self._zones: dict[str, list[dict]] = {}
        for row in zone_rows:
            self._zones.setdefault(row["mission_locale"], []).append(row)
        self.zone = _zone_block(data)
        self.own_encoded = functools.lru_cache(maxsize=ENCODED_ANSWERS)(self._encode_own)

    def _encode_own(self, code: str, k: int) -> Representation | None:
        return encode(self.own_answer(code, k))

    def own_answer(self, code: str, k: int) -> dict | None:
        """The body of GET /communes/{code}/mission-locale?k=, or None for an unknown commune."""
        commune = self._communes.get(code)
        if commune is None:
            return None
        nearest = [self._named(self._site_at(site_id, distance)) for site_id, distance in self._nearest[code][:k]]
        own = self._own_missions(code)
        first = nearest[0] if nearest else None
        return {
            "commune": commune,
            "mission_locale": own[0] if own else None,
            "also": own[1:],
            "nearest": nearest,
            "nearest_is_own": None if not own or first is None
            else first["mission_locale"] in {mission["code"] for mission in own},
            "zone": self.zone if own else None,
            "transit": self.transit.own(code),
            "method": OWN_METHOD,
            "data": self.data | self.transit.data,
        }

    def _own_missions(self, code: str) -> list[dict]:
        """The commune's own missions locales (usually one), the one with the nearest site first."""
        missions = [
            self._missions[mission] | {"sites": [self._site_at(site_id, distance) for site_id, distance in ranked]}
            for mission, ranked in self._own.get(code, [])
        ]
        return sorted(missions, key=lambda m: (m["sites"][0]["distance_m"] if m["sites"] else float("inf"), m["code"]))

    def _site_at(self, site_id: str, distance_m: float) -> dict:
        return present.with_distance(self._sites[site_id], distance_m)

    def _named(self, site: dict) -> dict:
        """A nearest site with the readable name of its mission locale (which may not be the
        commune's own): the campaign page says whose site it is without another request."""
        mission = self._missions.get(site["mission_locale"])
        return site | {"mission_locale_name": mission["name"] if mission else None}

    def missions(self) -> list[dict]:
        return list(self._missions.values())

    def mission(self, code: str) -> dict | None:
        """A mission locale with its zone's communes and its served sites, or None."""
        mission = self._missions.get(code)
        if mission is None:
            return None
        communes = [
            {key: self._communes[row["code"]][key] for key in ("code", "nom", "departement", "population")}
            | {"several": row["several"]}
            for row in self._zones.get(code, []) if row["code"] in self._communes
        ]
        sites = [site for site in self._sites.values() if site["mission_locale"] == code]
        return mission | {"communes": communes, "sites": sites, "zone": self.zone}


def _zone_block(data: dict) -> dict | None:
    zones = data.get("zones")
    if zones is None:
        return None
    return {"file": zones["file"], "source": zones["source"], "vintage": zones["vintage"],
            "month": vintage_month(zones["vintage"])}


_MONTHS = {
    name: number
    for names in (
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"),
        ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
         "novembre", "décembre"),
    )
    for number, name in enumerate(names, start=1)
}
_MONTH_YEAR = re.compile(r"(?<![^\W\d_])([^\W\d_]+)\s+(\d{4})\b")


def vintage_month(vintage: str | None) -> str | None:
    """`January 2026` (or `janvier 2026`) -> `2026-01`: the zones' month in the form of a site's
    `record_date`, so that a client can tell a record older than the zones. None when the
    vintage names no month (it is then never guessed)."""
    for word, year in _MONTH_YEAR.findall(vintage or ""):
        number = _MONTHS.get(word.lower())
        if number:
            return f"{year}-{number:02d}"
    return None


def build_mission_locale_table(cursor: Cursor) -> MissionLocaleTable:
    site_rows = sites.list_served_sites(cursor)
    transit = TransitAnswers(transit_sql.run(cursor), transit_sql.rows(cursor, "own"),
                             {site["id"]: site["name"] for site in site_rows}, timetable_block(cursor))
    return MissionLocaleTable(
        network.missions_locales(cursor), network.zone_communes(cursor), network.own_sites(cursor),
        nearest.nearest_table(cursor), site_rows, data_block(cursor), transit,
    )
