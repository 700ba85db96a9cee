"""The distance figures of a group of communes: written once, for every group and every distance.

The same definitions serve the distance to the nearest site of any mission locale and the
distance to one's own mission locale, for the region, a department, an EPCI or a zone:

* population-weighted mean: sum(population x distance) / sum(population), over the communes
  whose population is known;
* population-weighted median: the smallest distance d such that the communes at most d away
  hold at least half of the population (a lower weighted median);
* "beyond t km": strictly farther than t km; shares are of the group's communes, and of the
  known population of the group.

The region's communes are ranked once (farthest_first) and every group keeps that order
(grouped), so a group's figures are bisections and running sums over lists already sorted: the
region, 5 departments, 92 EPCI and 42 zones, twice (nearest, own), stay within the time budget
of GET /coverage.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import operator
from collections.abc import Callable, Hashable, Iterable

from geosvc.core.rules import round_distance


def farthest_first(items: Iterable, key: Callable) -> list:
    """Items farthest first, ties by code: `key(item)` is (-distance, code). The order `farthest` lists
    use; ranked once for the region, every group of it (grouped) keeps that order: none is sorted again."""
    return sorted(items, key=key)


def grouped(ranked: list, key: Callable[[object], Hashable]) -> dict:
    """Items by key, each group in the order of `ranked`; items whose key is None are left out."""
    groups = collections.defaultdict(list)
    for item in ranked:
        value = key(item)
        if value is not None:
            groups[value].append(item)
    return groups


def distance_figures(distances: list[float], populations: list[int | None], thresholds_km: list[float]) -> dict:
    """Weighted mean and median, mean, max, and `beyond` each threshold, of parallel lists FARTHEST FIRST."""
    ascending, weights = distances[::-1], populations[::-1]
    known = [(d, p) for d, p in zip(ascending, weights, strict=True) if p is not None]
    known_distances = [d for d, _ in known]
    cumulative = list(itertools.accumulate(p for _, p in known))  # population within each known distance
    total = cumulative[-1] if cumulative else 0
    beyond = []
    for km in thresholds_km:
        far = len(ascending) - bisect.bisect_right(ascending, km * 1000)
        within = bisect.bisect_right(known_distances, km * 1000)
        far_population = total - (cumulative[within - 1] if within else 0)
        beyond.append({
            "km": km,
            "communes": far,
            "communes_share": share(far, len(ascending)),
            "population": far_population,
            "population_share": share(far_population, total),
        })
    # lower weighted median: the first distance within which lies at least half the population
    median = known_distances[bisect.bisect_left(cumulative, total / 2)] if total > 0 else None
    return {
        "weighted_mean_distance_m": metres(sum(itertools.starmap(operator.mul, known)) / total if total > 0 else None),
        "weighted_median_distance_m": metres(median),
        "mean_distance_m": metres(sum(ascending) / len(ascending) if ascending else None),
        "max_distance_m": metres(distances[0] if distances else None),
        "beyond": beyond,
    }


def weighted_mean(pairs: Iterable[tuple[float, int]]) -> float | None:
    pairs = list(pairs)
    total = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total > 0 else None


def known_population(populations: Iterable[int | None]) -> tuple[int, int]:
    """(sum of the known populations, count of the unknown ones)."""
    total = unknown = 0
    for population in populations:
        if population is None:
            unknown += 1
        else:
            total += population
    return total, unknown


def metres(value: float | None) -> float | None:
    # decimetres: far below the data's own precision, and stable across platforms
    return None if value is None else round_distance(value)


def share(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None
