"""PNG charts of the coverage, drawn with matplotlib's Agg canvas (no display, no pyplot state).

* distance distribution: communes, and population, per 1-km band of distance to the nearest site;
* cumulative share of the population (and of the communes) within a given distance.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from geosvc.coverage.network import Coverage

BAND_KM = 1.0
DPI = 110
COMMUNES_COLOUR = "#4575b4"
POPULATION_COLOUR = "#d73027"


def distance_distribution(coverage: Coverage, thresholds_km: list[float], path: Path, title: str) -> Path:
    distances = [c.distance_m / 1000 for c in coverage.communes]
    populations = [c.population or 0 for c in coverage.communes]
    bands = max(1, math.ceil(max(distances, default=0) / BAND_KM))
    bins = [i * BAND_KM for i in range(bands + 1)]
    figure = Figure(figsize=(9, 6.5), dpi=DPI, layout="constrained")
    communes_axes, population_axes = figure.subplots(2, 1, sharex=True)
    communes_axes.hist(distances, bins=bins, color=COMMUNES_COLOUR)
    communes_axes.set_ylabel("communes")
    population_axes.hist(distances, bins=bins, weights=populations, color=POPULATION_COLOUR)
    population_axes.set_ylabel("population")
    population_axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    population_axes.set_xlabel("geodesic distance to the nearest served mission locale site (km)")
    for axes in (communes_axes, population_axes):
        _threshold_lines(axes, thresholds_km)
    figure.suptitle(f"{title}: distance to the nearest site, per {BAND_KM:g} km band")
    return _save(figure, path)


def cumulative_population(coverage: Coverage, thresholds_km: list[float], path: Path, title: str) -> Path:
    ordered = sorted(coverage.communes, key=lambda c: c.distance_m)
    total_population = sum(c.population or 0 for c in ordered) or 1
    xs, population_share, commune_share = [0.0], [0.0], [0.0]
    running = 0
    for index, commune in enumerate(ordered, start=1):
        running += commune.population or 0
        xs.append(commune.distance_m / 1000)
        population_share.append(100 * running / total_population)
        commune_share.append(100 * index / len(ordered))
    figure = Figure(figsize=(9, 5.5), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    axes.step(xs, population_share, where="post", color=POPULATION_COLOUR, label="population")
    axes.step(xs, commune_share, where="post", color=COMMUNES_COLOUR, linestyle="--", label="communes")
    axes.set_xlabel("geodesic distance to the nearest served mission locale site (km)")
    axes.set_ylabel("share within this distance (%)")
    axes.set_ylim(0, 100)
    axes.set_xlim(left=0)
    axes.grid(alpha=0.3)
    _threshold_lines(axes, thresholds_km)
    for km in thresholds_km:
        within = _share_within(xs, population_share, km)
        axes.annotate(f"{within:.0f} %", (km, within), textcoords="offset points", xytext=(4, -12), fontsize=8)
    axes.legend(loc="lower right")
    axes.set_title(f"{title}: cumulative share of the population by distance to the nearest site")
    return _save(figure, path)


def _share_within(xs: list[float], shares: list[float], km: float) -> float:
    """The cumulative share at distance km (the last step at or before it)."""
    within = 0.0
    for x, share in zip(xs, shares, strict=True):
        if x > km:
            break
        within = share
    return within


def _threshold_lines(axes, thresholds_km: list[float]) -> None:
    for km in thresholds_km:
        axes.axvline(km, color="#555", linewidth=0.8, linestyle=":")


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no GUI backend is ever chosen
    figure.savefig(path, format="png")
    return path
