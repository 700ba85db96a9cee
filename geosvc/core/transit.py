"""The shapes of the TER travel times, shared by the routing (geosvc/transit) and the SQL (geosvc/db/transit.py).

A `Request` is one commune and one target set: 'own' (every served site of its own mission locale(s): the
first one reached counts) or 'nearest' (its nearest served site of any mission locale). A `TransitRow` is
one request routed in one mode, the shape of the table `commune_transit`.
"""

from __future__ import annotations

import dataclasses

TARGETS = ("own", "nearest")


@dataclasses.dataclass(frozen=True)
class Request:
    code: str
    target: str  # one of TARGETS
    origin: tuple[float, float]  # lon, lat of the commune's reference point
    site_ids: tuple[str, ...]
    sites: tuple[tuple[float, float], ...]  # lon, lat of each site, in the order of site_ids


@dataclasses.dataclass(frozen=True)
class TransitRow:
    code: str
    target: str
    mode: str
    minutes: int | None  # None: no trip before the method's cutoff
    kind: str | None = None  # 'direct' (walk or ride to the site) or 'transit'
    site_id: str | None = None
    leave: str | None = None  # HH:MM: leaving the commune's reference point
    departure: str | None = None  # HH:MM: the first train or coach (the leave time of a direct trip)
    arrival: str | None = None  # HH:MM: at the site
    access_minutes: int | None = None
    egress_minutes: int | None = None
    legs: list[dict] | None = None

    def columns(self) -> tuple:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))


COLUMNS = tuple(f.name for f in dataclasses.fields(TransitRow))
