"""Every commune's earliest arrival by TER at its targets, in both modes: what the ingestion stores.

A `Request` is one commune and one target set: 'own' (every served site of its own mission
locale(s): the first one reached counts) or 'nearest' (its nearest served site of any mission
locale, one site). Each request is routed walking and biking (geosvc.transit.routing) and turned
into a `TransitRow`, the shape of the table `commune_transit`. A `JourneyStore` answers the
(origin, targets, mode) already routed with this timetable and method.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from geosvc.core.transit import Request, TransitRow
from geosvc.transit.cache import JourneyStore
from geosvc.transit.routing import MODES, Journey, Router, clock


def _key(request: Request, mode: str) -> tuple:
    def rounded(point: tuple[float, float]) -> tuple[float, float]:
        return (round(point[0], 7), round(point[1], 7))

    return (mode, rounded(request.origin), tuple(rounded(p) for p in request.sites))


def route(router: Router, requests: Iterable[Request], store: JourneyStore | None = None,
          modes: tuple[str, ...] = MODES) -> Iterator[TransitRow]:
    """One row per request and mode, routed (or read from the store), in the requests' order."""
    for request in requests:
        for mode in modes:
            key = _key(request, mode)
            known, journey = store.get(key) if store is not None else (False, None)
            if not known:
                journey = router.earliest(request.origin, request.sites, mode)
                if store is not None:
                    store.put(key, journey)
            yield row(request, mode, journey)


def row(request: Request, mode: str, journey: Journey | None) -> TransitRow:
    if journey is None:
        return TransitRow(request.code, request.target, mode, None)
    return TransitRow(
        code=request.code,
        target=request.target,
        mode=mode,
        minutes=journey.minutes,
        kind=journey.kind,
        site_id=request.site_ids[journey.target],
        leave=clock(math.floor(journey.leave_s / 60) * 60),  # down: better a minute early
        departure=journey.departure,
        arrival=journey.arrival,
        access_minutes=_whole_minutes(journey.access_s),
        egress_minutes=_whole_minutes(journey.egress_s),
        legs=[
            {"line": leg.route, "from": leg.from_name, "to": leg.to_name, "from_stop": leg.from_stop,
             "to_stop": leg.to_stop, "departure": clock(leg.departure_s), "arrival": clock(leg.arrival_s)}
            for leg in journey.legs
        ],
    )


def _whole_minutes(seconds: float) -> int:
    return math.ceil(seconds / 60 - 1e-9)
