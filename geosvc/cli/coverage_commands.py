"""What `geosvc coverage report` and `geosvc coverage scenario` do (their options are in geosvc/cli.py).

They read through the same read-only pool as the service, with a longer statement time
limit (a report dissolves every catchment: seconds, not the web's milliseconds).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

from geosvc.config import Settings

CLI_STATEMENT_TIMEOUT_MS = 120_000


class CommandInputError(ValueError):
    """An option value or a scenario file that cannot be used (a usage error)."""


@contextlib.contextmanager
def read_cursor(settings: Settings) -> Iterator:
    from geosvc.db.pool import ReadDatabase

    timeout = max(settings.statement_timeout_ms, CLI_STATEMENT_TIMEOUT_MS)
    database = ReadDatabase(dataclasses.replace(settings, statement_timeout_ms=timeout))
    try:
        with database.cursor() as cursor:
            yield cursor
    finally:
        database.close()


def parse_thresholds(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandInputError(f"{text!r}: expected km values separated by commas, e.g. 5,10,15,20") from exc
    if not values or any(not 0 < value <= 200 for value in values):
        raise CommandInputError(f"{text!r}: each threshold must be more than 0 and at most 200 km")
    return values


def report(settings: Settings, out_dir: Path, thresholds_km: list[float], farthest: int) -> list[str]:
    """Write the report; returns lines to print (files written, headline figures)."""
    from geosvc.cli.report import write_report

    with read_cursor(settings) as cursor:
        written = write_report(cursor, out_dir, thresholds_km, farthest)
    lines = [f"{path}  ({path.stat().st_size:,} bytes)" for path in written]
    indicators = json.loads((out_dir / "indicators.json").read_text(encoding="utf-8"))
    return lines + headline(indicators["region"])


def scenario_body(file: Path | None, adds: tuple[str, ...], closes: tuple[str, ...], moves: tuple[str, ...]) -> dict:
    """The POST /coverage/scenarios body from a JSON file and/or the command's options."""
    body = _read_json(file) if file else {}
    body.setdefault("add", [])
    body.setdefault("close", [])
    body.setdefault("move", [])
    for value in adds:
        lon, lat, name = _split(value, 3, "--add", "LON,LAT,NAME")
        body["add"].append({"lon": _float(lon, "--add"), "lat": _float(lat, "--add"), "name": name})
    body["close"].extend(closes)
    for value in moves:
        site_id, lon, lat = _split(value, 3, "--move", "ID,LON,LAT", from_right=True)
        body["move"].append({"id": site_id, "lon": _float(lon, "--move"), "lat": _float(lat, "--move")})
    return body


def scenario(settings: Settings, body: dict) -> dict:
    """Validate the body exactly as the API does, then run it; ValidationError / ApiError on bad input."""
    from geosvc.coverage.provenance import answer_meta
    from geosvc.coverage.scenarios import run
    from geosvc.coverage.transit_scenario import Files
    from geosvc.web.api.coverage_schemas import ScenarioIn, ScenarioOut

    changes = ScenarioIn().load(body)
    with read_cursor(settings) as cursor:
        result = run(cursor, changes, changes["thresholds_km"], changes["farthest"],
                     transit_files=Files(settings.data_dir, settings.cache_dir))
        return ScenarioOut().dump(result | answer_meta(cursor))


def scenario_lines(result: dict) -> list[str]:
    """A plain-text summary: the changes, the region's and departments' deltas, the communes that change."""
    lines = ["changes:"]
    changes = result["changes"]
    lines += [f"  open  {s['id']} {s['name']!r} at {s['lon']}, {s['lat']} ({s['insee']} {s['commune']})"
              for s in changes["added"]]
    lines += [f"  close {s['id']} {s['name']!r}" for s in changes["closed"]]
    lines += [f"  move  {s['id']} to {s['lon']}, {s['lat']} ({s['insee']} {s['commune']})" for s in changes["moved"]]
    lines.append("")
    lines.append(f"{'area':<28}{'weighted mean km':>22}{'weighted median km':>24}"
                 + "".join(f"{'pop. >' + format(km, 'g') + ' km':>24}" for km in result["thresholds_km"]))
    for area in [result["deltas"]["region"], *result["deltas"]["departements"]]:
        cells = [_km_change(area["weighted_mean_distance_m"]), _km_change(area["weighted_median_distance_m"])]
        cells += [_share_change(b["population_share"]) for b in area["beyond"]]
        lines.append(f"{area['nom'][:27]:<28}{cells[0]:>22}{cells[1]:>24}" + "".join(f"{c:>24}" for c in cells[2:]))
    changed = result["communes_changed"]
    lines.append("")
    lines.append(f"communes whose nearest site changes: {len(changed)}")
    for commune in changed[:10]:
        lines.append(f"  {commune['code']} {commune['nom']}: {commune['current']['site_id']} "
                     f"{commune['current']['distance_m'] / 1000:.1f} km -> {commune['scenario']['site_id']} "
                     f"{commune['scenario']['distance_m'] / 1000:.1f} km")
    return lines + own_lines(result) + ter_lines(result) + provenance_lines(result)


def ter_lines(result: dict) -> list[str]:
    """The change in TER access: region per target and mode, the communes whose minutes change."""
    ter = result.get("ter")
    if not ter or not ter["available"]:
        return ["", f"TER access: not compared ({ter['reason'] if ter else 'not computed'})"]
    timetable = ter["timetable"]
    lines = ["", f"TER access (timetable of {timetable['service_date']}; {timetable['attribution']}); "
                 f"communes routed again: own {ter['rerouted']['own']}, nearest {ter['rerouted']['nearest']}"]
    lines.append(f"{'target, mode':<16}" + "".join(f"{'pop. <=' + str(m) + ' min':>32}" for m in ter["thresholds_min"])
                 + f"{'pop. no trip':>32}")
    for figures in ter["region"]:
        cells = [_count_change(item["population"]) for item in figures["within"]]
        cells.append(_count_change(figures["no_trip"]["population"]))
        lines.append(f"{figures['target'] + ', ' + figures['mode']:<16}" + "".join(f"{c:>32}" for c in cells))
    lines.append(f"communes whose TER minutes change (per target and mode): {ter['communes_changed_total']}")
    for commune in ter["communes_changed"][:10]:
        lines.append(f"  {commune['code']} {commune['nom']} ({commune['target']}, {commune['mode']}): "
                     f"{_ter_minutes(commune['current'])} -> {_ter_minutes(commune['scenario'])}")
    return lines


def _ter_minutes(journey: dict | None) -> str:
    if journey is None:
        return "no target site"
    if journey["minutes"] is None:
        return "no trip"
    return f"{journey['minutes']} min ({journey['site_id']})"


def _count_change(change: dict) -> str:
    return f"{change['current']:,} -> {change['scenario']:,} ({change['delta']:+,})"


def own_lines(result: dict) -> list[str]:
    """The distance to one's own mission locale (the union's zones): region, departments, zones, communes."""
    region = result["deltas"]["region"]
    if region.get("own") is None:
        return ["", "distance to one's own mission locale: not available (no mission locale zones are loaded)"]
    lines = ["", "distance to one's own mission locale (the union's zones):"]
    areas = [region, *result["deltas"]["departements"], *result["deltas"]["zones"]]
    for area in areas:
        own = area.get("own", area)  # a zone's delta row holds its own figures itself
        cells = [_km_change(own["weighted_mean_distance_m"]), _km_change(own["weighted_median_distance_m"])]
        cells += [_share_change(b["population_share"]) for b in own["beyond"]]
        name = area.get("nom") or area["name"]
        lines.append(f"{name[:27]:<28}{cells[0]:>22}{cells[1]:>24}" + "".join(f"{c:>24}" for c in cells[2:]))
    changed = result["communes_own_changed"]
    lines.append(f"communes whose distance to their own mission locale changes: {len(changed)}")
    for commune in changed[:10]:
        before, after = commune["current"], commune["scenario"]
        lines.append(f"  {commune['code']} {commune['nom']}: {_site_km(before)} -> {_site_km(after)}")
    return lines


def _site_km(nearest: dict | None) -> str:
    return "none" if nearest is None else f"{nearest['site_id']} {nearest['distance_m'] / 1000:.1f} km"


def headline(region: dict) -> list[str]:
    lines = [
        f"{region['nom']}: {region['communes']} communes, population {region['population']:,}",
        f"  population-weighted mean distance {region['weighted_mean_distance_m'] / 1000:.2f} km, "
        f"median {region['weighted_median_distance_m'] / 1000:.2f} km, "
        f"farthest commune {region['max_distance_m'] / 1000:.1f} km",
    ]
    for beyond in region["beyond"]:
        lines.append(f"  beyond {beyond['km']:g} km: {beyond['communes']} communes ({beyond['communes_share']:.1%}), "
                     f"{beyond['population']:,} people ({beyond['population_share']:.1%})")
    own = region.get("own")
    if own and own["weighted_mean_distance_m"] is not None:
        last = own["beyond"][-1]
        lines.append(f"  to one's own mission locale (the union's zones): weighted mean "
                     f"{own['weighted_mean_distance_m'] / 1000:.2f} km, "
                     f"median {own['weighted_median_distance_m'] / 1000:.2f} km, "
                     f"beyond {last['km']:g} km: {last['population']:,} people ({last['population_share']:.1%})")
    return lines


def provenance_lines(result: dict) -> list[str]:
    lines = ["", f"method: {result['method']}"]
    for name, dataset in result["data"].items():
        lines.append(f"data: {name}: {dataset['source']} — {dataset['vintage']}")
    return lines


def _km_change(change: dict) -> str:
    if change["delta"] is None:
        return "n/a"
    return f"{change['current'] / 1000:.2f} -> {change['scenario'] / 1000:.2f} ({change['delta'] / 1000:+.2f})"


def _share_change(change: dict) -> str:
    if change["delta"] is None:
        return "n/a"
    return f"{change['current']:.1%} -> {change['scenario']:.1%}"


def _read_json(file: Path) -> dict:
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandInputError(f"{file}: not a readable JSON file ({exc})") from exc
    if not isinstance(body, dict):
        raise CommandInputError(f"{file}: expected a JSON object with add, close and/or move")
    return body


def _split(value: str, parts: int, option: str, shape: str, from_right: bool = False) -> list[str]:
    # a name may contain commas (split from the left); an id never does, coordinates never do
    pieces = value.rsplit(",", parts - 1) if from_right else value.split(",", parts - 1)
    if len(pieces) != parts or not all(piece.strip() for piece in pieces):
        raise CommandInputError(f"{option} {value!r}: expected {shape}")
    return [piece.strip() for piece in pieces]


def _float(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise CommandInputError(f"{option}: {text!r} is not a number (decimal degrees, WGS84)") from exc
