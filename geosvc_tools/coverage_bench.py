"""Benchmark of the whole coverage (every commune's nearest sites), and a brute-force check of its answers.

`python scripts/bench_coverage.py [--runs N]` times the ONE PostGIS statement that finds
the 3 nearest served sites of every commune (geosvc/coverage/network.py), then the
indicators on top of it, then computes the nearest site of every commune by brute force
in Python (pyproj.Geod over every commune x every served site, vectorised with numpy)
and prints the time ratio and whether both give the same answers.

`measure(cursor, runs)` returns the figures; `scripts/bench.py` (geosvc_tools/bench.py) calls it
on the region's and on France's scratch databases.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
from pyproj import Geod

from geosvc.config import Settings
from geosvc.coverage.indicators import DEFAULT_FARTHEST, DEFAULT_THRESHOLDS_KM, indicators
from geosvc.coverage.network import Coverage, Network, compute, stored_network
from geosvc.db import coverage as sql

# the region's whole coverage within 0.2 s (France's: 2 s, checked by geosvc_tools/bench.py)
TARGET_S = 0.2
# the coverage at least this many times faster than the brute force
TARGET_SPEEDUP = 100.0
# "identical": same nearest site, and distances equal to the millimetre (the spheroid
# algorithms of PostGIS and of pyproj/GeographicLib agree far better than that).
SAME_DISTANCE_M = 0.001
# commune x site pairs computed at once by the brute force: bounds its memory (~100 MB)
# whatever the size of the data (France: 34,739 x 714 = 25 million pairs)
PAIRS_PER_CHUNK = 2_000_000


@dataclasses.dataclass(frozen=True)
class Comparison:
    communes: int
    same_site: int
    max_difference_m: float
    differing: list[str]

    @property
    def identical(self) -> bool:
        return self.same_site == self.communes and self.max_difference_m <= SAME_DISTANCE_M


@dataclasses.dataclass(frozen=True)
class Timing:
    best_s: float
    median_s: float

    def __str__(self) -> str:
        return f"{self.best_s:.3f} s (median {self.median_s:.3f} s)"


@dataclasses.dataclass(frozen=True)
class Figures:
    """One database's coverage: how long each way takes, and whether both agree."""

    communes: int
    sites: int
    runs: int
    statement: Timing  # GET /coverage's statement: the 3 nearest of every commune, ranked at ingestion
    search: Timing  # the full KNN statement a scenario runs (the same answer, searched now)
    indicators: Timing  # region, departments, EPCI, sites, missions locales on top of it (Python)
    fetch_points_s: float  # the brute force's input, read once
    brute_force: Timing  # pyproj.Geod x numpy, every commune x every site
    brute_force_runs: int
    comparison: Comparison

    @property
    def total(self) -> Timing:
        """What GET /coverage computes: the statement, then the indicators."""
        return Timing(self.statement.best_s + self.indicators.best_s,
                      self.statement.median_s + self.indicators.median_s)

    @property
    def speedup(self) -> float:
        """brute force / PostGIS statement, best times (below 1: the brute force is faster)."""
        return self.brute_force.best_s / self.statement.best_s


def brute_force(points: list[dict], network: Network) -> dict[str, tuple[str, float]]:
    """commune code -> (nearest site id, geodesic metres), every site measured from every commune."""
    sites = sorted(network.sites.values(), key=lambda s: s.id)  # argmin keeps the first: ties go to the lower id
    site_lons = np.array([s.lon for s in sites])
    site_lats = np.array([s.lat for s in sites])
    geod = Geod(ellps="WGS84")
    nearest: dict[str, tuple[str, float]] = {}
    chunk = max(1, PAIRS_PER_CHUNK // max(1, len(sites)))
    for start in range(0, len(points), chunk):
        part = points[start:start + chunk]
        commune_lons = np.array([p["lon"] for p in part])
        commune_lats = np.array([p["lat"] for p in part])
        _, _, distances = geod.inv(
            np.repeat(commune_lons, len(sites)), np.repeat(commune_lats, len(sites)),
            np.tile(site_lons, len(part)), np.tile(site_lats, len(part)),
        )
        distances = distances.reshape(len(part), len(sites))
        indexes = distances.argmin(axis=1)
        for row, (point, index) in enumerate(zip(part, indexes, strict=True)):
            nearest[point["code"]] = (sites[index].id, float(distances[row, index]))
    return nearest


def compare(coverage: Coverage, brute: dict[str, tuple[str, float]]) -> Comparison:
    same, worst, differing = 0, 0.0, []
    for commune in coverage.communes:
        site_id, distance = brute[commune.code]
        if site_id == commune.site_id:
            same += 1
        else:
            differing.append(commune.code)
        worst = max(worst, abs(distance - commune.distance_m))
    return Comparison(len(coverage.communes), same, worst, differing)


def measure(cursor, runs: int, brute_force_runs: int | None = None) -> Figures:
    """Time the coverage statement, the indicators and the brute force on the cursor's database.

    `brute_force_runs` (default: `runs`) lets a large data set time its slow brute force once.
    """
    runs = max(1, runs)
    brute_force_runs = max(1, brute_force_runs or runs)
    network = stored_network(cursor)
    compute(cursor, network)  # warm-up: plans, caches
    statement, coverage = _timed(runs, lambda: compute(cursor, network))
    # removing an id that no site has changes nothing but forces the scenario path
    searching = dataclasses.replace(network, removed=("no-such-site",))
    compute(cursor, searching)
    search, searched = _timed(runs, lambda: compute(cursor, searching))
    assert [c.nearest for c in searched.communes] == [c.nearest for c in coverage.communes]
    indicators_timing, _ = _timed(runs, lambda: indicators(coverage, DEFAULT_THRESHOLDS_KM, DEFAULT_FARTHEST))
    started = time.perf_counter()
    points = sql.commune_points(cursor)
    fetch_s = time.perf_counter() - started
    brute_timing, brute = _timed(brute_force_runs, lambda: brute_force(points, network))
    return Figures(
        communes=len(coverage.communes), sites=len(network.sites), runs=runs, statement=statement, search=search,
        indicators=indicators_timing, fetch_points_s=fetch_s, brute_force=brute_timing,
        brute_force_runs=brute_force_runs, comparison=compare(coverage, brute),
    )


def lines(figures: Figures, target_s: float = TARGET_S) -> list[str]:
    comparison = figures.comparison
    verdict = "within" if figures.total.best_s <= target_s else "OVER"
    return [
        f"communes {figures.communes}, served sites {figures.sites}, {figures.runs} timed runs each "
        f"({figures.brute_force_runs} of the brute force)",
        f"PostGIS, one statement (3 nearest of every commune, ranked at ingestion): {figures.statement}",
        f"PostGIS, the full KNN statement a scenario runs (same answer): {figures.search}",
        f"indicators in Python on top of it: {figures.indicators}",
        f"whole coverage (statement + indicators): {figures.total} ({verdict} the {target_s:g} s target)",
        f"brute force, pyproj.Geod x numpy (nearest of every commune): {figures.brute_force} "
        f"(+ {figures.fetch_points_s:.3f} s to fetch the points)",
        f"ratio brute force / PostGIS (best times): {figures.speedup:.2f} (target >= {TARGET_SPEEDUP:g})",
        f"identical answers: {'yes' if comparison.identical else 'NO'} "
        f"({comparison.same_site}/{comparison.communes} same nearest site, "
        f"max distance difference {comparison.max_difference_m * 1000:.3f} mm)"
        + (f"; differing: {', '.join(comparison.differing[:10])}" if comparison.differing else ""),
    ]


def run(cursor, runs: int) -> list[str]:
    return lines(measure(cursor, runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (the best is shown)")
    options = parser.parse_args(argv)
    from geosvc.cli.coverage_commands import read_cursor

    with read_cursor(Settings.from_env()) as cursor:
        for line in run(cursor, max(1, options.runs)):
            print(line)
    return 0


def _timed(runs: int, function):
    """(Timing, last result); the best run is the one least disturbed by the rest of the machine."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return Timing(min(times), statistics.median(times)), result
