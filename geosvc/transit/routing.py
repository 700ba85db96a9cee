"""Earliest arrival by TER from a point to a set of sites: the Connection Scan Algorithm (CSA).

The reference method of issue 16 (docs/TRANSIT.md), every number a field of `Method`:
- leave the origin at 08:00 (`start_s`); "no trip" when nothing arrives by 14:00 (`cutoff_s`);
- access to and egress from a stop, in one mode per computation: **walk** at 4.5 km/h, at most 2 km, or
  **bike** at 15 km/h, at most 8 km, over the straight-line distance × 1.3 (`detour`);
- a direct walk (≤ 2 km) or ride (≤ 8 km) from the origin to a site counts as a trip;
- changes: ≥ 2 min at the same stop point, 5 min between stop points of one station (`parent_station`),
  on foot between stop points ≤ 500 m apart at walking speed × detour (never under the 2 min);
  a change is one footpath, not a chain of them; boarding follows `pickup_type`, alighting `drop_off_type`.

Distances are an equirectangular approximation, not geodesic: x = Δlon·cos(mean latitude), y = Δlat, on a
sphere of radius 6,371,008.8 m (the mean radius). Over the ≤ 8 km used here and at 49–51° N it differs from
pyproj.Geod's WGS84 distance by less than 0.5 % (the ellipsoid's local radii), a few metres, seconds of walk.

Speed: the stop-to-stop footpaths are computed once per `Router`; the egress times towards a set of sites once
per set; each origin then scans the day's connections from its first reachable departure and stops as soon as a
departure is later than the best arrival found (or than 14:00). Times are in seconds after midnight of the
service day, as in `geosvc.transit.feed`.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from geosvc.core.transit import MODES
from geosvc.transit.feed import Timetable

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Method:
    start_s: int = 8 * 3600
    cutoff_s: int = 14 * 3600
    walk_kmh: float = 4.5
    bike_kmh: float = 15.0
    detour: float = 1.3
    walk_max_m: float = 2000.0
    bike_max_m: float = 8000.0
    change_same_stop_s: int = 120
    change_same_station_s: int = 300
    transfer_walk_max_m: float = 500.0

    def speed_ms(self, mode: str) -> float:
        return {"walk": self.walk_kmh, "bike": self.bike_kmh}[mode] / 3.6

    def max_m(self, mode: str) -> float:
        """The longest straight-line distance of an access, egress or direct trip in this mode."""
        return {"walk": self.walk_max_m, "bike": self.bike_max_m}[mode]

    def seconds(self, distance_m, mode: str):
        return distance_m * self.detour / self.speed_ms(mode)


def distances_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Equirectangular distance in metres from one point to many (see the module's note on its error)."""
    phi = np.radians((lats + lat) / 2.0)
    x = np.radians(lons - lon) * np.cos(phi)
    y = np.radians(lats - lat)
    return EARTH_RADIUS_M * np.hypot(x, y)


def clock(seconds: float) -> str:
    """'08:12' for 29,520 s (minutes rounded up: one is never told to be there too early)."""
    m = math.ceil(seconds / 60 - 1e-9)
    return f"{m // 60:02d}:{m % 60:02d}"


@dataclass(frozen=True)
class Leg:
    route: str
    trip_id: str
    from_stop: str
    from_name: str
    to_stop: str
    to_name: str
    departure_s: int
    arrival_s: int


@dataclass(frozen=True)
class Journey:
    mode: str
    kind: str  # "direct" (walk or ride to the site) or "transit"
    target: int  # index of the site reached first, in the targets given
    leave_s: float  # leaving the origin (08:00 for a direct trip; later when one walks just in time to the stop)
    departure_s: float  # the first train or coach's departure (the leave time for a direct trip)
    arrival_s: float  # at the site
    minutes: int  # from the method's start (08:00) to the arrival, rounded up
    legs: list[Leg] = field(default_factory=list)
    access_s: float = 0.0
    egress_s: float = 0.0

    @property
    def departure(self) -> str:
        return clock(self.departure_s)

    @property
    def arrival(self) -> str:
        return clock(self.arrival_s)


class Router:
    """The CSA over one `Timetable` under one `Method`; reusable for any number of origins and target sets."""

    def __init__(self, timetable: Timetable, method: Method | None = None):
        self.timetable = timetable
        self.method = method or Method()
        self.stops = list(timetable.stops)
        self.index = {s.id: i for i, s in enumerate(self.stops)}
        self.lons = np.array([s.lon for s in self.stops], dtype=float)
        self.lats = np.array([s.lat for s in self.stops], dtype=float)
        conns = timetable.connections
        trip_ids = sorted({c.trip_id for c in conns})
        trip_index = {t: i for i, t in enumerate(trip_ids)}
        self.trip_ids = trip_ids
        self.c_dep = [self.index[c.dep_stop] for c in conns]
        self.c_arr = [self.index[c.arr_stop] for c in conns]
        self.c_dep_t = [c.dep_time_s for c in conns]
        self.c_arr_t = [c.arr_time_s for c in conns]
        self.c_trip = [trip_index[c.trip_id] for c in conns]
        self.c_pickup = [c.pickup for c in conns]
        self.c_drop = [c.drop_off for c in conns]
        self.c_route = [c.route for c in conns]
        self.footpaths = self._footpaths()
        self._egress_cache: dict[tuple, tuple[list, list]] = {}

    def sharing_timetable(self) -> Router:
        """A router over the same timetable, footpaths and method with an egress cache of its own: for
        routing to hypothetical sites (a scenario) without growing this router's cache for ever."""
        twin = copy.copy(self)
        twin._egress_cache = {}
        return twin

    def _footpaths(self) -> list[list[tuple[int, float]]]:
        """For every stop, the other stops one may change to, with the change's duration (see the module)."""
        m = self.method
        parents = [s.parent_station for s in self.stops]
        out: list[list[tuple[int, float]]] = [[] for _ in self.stops]
        for p, s in enumerate(self.stops):
            d = distances_m(s.lon, s.lat, self.lons, self.lats)
            walk = m.seconds(d, "walk")
            for q in np.nonzero(d <= max(m.transfer_walk_max_m, 0.0))[0].tolist() + [
                q for q, par in enumerate(parents) if par is not None and par == parents[p]
            ]:
                if q == p:
                    continue
                same_station = parents[p] is not None and parents[p] == parents[q]
                floor = m.change_same_station_s if same_station else m.change_same_stop_s
                out[p].append((q, max(float(floor), float(walk[q]))))
        # a stop within 500 m and of the same station appears twice: keep the shorter
        for p, lst in enumerate(out):
            best: dict[int, float] = {}
            for q, t in lst:
                if t < best.get(q, math.inf):
                    best[q] = t
            out[p] = sorted(best.items())
        return out

    def access(self, lon: float, lat: float, mode: str) -> list[tuple[int, float]]:
        """(stop index, seconds) of every stop within the mode's reach of the point."""
        d = distances_m(lon, lat, self.lons, self.lats)
        near = np.nonzero(d <= self.method.max_m(mode))[0]
        secs = self.method.seconds(d[near], mode)
        return list(zip(near.tolist(), secs.tolist(), strict=True))

    def _egress(self, targets: Sequence[tuple[float, float]], mode: str) -> tuple[list, list]:
        """Per stop: the shortest egress time to any target (inf when none within reach) and which target."""
        key = (tuple((float(x), float(y)) for x, y in targets), mode)
        cached = self._egress_cache.get(key)
        if cached is not None:
            return cached
        best = np.full(len(self.stops), np.inf)
        which = np.full(len(self.stops), -1)
        for k, (lon, lat) in enumerate(targets):
            d = distances_m(lon, lat, self.lons, self.lats)
            t = np.where(d <= self.method.max_m(mode), self.method.seconds(d, mode), np.inf)
            better = t < best
            best[better] = t[better]
            which[better] = k
        result = (best.tolist(), which.tolist())
        self._egress_cache[key] = result
        return result

    def earliest(
        self, origin: tuple[float, float], targets: Sequence[tuple[float, float]], mode: str = "walk"
    ) -> Journey | None:
        """The earliest arrival at any of the targets leaving `origin` at the method's start, or None when
        nothing arrives by the cutoff."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        m = self.method
        t0 = float(m.start_s)
        best = math.inf
        best_journey: Journey | None = None
        if targets:
            tl = np.array([t[0] for t in targets], dtype=float)
            ta = np.array([t[1] for t in targets], dtype=float)
            d = distances_m(origin[0], origin[1], tl, ta)
            k = int(np.argmin(d))
            if d[k] <= m.max_m(mode):
                best = t0 + float(m.seconds(d[k], mode))
                best_journey = Journey(mode, "direct", k, t0, t0, best, _minutes(best - t0), [], best - t0, 0.0)
        egress, egress_target = self._egress(targets, mode)

        n = len(self.stops)
        board = [math.inf] * n  # earliest time one can board a trip at the stop
        arrived = [math.inf] * n  # earliest arrival at the stop aboard a trip
        access = self.access(origin[0], origin[1], mode)
        for s, secs in access:
            board[s] = t0 + secs
        if not access:
            return best_journey if best <= m.cutoff_s else None
        entered: set[int] = set()  # the trips one is aboard
        by_transit = False  # the best arrival so far is by train or coach (else direct, or none)

        c_dep, c_arr, c_dep_t, c_arr_t = self.c_dep, self.c_arr, self.c_dep_t, self.c_arr_t
        c_trip, c_pickup, c_drop, foot = self.c_trip, self.c_pickup, self.c_drop, self.footpaths
        change = m.change_same_stop_s
        cutoff = m.cutoff_s
        start = bisect.bisect_left(c_dep_t, min(board))
        for ci in range(start, len(c_dep_t)):
            dep_t = c_dep_t[ci]
            if dep_t >= best or dep_t > cutoff:
                break
            trip = c_trip[ci]
            if trip not in entered:
                if not c_pickup[ci] or board[c_dep[ci]] > dep_t:
                    continue
                entered.add(trip)
            if not c_drop[ci]:
                continue
            p = c_arr[ci]
            a = c_arr_t[ci]
            if a >= arrived[p]:
                continue
            arrived[p] = a
            e = egress[p]
            if a + e < best:
                best = a + e
                by_transit = True
            if a + change < board[p]:
                board[p] = a + change
            for q, secs in foot[p]:
                if a + secs < board[q]:
                    board[q] = a + secs

        if best > cutoff:
            return None
        if not by_transit:
            return best_journey
        # the scan above finds the earliest arrival, but among the journeys arriving then it keeps the one
        # boarded first, which may ride away and come back; the latest departure arriving as early is shown
        legs, access_s = self._latest_departure(access, egress, best, t0)
        last = self.index[legs[-1].to_stop]
        return Journey(
            mode=mode,
            kind="transit",
            target=int(egress_target[last]),
            leave_s=legs[0].departure_s - access_s,
            departure_s=float(legs[0].departure_s),
            arrival_s=best,
            minutes=_minutes(best - t0),
            legs=legs,
            access_s=access_s,
            egress_s=egress[last],
        )

    def _latest_departure(self, access: list[tuple[int, float]], egress: list[float], arrive_by: float,
                          t0: float) -> tuple[list[Leg], float]:
        """The journey leaving the origin latest that still reaches a target by `arrive_by` (the earliest
        arrival): a reverse Connection Scan, by decreasing departure, of the latest time one can catch a
        departure at each stop and still arrive by then. Among plans, alighting for the target first, then
        staying aboard, then changing: the fewest legs for that latest departure."""
        change = self.method.change_same_stop_s
        c_dep, c_dep_t, c_trip, c_pickup, foot = self.c_dep, self.c_dep_t, self.c_trip, self.c_pickup, self.footpaths
        dep_by = [-math.inf] * len(self.stops)  # the latest usable departure at the stop
        dep_conn: list[int | None] = [None] * len(self.stops)
        plan: dict[int, tuple[str, int]] = {}  # connection -> ("egress" | "stay" | "change", next)
        trip_next: dict[int, int] = {}  # trip -> its usable connection scanned last (the next one aboard)
        first = bisect.bisect_left(c_dep_t, t0)
        for ci in range(bisect.bisect_right(c_dep_t, arrive_by) - 1, first - 1, -1):
            how = self._continuation(ci, arrive_by, egress, dep_by, trip_next, change, foot)
            if how is None:
                continue
            plan[ci] = how
            trip_next[c_trip[ci]] = ci
            u = c_dep[ci]
            if c_pickup[ci] and c_dep_t[ci] > dep_by[u]:
                dep_by[u], dep_conn[u] = c_dep_t[ci], ci
        start, access_s = max(((s, secs) for s, secs in access if dep_by[s] >= t0 + secs),
                              key=lambda item: (dep_by[item[0]] - item[1], -item[1]))
        return self._follow(dep_conn[start], plan, dep_conn), access_s

    def _continuation(self, ci: int, arrive_by: float, egress: list[float], dep_by: list[float],
                      trip_next: dict[int, int], change: float, foot) -> tuple[str, int] | None:
        """How a journey riding connection `ci` goes on to arrive by `arrive_by`, or None if it cannot."""
        a, p = self.c_arr_t[ci], self.c_arr[ci]
        if a > arrive_by:
            return None
        if self.c_drop[ci] and a + egress[p] <= arrive_by:
            return ("egress", p)
        following = trip_next.get(self.c_trip[ci])
        if following is not None:
            return ("stay", following)
        if not self.c_drop[ci]:
            return None
        if a + change <= dep_by[p]:
            return ("change", p)
        for q, secs in foot[p]:
            if a + secs <= dep_by[q]:
                return ("change", q)
        return None

    def _follow(self, ci: int, plan: dict[int, tuple[str, int]], dep_conn: list[int | None]) -> list[Leg]:
        legs: list[Leg] = []
        enter = ci
        while True:
            how, next_ = plan[ci]
            if how == "stay":
                ci = next_
                continue
            legs.append(self._leg(enter, ci))
            if how == "egress":
                return legs
            enter = ci = dep_conn[next_]

    def _leg(self, enter: int, exit_: int) -> Leg:
        a, b = self.stops[self.c_dep[enter]], self.stops[self.c_arr[exit_]]
        return Leg(
            route=self.c_route[enter],
            trip_id=self.trip_ids[self.c_trip[enter]],
            from_stop=a.id,
            from_name=a.name,
            to_stop=b.id,
            to_name=b.name,
            departure_s=self.c_dep_t[enter],
            arrival_s=self.c_arr_t[exit_],
        )


def _minutes(seconds: float) -> int:
    return math.ceil(seconds / 60 - 1e-9)
