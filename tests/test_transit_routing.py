"""The TER routing core (geosvc/transit, issue 16): the feed's day slice, and the Connection Scan checked
against an independent reference written here.

The reference is a Dijkstra over "ready to board at a stop" and "arrived at a stop" events that rides whole
trips (rebuilt from the connections grouped by trip), with its own distances (haversine, where routing.py uses
an equirectangular approximation; both are checked against pyproj.Geod's WGS84 geodesic), its own access,
egress and change rules written from the issue's reference method, and none of routing.py's code. It runs on
a slice of the real feed (the day's connections between stops of the Lille - Douai - Valenciennes - Arras -
Béthune area) for about 300 origins (150 random points near stops, up to 60 by stations with several stop
points, 100 commune reference points) in both modes, and must find the same earliest arrival ± 1 min.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import heapq
import json
import math
import random
from collections import defaultdict

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import shape

from geosvc.config import PROJECT_ROOT
from geosvc.transit.feed import (
    DEFAULT_FEED,
    REGION_BBOX,
    Connection,
    Stop,
    Timetable,
    load_timetable,
)
from geosvc.transit.routing import Method, Router, distances_m

FEED_SHA256 = "1ded09e3266641508a75f1038dc4973727154da52d6108e8628237aa9e50c5ef"  # PROVENANCE.md
SLICE = (2.55, 50.15, 3.75, 50.75)  # west, south, east, north: Lille, Douai, Valenciennes, Arras, Lens, Béthune

# The issue's reference method, restated here rather than read from routing.Method.
START, CUTOFF = 8 * 3600, 14 * 3600
SPEED = {"walk": 4.5 / 3.6, "bike": 15 / 3.6}
REACH = {"walk": 2000.0, "bike": 8000.0}
DETOUR = 1.3
SAME_STOP, SAME_STATION, CHANGE_WALK_MAX = 120, 300, 500.0

needs_feed = pytest.mark.skipif(not DEFAULT_FEED.exists(), reason=f"the TER feed is not at {DEFAULT_FEED}")


@pytest.fixture(scope="module")
def timetable() -> Timetable:
    if not DEFAULT_FEED.exists():
        pytest.skip(f"the TER feed is not at {DEFAULT_FEED}")
    return load_timetable()


@pytest.fixture(scope="module")
def sliced(timetable) -> Timetable:
    def inside(s: Stop) -> bool:
        return SLICE[0] <= s.lon <= SLICE[2] and SLICE[1] <= s.lat <= SLICE[3]

    keep = {s.id for s in timetable.stops if inside(s)}
    conns = [c for c in timetable.connections if c.dep_stop in keep and c.arr_stop in keep]
    used = {c.dep_stop for c in conns} | {c.arr_stop for c in conns}
    return dataclasses.replace(timetable, stops=[s for s in timetable.stops if s.id in used], connections=conns)


# ---------------------------------------------------------------------------------------------- the reference


def haversine_m(lon, lat, lons, lats) -> np.ndarray:
    """Great-circle distance on the sphere of mean radius: another formula than routing.py's equirectangular
    one, agreeing with it to well under a metre at these distances (so that a train caught by a few seconds
    is caught by both), while test_distances_are_within_half_a_percent_of_the_geodesic holds both to WGS84."""
    lon1, lat1 = math.radians(lon), math.radians(lat)
    lon2, lat2 = np.radians(np.asarray(lons, dtype=float)), np.radians(np.asarray(lats, dtype=float))
    h = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


class Reference:
    def __init__(self, tt: Timetable):
        self.stops = {s.id: s for s in tt.stops}
        ids = list(self.stops)
        self.ids = ids
        self.lons = [self.stops[i].lon for i in ids]
        self.lats = [self.stops[i].lat for i in ids]
        trips: dict[str, list[Connection]] = defaultdict(list)
        for c in tt.connections:
            trips[c.trip_id].append(c)
        self.trips = {t: sorted(cs, key=lambda c: (c.dep_time_s, c.arr_time_s)) for t, cs in trips.items()}
        self.departures: dict[str, list[tuple[str, int]]] = defaultdict(list)  # stop -> (trip, position)
        for t, cs in self.trips.items():
            for i, c in enumerate(cs):
                self.departures[c.dep_stop].append((t, i))
        self.changes: dict[str, list[tuple[str, float]]] = {}
        for a in ids:
            sa = self.stops[a]
            d = haversine_m(sa.lon, sa.lat, self.lons, self.lats)
            out = []
            for b, dist in zip(ids, d.tolist(), strict=True):
                if b == a:
                    continue
                same = sa.parent_station is not None and sa.parent_station == self.stops[b].parent_station
                if same or dist <= CHANGE_WALK_MAX:
                    out.append((b, max(SAME_STATION if same else SAME_STOP, dist * DETOUR / SPEED["walk"])))
            self.changes[a] = out

    def earliest(self, origin, targets, mode) -> float | None:
        speed, reach = SPEED[mode], REACH[mode]
        best = math.inf
        d = haversine_m(origin[0], origin[1], [t[0] for t in targets], [t[1] for t in targets])
        if d.min() <= reach:
            best = START + d.min() * DETOUR / speed
        egress = {}
        for t in targets:
            de = haversine_m(t[0], t[1], self.lons, self.lats)
            for sid, dist in zip(self.ids, de.tolist(), strict=True):
                if dist <= reach:
                    egress[sid] = min(egress.get(sid, math.inf), dist * DETOUR / speed)
        heap: list[tuple[float, int, str]] = []  # (time, 0 ready / 1 arrived, stop)
        da = haversine_m(origin[0], origin[1], self.lons, self.lats)
        for sid, dist in zip(self.ids, da.tolist(), strict=True):
            if dist <= reach:
                heapq.heappush(heap, (START + dist * DETOUR / speed, 0, sid))
        ready_done: set[str] = set()
        arrived_done: set[str] = set()
        boarded: dict[str, int] = {}  # trip -> the earliest position it was boarded at
        while heap:
            t, kind, sid = heapq.heappop(heap)
            if t >= best:
                break
            if kind == 0:
                if sid in ready_done:
                    continue
                ready_done.add(sid)
                for trip, i in self.departures.get(sid, ()):
                    cs = self.trips[trip]
                    if cs[i].dep_time_s < t or not cs[i].pickup or cs[i].dep_time_s > CUTOFF:
                        continue
                    stop_at = boarded.get(trip, len(cs))
                    if stop_at <= i:
                        continue
                    boarded[trip] = i
                    for c in cs[i:stop_at]:
                        if c.drop_off:
                            heapq.heappush(heap, (c.arr_time_s, 1, c.arr_stop))
            else:
                if sid in arrived_done:
                    continue
                arrived_done.add(sid)
                if sid in egress:
                    best = min(best, t + egress[sid])
                heapq.heappush(heap, (t + SAME_STOP, 0, sid))
                for other, secs in self.changes[sid]:
                    heapq.heappush(heap, (t + secs, 0, other))
        return best if best <= CUTOFF else None


# ------------------------------------------------------------------------------------------------- the feed


@needs_feed
def test_the_day_slice_of_the_feed(timetable):
    assert timetable.sha256 == FEED_SHA256
    assert timetable.service_date == dt.date(2025, 2, 4)
    assert timetable.feed_version == "2025-01-22"
    assert timetable.cache_key.startswith(FEED_SHA256 + ":2025-02-04:")
    conns = timetable.connections
    assert 8_000 < len(conns) < 20_000
    assert all(a.dep_time_s <= b.dep_time_s for a, b in zip(conns, conns[1:], strict=False))
    assert all(c.dep_time_s <= c.arr_time_s for c in conns)
    ids = {s.id for s in timetable.stops}
    assert {c.dep_stop for c in conns} | {c.arr_stop for c in conns} == ids
    in_box = [
        s
        for s in timetable.stops
        if REGION_BBOX[0] <= s.lon <= REGION_BBOX[2] and REGION_BBOX[1] <= s.lat <= REGION_BBOX[3]
    ]
    assert 400 < len(in_box) < 600  # PROVENANCE: 472 stop points inside a commune of the region
    routes = {c.route for c in conns}
    assert {"P20", "C60", "K61"} <= routes and not any(r.startswith("FR:") for r in routes)  # short names, not ids
    # a Sunday has fewer trips than the Tuesday
    sunday = load_timetable(service_date=dt.date(2025, 2, 9))
    assert 0 < len(sunday.connections) < len(conns)


# ----------------------------------------------------------------------------------- CSA against the reference


def _origins_and_targets(sliced: Timetable):
    rng = random.Random(16)
    stops = sliced.stops
    cases = []

    def near(s: Stop, km: float):
        r = km * math.sqrt(rng.random())
        a = rng.uniform(0, 2 * math.pi)
        return (s.lon + r * math.cos(a) / (111.2 * math.cos(math.radians(s.lat))), s.lat + r * math.sin(a) / 111.2)

    sites = []
    with open(PROJECT_ROOT / "data" / "sites.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["lon"] and row["lat"]:
                lon, lat = float(row["lon"]), float(row["lat"])
                if SLICE[0] <= lon <= SLICE[2] and SLICE[1] <= lat <= SLICE[3]:
                    sites.append((lon, lat))
    assert len(sites) >= 5

    def targets():
        pool = [near(rng.choice(stops), 3.0) for _ in range(3)] + rng.sample(sites, 2)
        return rng.sample(pool, rng.randint(1, 3))

    for _ in range(150):
        cases.append((near(rng.choice(stops), rng.choice([1.5, 3.0, 9.0])), targets()))
    # 60 that invite a change between two stop points of one station (train and coach): leave near one,
    # go towards where the other one's services go
    by_id = {s.id: s for s in stops}
    siblings = defaultdict(list)
    for s in stops:
        if s.parent_station:
            siblings[s.parent_station].append(s)
    pairs = [(a, b) for group in siblings.values() for a in group for b in group if a.id != b.id]
    onward = defaultdict(list)
    for c in sliced.connections:
        onward[c.dep_stop].append(c.arr_stop)
    assert len(pairs) >= 10
    for _ in range(60):
        a, b = rng.choice(pairs)
        if not onward[b.id]:
            continue
        cases.append((near(a, 1.0), [near(by_id[rng.choice(onward[b.id])], 1.0)]))
    with open(PROJECT_ROOT / "data" / "communes.geojson", encoding="utf-8") as f:
        communes = json.load(f)["features"]
    points = []
    for feat in communes:
        p = shape(feat["geometry"]).point_on_surface()  # the service's reference point (ST_PointOnSurface)
        if SLICE[0] <= p.x <= SLICE[2] and SLICE[1] <= p.y <= SLICE[3]:
            points.append((p.x, p.y))
    for p in rng.sample(points, 100):
        cases.append((p, targets()))
    return cases


@needs_feed
def test_csa_matches_an_independent_reference(timetable, sliced):
    assert 1_000 < len(sliced.connections) < len(timetable.connections)
    router = Router(sliced)
    reference = Reference(sliced)
    cases = _origins_and_targets(sliced)
    assert len(cases) >= 280
    found = {"walk": 0, "bike": 0}
    transit = 0
    for origin, targets in cases:
        for mode in ("walk", "bike"):
            got = router.earliest(origin, targets, mode)
            want = reference.earliest(origin, targets, mode)
            assert (got is None) == (want is None), (origin, targets, mode, got, want)
            if got is None:
                continue
            found[mode] += 1
            assert abs(got.arrival_s - want) <= 60, (origin, targets, mode, got, want)
            assert got.minutes == math.ceil((got.arrival_s - START) / 60 - 1e-9)
            if got.kind == "transit":
                transit += 1
                _check_legs(got)
    # the comparison means something: many arrivals, many of them by train or coach, some "no trip"
    assert found["walk"] >= 100 and found["bike"] >= 200 and transit >= 100
    assert found["walk"] < len(cases)


def _check_legs(j):
    assert j.leave_s >= START - 1e-6
    assert j.departure_s == j.legs[0].departure_s
    t = j.leave_s + j.access_s
    for leg in j.legs:
        assert leg.departure_s >= t - 1e-6 and leg.arrival_s >= leg.departure_s
        assert leg.route and leg.from_name and leg.to_name
        t = leg.arrival_s
    assert abs(j.legs[-1].arrival_s + j.egress_s - j.arrival_s) < 1e-6
    assert all(b.departure_s - a.arrival_s >= SAME_STOP for a, b in zip(j.legs, j.legs[1:], strict=False))


def test_distances_are_within_half_a_percent_of_the_geodesic():
    rng = random.Random(4)
    geod = Geod(ellps="WGS84")
    for _ in range(200):
        lon, lat = rng.uniform(1.3, 4.3), rng.uniform(48.8, 51.1)
        lons = lon + np.array([rng.uniform(-0.12, 0.12) for _ in range(20)])
        lats = lat + np.array([rng.uniform(-0.08, 0.08) for _ in range(20)])
        _, _, want = geod.inv(np.full(20, lon), np.full(20, lat), lons, lats)
        got = distances_m(lon, lat, lons, lats)
        assert np.all(np.abs(got - want) <= 0.005 * want + 0.01)
        assert np.all(np.abs(haversine_m(lon, lat, lons, lats) - got) <= 1e-5 * want + 0.01)


@needs_feed
def test_bike_reaches_more_stops_than_walk(timetable):
    router = Router(timetable)
    with open(PROJECT_ROOT / "data" / "communes.geojson", encoding="utf-8") as f:
        communes = json.load(f)["features"][::10]
    walk_stops = bike_stops = walk_trips = bike_trips = 0
    for feat in communes:
        p = shape(feat["geometry"]).point_on_surface()
        walk = {s for s, _ in router.access(p.x, p.y, "walk")}
        bike = {s for s, _ in router.access(p.x, p.y, "bike")}
        assert walk <= bike
        walk_stops += len(walk)
        bike_stops += len(bike)
        walk_trips += router.earliest((p.x, p.y), [(2.3579, 49.8941)], "walk") is not None  # Amiens
        bike_trips += router.earliest((p.x, p.y), [(2.3579, 49.8941)], "bike") is not None
    assert bike_stops > 3 * walk_stops > 0
    assert bike_trips > walk_trips


@needs_feed
def test_a_real_journey_has_legs_and_clock_times(timetable):
    router = Router(timetable)
    # from Lille-Flandres' forecourt to a point by Amiens station, more than 8 km apart: by train only
    j = router.earliest((3.0707, 50.6366), [(2.3089, 49.8901)], "walk")
    assert j is not None and j.kind == "transit"
    assert "Lille" in j.legs[0].from_name and "Amiens" in j.legs[-1].to_name
    assert j.departure >= "08:00" and j.arrival <= "14:00"
    assert j.minutes == math.ceil((j.arrival_s - START) / 60 - 1e-9)


# -------------------------------------------------------------------------------- rules on a made-up timetable

LAT = 50.0
KM_LON = 1 / (111.2 * math.cos(math.radians(LAT)))  # degrees of longitude per km at 50° N


def _tt(stops: list[Stop], conns: list[Connection]) -> Timetable:
    conns = sorted(conns, key=lambda c: (c.dep_time_s, c.arr_time_s))
    return Timetable(stops, conns, dt.date(2025, 2, 4), "0" * 64, "test", REGION_BBOX, 0.0)


def _stop(sid: str, km_east: float, parent: str | None = None) -> Stop:
    return Stop(sid, sid.upper(), 3.0 + km_east * KM_LON, LAT, parent)


def _c(a, b, dep_hm, arr_hm, trip, route="K1", **kw) -> Connection:
    def s(hm):
        return int(hm[:2]) * 3600 + int(hm[3:]) * 60

    return Connection(a, b, s(dep_hm), s(arr_hm), trip, route, **kw)


def _at(km_east: float) -> tuple[float, float]:
    return (3.0 + km_east * KM_LON, LAT)


def test_method_defaults_are_the_issues_reference_method():
    m = Method()
    assert (m.start_s, m.cutoff_s) == (START, CUTOFF)
    assert m.speed_ms("walk") == pytest.approx(SPEED["walk"]) and m.speed_ms("bike") == pytest.approx(SPEED["bike"])
    assert (m.max_m("walk"), m.max_m("bike"), m.detour) == (REACH["walk"], REACH["bike"], DETOUR)
    assert (m.change_same_stop_s, m.change_same_station_s, m.transfer_walk_max_m) == (120, 300, 500.0)


def test_direct_walk_beats_transit_when_shorter():
    stops = [_stop("a", 0.0), _stop("b", 1.5)]
    slow = Router(_tt(stops, [_c("a", "b", "08:22", "08:27", "t1")]))
    j = slow.earliest(_at(0.0), [_at(1.5)], "walk")  # 1.5 km x 1.3 at 4.5 km/h: 26 min
    assert j.kind == "direct" and j.minutes == 26 and not j.legs
    fast = Router(_tt(stops, [_c("a", "b", "08:02", "08:06", "t1")]))
    j = fast.earliest(_at(0.0), [_at(1.5)], "walk")
    assert j.kind == "transit" and j.minutes == 6 and j.departure == "08:02" and j.arrival == "08:06"
    assert [(leg.route, leg.from_name, leg.to_name) for leg in j.legs] == [("K1", "A", "B")]


def test_a_change_shorter_than_two_minutes_is_refused():
    stops = [_stop("a", 0.0), _stop("b", 20.0), _stop("c", 40.0)]
    first = _c("a", "b", "08:10", "08:30", "t1")
    tight = Router(_tt(stops, [first, _c("b", "c", "08:31", "08:50", "t2")]))
    assert tight.earliest(_at(0.0), [_at(40.0)], "walk") is None
    ok = Router(_tt(stops, [first, _c("b", "c", "08:31", "08:50", "t2"), _c("b", "c", "08:32", "08:55", "t3")]))
    j = ok.earliest(_at(0.0), [_at(40.0)], "walk")
    assert j.arrival == "08:55" and [leg.trip_id for leg in j.legs] == ["t1", "t3"]
    # staying aboard the same trip needs no change time
    through = Router(_tt(stops, [first, _c("b", "c", "08:30", "08:50", "t1")]))
    j = through.earliest(_at(0.0), [_at(40.0)], "walk")
    assert j.arrival == "08:50" and len(j.legs) == 1 and j.legs[0].to_name == "C"


def test_changes_within_a_station_and_on_foot():
    stops = [_stop("a", 0.0), _stop("b1", 20.0, "B"), _stop("b2", 20.9, "B"), _stop("b3", 20.4), _stop("c", 40.0)]
    first = _c("a", "b1", "08:10", "08:30", "t1")
    # b1 -> b2, same station: 5 min, although 0.9 km (a 16-min walk at 4.5 km/h x 1.3... no: 15.6 min) is longer
    station = Router(_tt(stops, [first, _c("b2", "c", "08:34", "08:50", "t2"), _c("b2", "c", "08:46", "09:00", "t3")]))
    j = station.earliest(_at(0.0), [_at(40.0)], "walk")
    assert j.arrival == "09:00"  # 08:34 is too soon; 08:46 is 16 min after: the walk (15.6 min) governs
    # b1 -> b3, 400 m apart, no common station: on foot, 400 m x 1.3 at 4.5 km/h = 6.9 min
    foot = Router(_tt(stops, [first, _c("b3", "c", "08:36", "08:50", "t2"), _c("b3", "c", "08:37", "08:52", "t3")]))
    assert foot.earliest(_at(0.0), [_at(40.0)], "walk").arrival == "08:52"


def test_pickup_and_drop_off_rules_are_kept():
    stops = [_stop("a", 0.0), _stop("b", 20.0), _stop("c", 40.0)]
    no_drop = Router(_tt(stops, [_c("a", "b", "08:10", "08:30", "t1", drop_off=False)]))
    assert no_drop.earliest(_at(0.0), [_at(20.0)], "walk") is None
    no_pickup = Router(_tt(stops, [_c("a", "b", "08:10", "08:30", "t1", pickup=False)]))
    assert no_pickup.earliest(_at(0.0), [_at(20.0)], "walk") is None


def test_nothing_before_two_in_the_afternoon_is_no_trip():
    stops = [_stop("a", 0.0), _stop("b", 30.0)]
    late = Router(_tt(stops, [_c("a", "b", "13:50", "14:10", "t1")]))
    assert late.earliest(_at(0.0), [_at(30.0)], "walk") is None
    assert late.earliest(_at(0.0), [_at(30.0)], "bike") is None
    on_time = Router(_tt(stops, [_c("a", "b", "13:30", "14:00", "t1")]))
    j = on_time.earliest(_at(0.0), [_at(30.0)], "walk")
    assert j.minutes == 360 and j.arrival == "14:00"
    # a point beyond walking reach of every stop and site
    assert late.earliest(_at(-10.0), [_at(30.0)], "walk") is None
    # but a direct ride within 8 km is a trip
    assert late.earliest(_at(25.0), [_at(30.0)], "bike").kind == "direct"


def test_the_earliest_of_several_targets_is_reported():
    stops = [_stop("a", 0.0), _stop("b", 20.0), _stop("c", 40.0)]
    router = Router(_tt(stops, [_c("a", "b", "08:10", "08:30", "t1"), _c("a", "c", "08:05", "08:25", "t2")]))
    j = router.earliest(_at(0.0), [_at(20.0), _at(40.0)], "walk")
    assert j.target == 1 and j.arrival == "08:25"
    with pytest.raises(ValueError):
        router.earliest(_at(0.0), [_at(20.0)], "car")
