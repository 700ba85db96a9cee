"""A what-if's change in TER access (issue 16): the communes whose targets change, routed again.

The ingestion stored, per commune, the earliest arrival by TER at its targets (`commune_transit`,
geosvc/transit/): 'own', every served site of its own mission locale(s), and 'nearest', its
nearest served site of any mission locale; walking and biking to and from the stops. A scenario
changes those targets for some communes only: a site opened, closed or moved in their own
mission locale, or a new nearest site. Those communes, and only those, are routed again, both
modes, over the very timetable the stored rows came from (`transit_run`: its file under the data
directory, its service date, its method); every other commune keeps its stored row. The file is
checked by its SHA-256 against the stored one: a changed or missing file, or data ingested without
a timetable, gives an answer without the TER part, saying why (`available` false, `reason`).

One `Router` per process and timetable (hash, date, method), built on first use (~0.1 s, plus
reading the day: ~0.1 s from the cache of geosvc/transit/cache.py, ~3 s without it) and kept in a
module-level dict under a lock. Each scenario routes on `Router.sharing_timetable()`, its own egress
cache, so the hypothetical sites' target sets never accumulate in the shared Router.

Figures per target and mode, before (the stored rows) and after (stored rows, the re-routed ones
replaced): communes and population within 30, 60 and 90 minutes of 08:00, with no trip by 14:00,
and without any target site; for the region, and for the zones holding a commune that changed.
"""

from __future__ import annotations

import dataclasses
import threading
import zipfile
from collections.abc import Iterable
from pathlib import Path

from psycopg import Cursor

from geosvc.core.transit import MODES, TARGETS, describe_method
from geosvc.coverage.figures import share
from geosvc.coverage.network import CommuneCoverage, Coverage, Network
from geosvc.coverage.own import Own
from geosvc.coverage.transit import timetable_block
from geosvc.db import transit as transit_sql
from geosvc.transit import cache
from geosvc.transit.compute import Request, route
from geosvc.transit.feed import feed_sha256
from geosvc.transit.routing import Method, Router

THRESHOLDS_MIN = (30, 60, 90)
MAX_COMMUNES = 200  # rows of `communes_changed` (one per commune, target and mode); the total is given
MAX_ROUTERS = 2  # timetables kept per process: the current one, and the next one during a re-ingestion

DEFINITIONS = {
    "minutes": "from leaving the commune's reference point at 08:00 to the arrival at the first target site "
    "reached, by TER (train or TER coach) with walking or biking to and from the stops, or walking or biking "
    "straight to the site; rounded up",
    "within": "communes, population with a trip of at most that many minutes; shares of all the area's communes "
    "and of its known population",
    "no_trip": "communes with target sites but no trip arriving by the cutoff (14:00)",
    "without_target": "communes without any target site (no zone, or their mission locale has no served site): "
    "not routed, counted apart",
    "own": "target: any served site of the commune's own mission locale(s) (the union's zones); the first reached",
    "nearest": "target: the commune's nearest served site of any mission locale (geodesic)",
}


@dataclasses.dataclass(frozen=True)
class Files:
    """Where the timetable named by `transit_run.file` is read from (Settings.data_dir, Settings.cache_dir)."""

    data_dir: Path
    cache_dir: Path | None = None


class Unavailable(Exception):
    """The TER part cannot be computed; the message says why, for the answer."""


_routers: dict[tuple, Router] = {}
_lock = threading.Lock()


def unavailable(reason: str) -> dict:
    return {"available": False, "reason": reason, "timetable": None, "method": None,
            "definitions": DEFINITIONS, "thresholds_min": list(THRESHOLDS_MIN), "rerouted": None, "region": [],
            "zones": [], "communes_changed": [], "communes_changed_total": 0}


def run(cursor: Cursor, files: Files | None, current: Coverage, own_now: Own, scenario: Coverage,
        own_then: Own) -> dict:
    """The TER part of a scenario's answer (see the module); `available` false with the reason when it cannot be."""
    stored_run = transit_sql.run(cursor)
    if stored_run is None:
        return unavailable("no TER timetable was loaded with the data (no GTFS feed under sources/gtfs/ at "
                           "ingestion): no travel time to compare")
    if files is None:
        return unavailable("this caller does not know the data directory holding the TER timetable")
    try:
        base = router_for(stored_run, files)
    except Unavailable as exc:
        return unavailable(str(exc))
    router = base.sharing_timetable()  # this scenario's target sets stay out of the shared Router
    communes = {c.code: c for c in current.communes}
    before = {(row["code"], row["target"], row["mode"]): _state(row) for row in transit_sql.brief_rows(cursor)}
    after, rerouted, new_legs = _reroute(router, before, communes, {
        "own": (own_targets(current.network, own_now, current.communes),
                own_targets(scenario.network, own_then, scenario.communes)),
        "nearest": (nearest_targets(current), nearest_targets(scenario)),
    })

    keys = [(target, mode) for target in TARGETS for mode in MODES]
    changed_keys = sorted(key for key in before.keys() | after.keys()
                          if _minutes_of(before.get(key)) != _minutes_of(after.get(key)))
    changed_codes = sorted({code for code, _, _ in changed_keys})
    columns_before, columns_after = _columns(before), _columns(after)
    region = [_figures_delta(target, mode, current.communes, columns_before, columns_after) for target, mode in keys]
    return {
        "available": True,
        "reason": None,
        "timetable": timetable_block(cursor),
        "method": method_text(base.method, stored_run["service_date"].isoformat()),
        "definitions": DEFINITIONS,
        "thresholds_min": list(THRESHOLDS_MIN),
        "rerouted": rerouted,
        "region": region,
        "zones": _zone_deltas(current.network, communes, changed_codes, columns_before, columns_after, keys),
        "communes_changed": _communes_changed(cursor, changed_keys, communes, current.network, scenario.network,
                                              before, after, new_legs)[:MAX_COMMUNES],
        "communes_changed_total": len(changed_keys),
    }


def _reroute(router: Router, before: dict, communes: dict, targets: dict[str, tuple[Targets, Targets]]):
    """The stored states with the communes whose target set changes routed again (both modes); a commune left
    without any target site loses its rows. Returns (states after, communes re-routed per target, new legs)."""
    after = dict(before)
    requests, rerouted = [], {}
    for target in TARGETS:
        old, new = targets[target]
        changed = sorted(code for code in old.keys() | new.keys() if old.get(code) != new.get(code))
        rerouted[target] = len(changed)
        for code in changed:
            if code not in new:  # no target site left: no travel time
                for mode in MODES:
                    after.pop((code, target, mode), None)
                continue
            ids = tuple(site_id for site_id, _, _ in new[code])
            points = tuple((lon, lat) for _, lon, lat in new[code])
            requests.append(Request(code, target, (communes[code].lon, communes[code].lat), ids, points))
    new_legs = {}
    for row in route(router, requests):
        key = (row.code, row.target, row.mode)
        after[key] = (row.minutes, row.site_id, row.kind, row.departure, row.arrival)
        new_legs[key] = row.legs
    return after, rerouted, new_legs


# --- the router -------------------------------------------------------------------------------

def router_for(stored_run: dict, files: Files) -> Router:
    """The process's Router over the timetable `stored_run` names, built on first use; Unavailable when the file
    is missing, unreadable, or not the one the stored rows came from (by SHA-256)."""
    service_date = stored_run["service_date"]
    try:
        method = Method(**stored_run["method"])
    except TypeError as exc:
        raise Unavailable(f"the stored TER method has fields this version does not know ({exc}): re-ingest") from exc
    key = (stored_run["sha256"], service_date, method)
    router = _routers.get(key)
    if router is not None:
        return router
    with _lock:
        router = _routers.get(key)
        if router is None:
            router = Router(_timetable(stored_run, files), method)
            while len(_routers) >= MAX_ROUTERS:
                _routers.pop(next(iter(_routers)))
            _routers[key] = router
    return router


def _timetable(stored_run: dict, files: Files):
    name, expected = stored_run["file"], stored_run["sha256"]
    path = files.data_dir / name
    if not path.is_file():
        raise Unavailable(f"the TER timetable the travel times were computed from ({name}) is not in the "
                          "service's data directory")
    try:
        found = feed_sha256(path)
    except OSError as exc:
        raise Unavailable(f"the TER timetable {name} cannot be read ({type(exc).__name__})") from exc
    if found != expected:
        raise Unavailable(f"the TER timetable {name} is not the one the stored travel times came from (SHA-256 "
                          f"{found[:12]}…, stored {expected[:12]}…): ingest again to compare travel times")
    try:
        try:
            timetable = cache.timetable(path, stored_run["service_date"], files.cache_dir)
        except OSError:  # an unwritable cache directory: read the feed itself
            timetable = cache.timetable(path, stored_run["service_date"], None)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Unavailable(f"the TER timetable {name} cannot be read ({type(exc).__name__})") from exc
    if timetable.sha256 != expected:  # replaced between the two reads
        raise Unavailable(f"the TER timetable {name} changed while it was read: try again")
    return timetable


def method_text(method: Method, service_date: str) -> str:
    return (
        describe_method(dataclasses.asdict(method), service_date) + ". Only the communes whose target sites change "
        "in the scenario are routed again, over the timetable the stored travel times came from; the others keep "
        "their stored travel time"
    )


# --- target sets ------------------------------------------------------------------------------

Targets = dict[str, tuple[tuple[str, float, float], ...]]  # commune -> (site id, lon, lat), ascending id


def own_targets(network: Network, own: Own, communes: Iterable[CommuneCoverage]) -> Targets:
    """Every commune's 'own' target set: every served site of its own mission locale(s), as at ingestion
    (geosvc/db/transit.py OWN_TARGETS); absent when it has none."""
    by_mission: dict[str, list[str]] = {}
    for site in network.sites.values():
        if site.mission_locale is not None:
            by_mission.setdefault(site.mission_locale, []).append(site.id)
    sets: dict[frozenset, tuple] = {}
    out = {}
    for commune in communes:
        missions = own.missions_of.get(commune.code)
        if not missions:
            continue
        if missions not in sets:
            ids = sorted({site_id for code in missions for site_id in by_mission.get(code, ())})
            sets[missions] = tuple((i, network.sites[i].lon, network.sites[i].lat) for i in ids)
        if sets[missions]:
            out[commune.code] = sets[missions]
    return out


def nearest_targets(coverage: Coverage) -> Targets:
    sites = coverage.network.sites
    return {c.code: ((c.site_id, sites[c.site_id].lon, sites[c.site_id].lat),) for c in coverage.communes}


# --- figures ----------------------------------------------------------------------------------

def _state(row: dict) -> tuple:
    """(minutes (None: no trip), site reached, kind, departure, arrival) of a row."""
    return (row["minutes"], row["site_id"], row["kind"], row["departure"], row["arrival"])


def _minutes_of(state: tuple | None) -> tuple:
    """What a change is: a target site gained or lost, or other minutes (a trip gained or lost included)."""
    return (False, None) if state is None else (True, state[0])


NO_SITE = -1  # in a column: the commune has no target site (minutes are never negative)


def _columns(states: dict) -> dict[tuple[str, str], dict[str, int | None]]:
    """(target, mode) -> commune -> minutes (None: no trip); absent: no target site."""
    out: dict = {(target, mode): {} for target in TARGETS for mode in MODES}
    for (code, target, mode), state in states.items():
        out[(target, mode)][code] = state[0]
    return out


def figures(communes: Iterable[CommuneCoverage], minutes: dict[str, int | None]) -> dict:
    """Communes and population within each threshold, with no trip, without a target site; `minutes` is one
    column of _columns()."""
    rows = [(c.population or 0, minutes.get(c.code, NO_SITE)) for c in communes]
    total_communes, total_population = len(rows), sum(p for p, _ in rows)
    trips = [(p, m) for p, m in rows if m is not None and m != NO_SITE]
    no_site = [p for p, m in rows if m == NO_SITE]
    out = {
        "communes_without_target": len(no_site), "population_without_target": sum(no_site),
        "no_trip": _counts([p for p, m in rows if m is None], total_communes, total_population),
        "within": [],
    }
    for limit in THRESHOLDS_MIN:
        near = [p for p, m in trips if m <= limit]
        out["within"].append({"minutes": limit, **_counts(near, total_communes, total_population)})
    return out


def _counts(populations: list[int], total_communes: int, total_population: int) -> dict:
    return {"communes": len(populations), "communes_share": share(len(populations), total_communes),
            "population": sum(populations), "population_share": share(sum(populations), total_population)}


def change(before, after) -> dict:
    delta = None
    if before is not None and after is not None:
        delta = round(after - before, 6) if isinstance(after, float) else after - before
    return {"current": before, "scenario": after, "delta": delta}


def _figures_delta(target: str, mode: str, communes, before: dict, after: dict) -> dict:
    """`before`, `after`: the _columns() of the stored and of the scenario's travel times."""
    communes = list(communes)
    b, a = figures(communes, before[(target, mode)]), figures(communes, after[(target, mode)])

    def counts(x: dict, y: dict) -> dict:
        return {key: change(x[key], y[key]) for key in x if key != "minutes"}

    return {
        "target": target, "mode": mode,
        "communes_without_target": change(b["communes_without_target"], a["communes_without_target"]),
        "population_without_target": change(b["population_without_target"], a["population_without_target"]),
        "no_trip": counts(b["no_trip"], a["no_trip"]),
        "within": [{"minutes": x["minutes"], **counts(x, y)} for x, y in zip(b["within"], a["within"], strict=True)],
    }


def _zone_deltas(network: Network, communes: dict, changed_codes: list[str], before: dict, after: dict,
                 keys: list[tuple[str, str]]) -> list[dict]:
    """The zones whose figures change (they hold a commune whose travel time changed): the target and mode
    figures that change, before and after."""
    changed = set(changed_codes)
    out = []
    for code, mission in network.missions_locales.items():
        if not changed.intersection(mission.zone):
            continue
        members = [communes[insee] for insee in mission.zone if insee in communes]
        rows = [_figures_delta(target, mode, members, before, after) for target, mode in keys]
        moved = [row for row in rows if _moved(row)]
        if moved:  # a commune may change within the same thresholds: then its zone's figures do not
            out.append({"code": code, "name": mission.name, "communes": len(members), "figures": moved})
    return out


def _moved(delta: dict) -> bool:
    for value in delta.values():
        if isinstance(value, dict):
            if "delta" in value:
                if value["current"] != value["scenario"]:
                    return True
            elif _moved(value):
                return True
        elif isinstance(value, list) and any(_moved(item) for item in value):
            return True
    return False


def _communes_changed(cursor: Cursor, changed_keys: list[tuple], communes: dict, now: Network, then: Network,
                      before: dict, after: dict, new_legs: dict) -> list[dict]:
    """One row per commune, target and mode whose travel time changed: trips (or target sites) gained or lost
    first, then the largest change in minutes, then the most populated."""
    codes = sorted({code for code, _, _ in changed_keys})
    legs = {}
    if codes:
        legs = {(r["code"], r["target"], r["mode"]): r["legs"] for r in transit_sql.legs_of(cursor, codes)}
    out = []
    for key in changed_keys:
        code, target, mode = key
        commune = communes[code]
        old, new = before.get(key), after.get(key)
        old_minutes = old[0] if old else None
        new_minutes = new[0] if new else None
        delta = None if old_minutes is None or new_minutes is None else new_minutes - old_minutes
        out.append({
            "code": code, "nom": commune.nom, "departement": commune.departement, "population": commune.population,
            "target": target, "mode": mode,
            "current": _brief(old, now, legs.get(key)),
            "scenario": _brief(new, then, new_legs.get(key, legs.get(key))),
            "delta_minutes": delta,
        })

    def order(row: dict):
        gained_or_lost = row["delta_minutes"] is None and _minutes(row["current"]) != _minutes(row["scenario"])
        return (not gained_or_lost, -abs(row["delta_minutes"] or 0), -(row["population"] or 0), row["code"],
                TARGETS.index(row["target"]), MODES.index(row["mode"]))

    return sorted(out, key=order)


def _minutes(brief: dict | None):
    return None if brief is None else brief["minutes"]


def _brief(state: tuple | None, network: Network, legs: list | None) -> dict | None:
    if state is None:
        return None
    minutes, site_id, kind, departure, arrival = state
    site = network.sites.get(site_id) if site_id else None
    return {"minutes": minutes, "site_id": site_id, "site_name": site.name if site else None, "kind": kind,
            "departure": departure, "arrival": arrival,
            "lines": [leg["line"] for leg in legs] if legs else []}
