"""The shapes of the TER travel times, shared by the routing (geosvc/transit) and the SQL (geosvc/db/transit.py).

A `Request` is one commune and one target set: 'own' (every served site of its own mission locale(s): the
first one reached counts) or 'nearest' (its nearest served site of any mission locale). A `TransitRow` is
one request routed in one mode, the shape of the table `commune_transit`.
"""

from __future__ import annotations

import dataclasses

TARGETS = ("own", "nearest")
MODES = ("walk", "bike")

# What every travel time includes and leaves out: said in every answer, file and page that shows one.
INCLUDES = "SNCF TER trains and TER coaches running on the service date (SNCF's national TER GTFS)"
EXCLUDES = (
    "city and departmental buses (no feed of them), TGV and Intercités services outside the TER feed, real-time "
    "changes and works after the feed's date, the street network (walking and cycling are straight lines times "
    "the detour factor), waiting or opening hours at the site"
)


def hhmm(seconds: int) -> str:
    """'08:00' for 28,800 s after midnight (a parameter of the method: whole minutes)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def describe_method(p: dict, service_date: str) -> str:
    """The reference method in words, from geosvc.transit.routing.Method's fields (as transit_run stores them)."""
    return (
        f"minutes by TER from leaving the commune's reference point at {hhmm(p['start_s'])} on {service_date} to the "
        f"earliest arrival at the target site, rounded up (waiting for the first train or coach included); "
        f"walking at {p['walk_kmh']:g} km/h up to {p['walk_max_m'] / 1000:g} km or biking at {p['bike_kmh']:g} km/h "
        f"up to {p['bike_max_m'] / 1000:g} km to and from the stops, straight line x {p['detour']:g}; a direct walk "
        f"or ride to the site counts as a trip; changes of at least {p['change_same_stop_s'] // 60} min at a stop, "
        f"{p['change_same_station_s'] // 60} min within a station, on foot up to {p['transfer_walk_max_m']:g} m; "
        f"no trip: nothing arrives by {hhmm(p['cutoff_s'])}; the journey shown leaves as late as possible for the "
        "earliest arrival (Connection Scan, docs/TRANSIT.md)"
    )


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
