"""Benchmark of the region's coverage, and a brute-force check of its answers.

`python scripts/bench_coverage.py [--runs N]` times the ONE PostGIS statement that finds
the 3 nearest served sites of all 3,782 communes (geosvc/coverage/network.py), then the
indicators on top of it, then computes the nearest site of every commune by brute force
in Python (pyproj.Geod over every commune x every served site, vectorised with numpy)
and prints the time ratio and whether both give the same answers.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
from pyproj import Geod

from geosvc.config import Settings
from geosvc.coverage import sql
from geosvc.coverage.indicators import DEFAULT_FARTHEST, DEFAULT_THRESHOLDS_KM, indicators
from geosvc.coverage.network import Coverage, Network, compute, stored_network

TARGET_S = 0.3
# "identical": same nearest site, and distances equal to the millimetre (the spheroid
# algorithms of PostGIS and of pyproj/GeographicLib agree far better than that).
SAME_DISTANCE_M = 0.001


@dataclasses.dataclass(frozen=True)
class Comparison:
    communes: int
    same_site: int
    max_difference_m: float
    differing: list[str]

    @property
    def identical(self) -> bool:
        return self.same_site == self.communes and self.max_difference_m <= SAME_DISTANCE_M


def brute_force(points: list[dict], network: Network) -> dict[str, tuple[str, float]]:
    """commune code -> (nearest site id, geodesic metres), every site measured from every commune."""
    sites = sorted(network.sites.values(), key=lambda s: s.id)  # argmin keeps the first: ties go to the lower id
    commune_lons = np.array([p["lon"] for p in points])
    commune_lats = np.array([p["lat"] for p in points])
    site_lons = np.array([s.lon for s in sites])
    site_lats = np.array([s.lat for s in sites])
    _, _, distances = Geod(ellps="WGS84").inv(
        np.repeat(commune_lons, len(sites)), np.repeat(commune_lats, len(sites)),
        np.tile(site_lons, len(points)), np.tile(site_lats, len(points)),
    )
    distances = distances.reshape(len(points), len(sites))
    nearest = distances.argmin(axis=1)
    return {
        point["code"]: (sites[index].id, float(distances[row, index]))
        for row, (point, index) in enumerate(zip(points, nearest, strict=True))
    }


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


def run(cursor, runs: int) -> list[str]:
    network = stored_network(cursor)
    compute(cursor, network)  # warm-up: plans, caches
    statement_s, coverage = _timed(runs, lambda: compute(cursor, network))
    indicators_s, _ = _timed(runs, lambda: indicators(coverage, DEFAULT_THRESHOLDS_KM, DEFAULT_FARTHEST))
    started = time.perf_counter()
    points = sql.commune_points(cursor)
    fetch_s = time.perf_counter() - started
    brute_s, brute = _timed(runs, lambda: brute_force(points, network))
    comparison = compare(coverage, brute)
    verdict = "within" if statement_s.best_s <= TARGET_S else "OVER"
    return [
        f"communes {len(coverage.communes)}, served sites {len(network.sites)}, {runs} timed runs each",
        f"PostGIS, one statement (3 nearest of every commune): {statement_s} "
        f"({verdict} the {TARGET_S} s target)",
        f"indicators in Python on top of it: {indicators_s}",
        f"brute force, pyproj.Geod x numpy (nearest of every commune): {brute_s} "
        f"(+ {fetch_s:.3f} s to fetch the points)",
        f"ratio brute force / PostGIS (best times): {brute_s.best_s / statement_s.best_s:.2f}",
        f"identical answers: {'yes' if comparison.identical else 'NO'} "
        f"({comparison.same_site}/{comparison.communes} same nearest site, "
        f"max distance difference {comparison.max_difference_m * 1000:.3f} mm)"
        + (f"; differing: {', '.join(comparison.differing[:10])}" if comparison.differing else ""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (the best is shown)")
    options = parser.parse_args(argv)
    from geosvc.coverage.commands import read_cursor

    with read_cursor(Settings.from_env()) as cursor:
        for line in run(cursor, max(1, options.runs)):
            print(line)
    return 0


@dataclasses.dataclass(frozen=True)
class Timing:
    best_s: float
    median_s: float

    def __str__(self) -> str:
        return f"{self.best_s:.3f} s (median {self.median_s:.3f} s)"


def _timed(runs: int, function):
    """(Timing, last result); the best run is the one least disturbed by the rest of the machine."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return Timing(min(times), statistics.median(times)), result

