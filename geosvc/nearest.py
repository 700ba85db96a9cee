"""Nearest served sites of every commune, held in memory by each worker.

Built from the commune_nearest table (computed set-based at ingestion, see
geosvc/db/nearest.py) in one query; an answer is then a dictionary lookup and a
slice, with no database round trip. geosvc/mission_locale.py extends it with the zones;
each worker holds that table in a RefreshingStore (geosvc/db/snapshot.py), so a new
ingestion reaches it within its refresh interval.
"""

from __future__ import annotations

import functools
import json

from geosvc.core import present
from geosvc.core.representation import Representation
from geosvc.core.rules import DISTANCE_METHOD

# At most this many encoded answers per worker (about 2 KB each).
ENCODED_ANSWERS = 8192


class NearestTable:
    def __init__(self, rows: list[dict], sites: list[dict], data: dict):
        self._sites = {site["id"]: present.site(site) for site in sites}
        self._communes = {row["code"]: present.commune(row) for row in rows}
        self._nearest = {row["code"]: list(zip(row["site_ids"], row["distances_m"], strict=True)) for row in rows}
        self.data = data
        # the encoded answers most asked for, so a repeated question costs a lookup
        self.encoded = functools.lru_cache(maxsize=ENCODED_ANSWERS)(self._encode)

    def _encode(self, code: str, k: int) -> Representation | None:
        return encode(self.answer(code, k))

    def commune(self, code: str) -> dict | None:
        """GET /communes/{code}'s body, or None when the commune is not held."""
        commune = self._communes.get(code)
        return None if commune is None else commune | {"data": self.data}

    def sites(self) -> list[dict]:
        """Every served site, in the database's order of their ids."""
        return list(self._sites.values())

    @functools.cached_property
    def sites_answer(self) -> Representation:
        """GET /missions's body, encoded once per data version (30 KB: too costly to dump per request)."""
        return encode({"missions": self.sites(), "data": self.data})

    def site(self, site_id: str) -> dict | None:
        return self._sites.get(site_id)

    def answer(self, code: str, k: int) -> dict | None:
        """The body of GET /communes/{code}/nearest?k=, or None for an unknown code."""
        commune = self._communes.get(code)
        if commune is None:
            return None
        missions = [
            present.with_distance(self._sites[site_id], distance_m)
            for site_id, distance_m in self._nearest[code][:k]
        ]
        return {"commune": commune, "missions": missions, "method": DISTANCE_METHOD, "data": self.data}


def encode(body: dict | None) -> Representation | None:
    """An answer's bytes (compact UTF-8 JSON) and their entity tag, computed once, not per request."""
    if body is None:
        return None
    return Representation.of(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
