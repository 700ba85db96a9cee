"""Issue 16's correctness requirement: the stored travel times (table commune_transit) against an earliest
arrival computed here, independently of the production code path, for a sample of the region's communes.

Nothing of geosvc.transit is imported. The reference
- reads SNCF's GTFS zip itself with the standard library (zipfile + csv): stops.txt, routes.txt, trips.txt,
  calendar_dates.txt (the trips of Tuesday 2025-02-04 are those whose service_id has a row of that date with
  exception_type 1; the feed has no calendar.txt), stop_times.txt;
- keeps, in its own way, the *whole* trips (every call, no hop dropped) that call at least once at a stop inside
  the extent of the loaded communes (read from the database) widened by 0.3 degree on every side (production
  keeps the trips calling inside a fixed box and drops their hops outside that box + 20 km);
- measures distances with the haversine formula on the sphere of mean radius (production: an equirectangular
  approximation; both agree to well under a metre at these distances, so a train caught by a few seconds is
  caught by both);
- finds the earliest arrival with a round-based scan of whole trips (round k: every trip that can be boarded at a
  stop improved in round k - 1, ridden from its earliest boardable call; then the changes from the stops
  alighted at), repeated until no stop improves: neither production's Connection Scan nor the Dijkstra of
  tests/test_transit_routing.py;
- restates the issue's method: leave the commune's reference point at 08:00, walk 4.5 km/h <= 2 km or bike
  15 km/h <= 8 km over straight line x 1.3 to and from stops, a direct walk or ride to the site counts, changes
  >= 2 min at the same stop point, >= 5 min between stop points of one parent_station, on foot <= 500 m apart
  (walking x 1.3, never under 2 min), one footpath per change, pickup_type / drop_off_type 1 forbid boarding /
  alighting, nothing at the site by 14:00 is no trip.

Compared: every commune of the loaded data (3,782) to its own mission locale's sites (commune_own_sites +
mission_sites, from communes.point), walking and biking, and the first 100 communes of each department (by md5 of
the code: deterministic, spread over the department) to their nearest site (commune_nearest.site_ids[1]). Every
journey must match the stored minutes +- 1, no trip on both sides alike (on 2025-02-04 all 8,564 match to the
minute), and the compared set must hold no-trip cases, direct trips, one-leg and multi-leg journeys, in every
department. About 8 s on top of the loaded database (half of it reading the zip, twice: Tuesday and Sunday).
"""

from __future__ import annotations

import bisect
import csv
import io
import math
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

FEED = Path(__file__).resolve().parents[1] / "data" / "sources" / "gtfs" / "sncf_ter_gtfs_2025-01-22.zip"
SERVICE_DAY = "20250204"

# The reference method, restated.
START, CUTOFF = 8 * 3600, 14 * 3600
SPEED_MS = {"walk": 4.5 / 3.6, "bike": 15.0 / 3.6}
REACH_M = {"walk": 2000.0, "bike": 8000.0}
DETOUR = 1.3
CHANGE_SAME_STOP, CHANGE_SAME_STATION, CHANGE_ON_FOOT_M = 120.0, 300.0, 500.0
RADIUS_M = 6_371_008.8  # the mean radius of the Earth
MARGIN_DEG = 0.3  # the region's extent widened by this, on every side, to keep the trips that serve it

NEAREST_PER_DEPARTMENT = 100

needs_feed = pytest.mark.skipif(not FEED.exists(), reason=f"the TER feed is not at {FEED}")


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * RADIUS_M * math.asin(math.sqrt(h))


def seconds(text: str) -> int:
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def hhmm(t: float) -> str:
    m = math.ceil(t / 60 - 1e-9)
    return f"{m // 60:02d}:{m % 60:02d}"


# ------------------------------------------------------------------------------------------ the GTFS, by hand


@dataclass
class Day:
    """The trips of the service day, read from the zip with the standard library."""

    stops: dict[str, tuple[str, float, float, str]]  # stop_id -> name, lon, lat, parent_station ('' if none)
    route_of: dict[str, str]  # trip_id -> the route's short name (else its long name)
    calls: dict[str, list[tuple[str, int, int, bool, bool]]]  # trip -> (stop, arr s, dep s, pickup, drop off)


def _rows(archive: zipfile.ZipFile, name: str):
    with archive.open(name) as raw:
        yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))


@cache
def read_day(path: Path = FEED, day: str = SERVICE_DAY) -> Day:
    with zipfile.ZipFile(path) as z:
        services = {r["service_id"] for r in _rows(z, "calendar_dates.txt")
                    if r["date"] == day and r["exception_type"].strip() == "1"}
        routes = {r["route_id"]: (r["route_short_name"] or r["route_long_name"]) for r in _rows(z, "routes.txt")}
        route_of = {r["trip_id"]: routes[r["route_id"]] for r in _rows(z, "trips.txt") if r["service_id"] in services}
        stops = {r["stop_id"]: (r["stop_name"], float(r["stop_lon"]), float(r["stop_lat"]), r["parent_station"])
                 for r in _rows(z, "stops.txt")}
        raw: dict[str, list[tuple[int, str, int, int, bool, bool]]] = defaultdict(list)
        with z.open("stop_times.txt") as f:
            reader = csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline=""))
            header = next(reader)
            i_trip, i_arr, i_dep, i_stop, i_seq, i_pick, i_drop = (header.index(k) for k in (
                "trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "pickup_type",
                "drop_off_type"))
            for r in reader:
                if r[i_trip] in route_of:
                    raw[r[i_trip]].append((int(r[i_seq]), r[i_stop], seconds(r[i_arr]), seconds(r[i_dep]),
                                           r[i_pick].strip() != "1", r[i_drop].strip() != "1"))
    calls = {trip: [c[1:] for c in sorted(cs)] for trip, cs in raw.items()}
    return Day(stops, route_of, calls)


# --------------------------------------------------------------------------------------------- the reference


@dataclass
class Result:
    minutes: int
    arrival_s: float
    kind: str  # 'direct' or 'transit'
    legs: list[tuple] = field(default_factory=list)  # (route, trip, from stop, departure s, to stop, arrival s)
    access_s: float = 0.0
    egress_s: float = 0.0
    site: int = -1  # index of the site reached


class Reference:
    """Earliest arrival over the whole trips serving a box, round by round (see the module's docstring)."""

    def __init__(self, day: Day, box: tuple[float, float, float, float]):
        west, south, east, north = box

        def inside(stop_id: str) -> bool:
            _, lon, lat, _ = day.stops[stop_id]
            return west <= lon <= east and south <= lat <= north

        self.trips = {t: cs for t, cs in day.calls.items() if any(inside(c[0]) for c in cs)}
        self.route_of = day.route_of
        self.names = {s: day.stops[s][0] for cs in self.trips.values() for s, *_ in cs}
        self.where = {s: day.stops[s][1:3] for s in self.names}
        # per stop, the calls one may board at, by departure: (departure, trip, position)
        boardable: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
        for trip, cs in self.trips.items():
            for k, (stop, _arr, dep, pickup, _drop) in enumerate(cs[:-1]):
                if pickup:
                    boardable[stop].append((dep, trip, k))
        self.boardable = {s: sorted(v) for s, v in boardable.items()}
        self.boardable_times = {s: [v[0] for v in lst] for s, lst in self.boardable.items()}
        # changes: the stop itself (2 min), its station's other stop points (5 min), stop points <= 500 m on foot
        cell: dict[tuple[int, int], list[str]] = defaultdict(list)
        for s, (lon, lat) in self.where.items():
            cell[(int(lat // 0.01), int(lon // 0.015))].append(s)
        by_parent: dict[str, list[str]] = defaultdict(list)
        for s in self.where:
            parent = day.stops[s][3]
            if parent:
                by_parent[parent].append(s)
        self.changes: dict[str, dict[str, float]] = {}
        for s, (lon, lat) in self.where.items():
            out = {s: CHANGE_SAME_STOP}
            parent = day.stops[s][3]
            y, x = int(lat // 0.01), int(lon // 0.015)
            near = [o for dy in (-1, 0, 1) for dx in (-1, 0, 1) for o in cell.get((y + dy, x + dx), ())]
            for o in set(near) | set(by_parent.get(parent, ()) if parent else ()):
                if o == s:
                    continue
                d = haversine_m(lon, lat, *self.where[o])
                same_station = bool(parent) and day.stops[o][3] == parent
                if same_station or d <= CHANGE_ON_FOOT_M:
                    floor = CHANGE_SAME_STATION if same_station else CHANGE_SAME_STOP
                    out[o] = max(floor, d * DETOUR / SPEED_MS["walk"])
            self.changes[s] = out

    def within(self, lon: float, lat: float, mode: str) -> dict[str, float]:
        """Stop -> seconds to or from the point in the mode, for the stops within its reach."""
        reach, dlat = REACH_M[mode], REACH_M[mode] / 100_000  # a degree of latitude is over 100 km
        dlon = dlat / math.cos(math.radians(abs(lat) + 1))
        out = {}
        for s, (x, y) in self.where.items():
            if abs(y - lat) <= dlat and abs(x - lon) <= dlon:
                d = haversine_m(lon, lat, x, y)
                if d <= reach:
                    out[s] = d * DETOUR / SPEED_MS[mode]
        return out

    def earliest(self, origin: tuple[float, float], sites: list[tuple[float, float]], mode: str) -> Result | None:
        best, result = math.inf, None
        direct = [haversine_m(*origin, *site) for site in sites]
        k = min(range(len(sites)), key=direct.__getitem__)
        if direct[k] <= REACH_M[mode]:
            best = START + direct[k] * DETOUR / SPEED_MS[mode]
            result = Result(math.ceil((best - START) / 60 - 1e-9), best, "direct", site=k)
        egress: dict[str, tuple[float, int]] = {}
        for i, site in enumerate(sites):
            for s, t in self.within(*site, mode).items():
                if t < egress.get(s, (math.inf, -1))[0]:
                    egress[s] = (t, i)
        access = self.within(*origin, mode)
        board = {s: START + t for s, t in access.items()}  # earliest time one may board at a stop
        came_by: dict[str, str | None] = dict.fromkeys(access)  # stop boarded at -> stop alighted at (None: origin)
        alighted: dict[str, float] = {}  # earliest arrival at a stop aboard a trip
        rode: dict[str, tuple[str, int, int]] = {}  # stop alighted at -> (trip, boarding position, position)
        best_stop = None
        marked = set(board)
        while marked:
            first: dict[str, int] = {}  # trip -> the earliest position one may board it at in this round
            for s in marked:
                times = self.boardable_times.get(s)
                if not times:
                    continue
                for dep, trip, pos in self.boardable[s][bisect.bisect_left(times, board[s]):]:
                    if dep >= best or dep > CUTOFF:
                        break
                    if pos < first.get(trip, 1 << 30):
                        first[trip] = pos
            improved: set[str] = set()
            for trip, pos in first.items():
                cs = self.trips[trip]
                for j in range(pos + 1, len(cs)):
                    stop, arr, _dep, _pickup, drop = cs[j]
                    if arr >= best:
                        break
                    if not drop or arr >= alighted.get(stop, math.inf):
                        continue
                    alighted[stop] = arr
                    rode[stop] = (trip, pos, j)
                    improved.add(stop)
                    if stop in egress and arr + egress[stop][0] < best:
                        best, best_stop = arr + egress[stop][0], stop
            marked = set()
            for stop in improved:
                for other, change in self.changes[stop].items():
                    if alighted[stop] + change < board.get(other, math.inf):
                        board[other] = alighted[stop] + change
                        came_by[other] = stop
                        marked.add(other)
        if best > CUTOFF:
            return None
        if best_stop is None:
            return result
        legs = []
        stop: str | None = best_stop
        while stop is not None:
            trip, pos, j = rode[stop]
            cs = self.trips[trip]
            legs.append((self.route_of[trip], trip, cs[pos][0], cs[pos][2], cs[j][0], cs[j][1]))
            stop = came_by[cs[pos][0]]
        legs.reverse()
        t, site = egress[best_stop]
        return Result(math.ceil((best - START) / 60 - 1e-9), best, "transit", legs, access[legs[0][2]], t, site)


# ------------------------------------------------------------------------------------------ the stored rows


def _region_box(sql) -> tuple[float, float, float, float]:
    r = sql("SELECT ST_XMin(e) w, ST_YMin(e) s, ST_XMax(e) e, ST_YMax(e) n "
            "FROM (SELECT ST_Extent(geom) e FROM communes) x")[0]
    return (r["w"] - MARGIN_DEG, r["s"] - MARGIN_DEG, r["e"] + MARGIN_DEG, r["n"] + MARGIN_DEG)


@cache
def _reference(box: tuple[float, float, float, float]) -> Reference:
    return Reference(read_day(), box)


def _sample(sql, per_department: int | None = None) -> list[dict]:
    """The first communes of each department by md5 of the code (all of them when per_department is None)."""
    return list(sql("""
        SELECT code, nom, departement, lon, lat FROM (
            SELECT c.code, c.nom, c.departement, ST_X(c.point::geometry) lon, ST_Y(c.point::geometry) lat,
                   row_number() OVER (PARTITION BY c.departement ORDER BY md5(c.code)) AS k
            FROM communes c) x
        WHERE k <= :n ORDER BY departement, code
    """, n=per_department or 1 << 30))


def _sites(sql) -> dict[str, tuple[float, float]]:
    rows = sql("SELECT id, ST_X(geog::geometry) lon, ST_Y(geog::geometry) lat FROM mission_sites "
               "WHERE status = 'served' AND geog IS NOT NULL")
    return {r["id"]: (r["lon"], r["lat"]) for r in rows}


def _stored(sql, target: str) -> dict[tuple[str, str], dict]:
    rows = sql("SELECT code, mode, minutes, kind, site_id, legs FROM commune_transit WHERE target = :t", t=target)
    return {(r["code"], r["mode"]): r for r in rows}


def _compare(ref: Reference, communes, targets, stored) -> dict:
    """Route every commune to its targets in both modes; the tallies, and the journeys out of tolerance."""
    tally = defaultdict(int)
    off = []
    for c in communes:
        ids = targets.get(c["code"])
        if not ids:
            continue
        for mode in ("walk", "bike"):
            mine = ref.earliest((c["lon"], c["lat"]), [site for _, site in ids], mode)
            row = stored[(c["code"], mode)]
            tally["journeys"] += 1
            tally[c["departement"] + (" none" if mine is None else " some")] += 1
            if mine is None:
                tally["none"] += 1
            elif mine.kind == "direct":
                tally["direct"] += 1
            else:
                tally[f"legs={min(len(mine.legs), 3)}"] += 1
            theirs = row["minutes"]
            if mine is None or theirs is None:
                if (mine is None) != (theirs is None):
                    off.append((c["code"], mode, None if mine is None else mine.minutes, theirs))
                else:
                    tally["equal"] += 1
                continue
            gap = abs(mine.minutes - theirs)
            tally["equal" if gap == 0 else "1 min" if gap == 1 else "off"] += 1
            if gap > 1:
                off.append((c["code"], mode, mine.minutes, theirs, mine.legs, row["legs"]))
            elif gap == 0 and mine.kind == "transit" and row["kind"] == "transit" and len(mine.legs) != len(
                    row["legs"]):
                tally["same minutes, other number of legs"] += 1
    return {"tally": dict(tally), "off": off}


# ------------------------------------------------------------------------------------------------ the tests


@needs_feed
def test_the_reference_reads_the_day_of_the_feed():
    day = read_day()
    assert 5_000 < len(day.calls) < 15_000  # the Tuesday's TER trips in all of France
    assert all(all(a[2] <= b[1] for a, b in zip(cs, cs[1:], strict=False)) for cs in day.calls.values())
    # a Tuesday holds more trips than a Sunday
    assert len(read_day(FEED, "20250209").calls) < len(day.calls)


@needs_feed
def test_own_sites_match_an_independent_earliest_arrival(sql):
    started = time.perf_counter()
    ref = _reference(_region_box(sql))
    sites = _sites(sql)
    communes = _sample(sql)
    own = {r["code"]: [(i, sites[i]) for i in r["ids"]] for r in sql(
        "SELECT code, array_agg(DISTINCT s ORDER BY s) ids FROM commune_own_sites, unnest(site_ids) s GROUP BY code")}
    result = _compare(ref, communes, own, _stored(sql, "own"))
    tally = result["tally"]
    print(f"\nown sites: {len(communes)} communes, {tally}; {time.perf_counter() - started:.1f} s")
    assert len(communes) >= 3_000 and tally["journeys"] >= 6_000
    assert result["off"] == []
    assert tally["equal"] + tally.get("1 min", 0) == tally["journeys"]
    # the sample is not trivial: it holds every kind of answer, in every department
    assert tally.get("none", 0) >= 1_000 and tally.get("direct", 0) >= 200
    assert tally.get("legs=1", 0) >= 500 and tally.get("legs=2", 0) + tally.get("legs=3", 0) >= 100
    for dep in {c["departement"] for c in communes}:
        assert tally.get(f"{dep} none", 0) > 0 and tally.get(f"{dep} some", 0) > 0, dep


@needs_feed
def test_nearest_site_matches_an_independent_earliest_arrival(sql):
    ref = _reference(_region_box(sql))
    sites = _sites(sql)
    communes = _sample(sql, NEAREST_PER_DEPARTMENT)
    nearest = {r["code"]: [(r["id"], sites[r["id"]])] for r in sql(
        "SELECT code, site_ids[1] id FROM commune_nearest WHERE cardinality(site_ids) > 0")}
    result = _compare(ref, communes, nearest, _stored(sql, "nearest"))
    tally = result["tally"]
    print(f"\nnearest site: {len(communes)} communes, {tally}")
    assert len(communes) >= 400 and tally["journeys"] >= 800
    assert result["off"] == []
    assert tally.get("none", 0) >= 100 and tally.get("direct", 0) >= 50
    assert tally.get("legs=1", 0) >= 100 and tally.get("legs=2", 0) + tally.get("legs=3", 0) >= 20


def test_the_reference_on_a_made_up_line():
    """The reference's own rules, on a line of four stops 1 km apart going east (no feed needed)."""
    def at(km: float) -> tuple[float, float]:
        return (3.0 + km / (111.195 * math.cos(math.radians(50.0))), 50.0)

    stops = {f"S{i}": (f"S{i}", *at(i), "P" if i in (2, 3) else "") for i in range(5)}
    stops["S2b"] = ("S2b", *at(2.2), "P")  # another stop point of S2's station, 200 m away
    calls = {
        "A": [("S0", 0, 8 * 3600 + 600, True, True), ("S2", 8 * 3600 + 1200, 8 * 3600 + 1200, True, True)],
        "B": [("S2", 0, 8 * 3600 + 1260, True, True), ("S4", 8 * 3600 + 1800, 0, True, True)],  # 1 min: too short
        "C": [("S2b", 0, 8 * 3600 + 1500, True, True), ("S4", 8 * 3600 + 2100, 0, True, True)],  # 5 min: station
    }
    ref = Reference(Day(stops, dict.fromkeys(calls, "K1"), calls), (0, 0, 10, 90))
    far = at(40.0)
    assert ref.earliest(at(0.0), [far], "walk") is None  # nothing within reach of the site
    got = ref.earliest(at(0.0), [at(4.0)], "walk")
    assert got.kind == "transit" and [leg[1] for leg in got.legs] == ["A", "C"] and got.arrival_s == 8 * 3600 + 2100
    assert ref.earliest(at(0.0), [at(1.0)], "walk").kind == "direct"  # 17.3 min on foot beats the train
