"""Access by TER for analysts (issue 16): indicators by area, every commune's times, the worst served.

The travel times are computed at ingestion (geosvc/transit/, table `commune_transit`); this
module only counts and lists them (SQL in geosvc/db/transit_indicators.py). Every answer says
what the times include and carries the timetable's date and its attribution, which the feed's
licence (ODbL) requires: `timetable_block`.

* "within N min": minutes <= N, counted from leaving the commune at the method's start time;
* "no trip": the commune was routed and nothing arrives before the cutoff;
* "without target": no row for that target (the commune has no zone, or its mission locale no
  served site); counted apart, never left out: the shares are over all the area's communes.
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc import provenance
from geosvc.core.errors import NotFound
from geosvc.core.transit import EXCLUDES, INCLUDES, MODES, TARGETS, describe_method
from geosvc.coverage.figures import share
from geosvc.coverage.indicators import REGION_NAMES
from geosvc.db import transit as transit_sql
from geosvc.db import transit_indicators as sql

DEFAULT_THRESHOLDS_MIN = (30, 60, 90)
LEVELS = sql.LEVELS
ORDERS = ("code", "worst")

TARGET_DEFINITIONS = {
    "own": "the first reached of the served sites of the commune's own mission locale(s) (the union's zones)",
    "nearest": "the commune's nearest served site of any mission locale, by geodesic distance",
}
UNAVAILABLE = "no TER timetable was loaded with the data (no GTFS zip under sources/gtfs/): no travel time"


# --- what every answer says ------------------------------------------------------------------

def timetable_block(cursor: Cursor) -> dict | None:
    """The timetable and method the times come from (table transit_run); None without a timetable."""
    run = transit_sql.run(cursor)
    if run is None:
        return None
    return {
        "file": run["file"], "sha256": run["sha256"], "feed_version": run["feed_version"],
        "service_date": run["service_date"].isoformat(), "attribution": run["attribution"],
        "parameters": run["method"], "stops": run["stops"], "connections": run["connections"],
    }


def method_text(timetable: dict | None) -> str:
    if timetable is None:
        return UNAVAILABLE
    return describe_method(timetable["parameters"], timetable["service_date"])


def answer_meta(cursor: Cursor) -> dict:
    """`available`, `reason`, `method`, `includes`, `excludes`, `targets`, `timetable` and `data` (with the
    timetable's own entry, `data.timetable`, as the other answers carrying travel times)."""
    timetable = timetable_block(cursor)
    return {
        "available": timetable is not None, "reason": None if timetable else UNAVAILABLE,
        "method": method_text(timetable), "includes": INCLUDES, "excludes": EXCLUDES,
        "targets": TARGET_DEFINITIONS, "timetable": timetable,
        "data": provenance.data_block(cursor) | provenance.timetable_block(cursor),
    }


# --- indicators --------------------------------------------------------------------------------

def indicators(cursor: Cursor, thresholds: list[int], levels: list[str]) -> list[dict]:
    """One record per area (region, then departments, EPCI, zones, by code), each with `access`:
    per target and mode, the communes and inhabitants within each threshold, with no trip, without target."""
    thresholds = sorted(set(thresholds))
    names = sql.names(cursor)
    region = _region(sql.regions(cursor))
    areas: dict[tuple[str, str], dict] = {}
    for row in sql.indicators(cursor, thresholds, levels):
        key = (row["level"], row["code"])
        area = areas.get(key) or areas.setdefault(key, _area(row, names, region))
        figures = area["access"][row["target"]].setdefault(row["mode"], _figures(row))
        figures["within"].append(_counted(row["threshold"], row["communes_within"], row["population_within"], row))
    for area in areas.values():  # the same order everywhere: own then nearest, walk then bike, by minutes
        area["access"] = {target: {mode: area["access"][target][mode] for mode in MODES} for target in TARGETS}
        for modes in area["access"].values():
            for figures in modes.values():
                figures["within"].sort(key=lambda item: item["minutes"])
    order = {level: index for index, level in enumerate(LEVELS)}
    return sorted(areas.values(), key=lambda a: (order[a["level"]], a["code"]))


def _region(codes: list[str | None]) -> tuple[str, str]:
    # as GET /coverage names it: one region code when the departments give one, "all" otherwise
    code = codes[0] if len(codes) == 1 and codes[0] else "all"
    return code, REGION_NAMES.get(code, "all communes" if code == "all" else f"region {code}")


def _area(row: dict, names: dict, region: tuple[str, str]) -> dict:
    level = row["level"]
    code, nom = region if level == "region" else (row["code"], names.get((level, row["code"])))
    return {
        "level": level, "code": code, "nom": nom, "communes": row["communes"], "population": row["population"],
        "communes_without_population": row["communes_without_population"],
        "access": {target: {} for target in TARGETS},
    }


def _figures(row: dict) -> dict:
    return {
        "communes_without_target": row["communes_without_target"],
        "population_without_target": row["population_without_target"],
        "no_trip": _counted(None, row["communes_no_trip"], row["population_no_trip"], row),
        "within": [],
    }


def _counted(minutes: int | None, communes: int, population: int, area: dict) -> dict:
    counted = {"communes": communes, "communes_share": share(communes, area["communes"]),
               "population": population, "population_share": share(population, area["population"])}
    return counted if minutes is None else {"minutes": minutes} | counted


def indicator_rows(areas: list[dict], timetable: dict | None) -> list[dict]:
    """The CSV's long shape: one row per area, target and mode; the timetable's date and attribution on
    every row, so that a copied-out row still says where it comes from."""
    stamp = _stamp(timetable)
    rows = []
    for area in areas:
        for target in TARGETS:
            for mode, figures in area["access"][target].items():
                row = {key: area[key] for key in ("level", "code", "nom", "communes", "population")}
                row |= {"target": target, "mode": mode, **{k: figures[k] for k in (
                    "communes_without_target", "population_without_target")}}
                for item in figures["within"]:
                    row |= {f"{key}_within_{item['minutes']}min": item[key] for key in _COUNTS}
                row |= {f"{key}_no_trip": figures["no_trip"][key] for key in _COUNTS}
                rows.append(row | stamp)
    return rows


_COUNTS = ("communes", "communes_share", "population", "population_share")
STAMP_COLUMNS = ["service_date", "attribution"]


def indicator_columns(thresholds: list[int]) -> list[str]:
    columns = ["level", "code", "nom", "communes", "population", "target", "mode", "communes_without_target",
               "population_without_target"]
    for minutes in sorted(set(thresholds)):
        columns += [f"{key}_within_{minutes}min" for key in _COUNTS]
    return columns + [f"{key}_no_trip" for key in _COUNTS] + STAMP_COLUMNS


def _stamp(timetable: dict | None) -> dict:
    if timetable is None:
        return {"service_date": None, "attribution": None}
    return {"service_date": timetable["service_date"], "attribution": timetable["attribution"]}


# --- communes -----------------------------------------------------------------------------------

RESULT_KEYS = ("minutes", "kind", "site_id", "site_name", "site_mission_locale", "leave", "departure", "arrival",
               "access_minutes", "egress_minutes", "legs")


def communes(cursor: Cursor) -> list[dict]:
    """Every commune, by code, with `own` and `nearest`: per mode its result (minutes None: no trip),
    or None when it has no such target."""
    names = sql.missions_locales(cursor)
    records: dict[str, dict] = {}
    for row in sql.communes(cursor):
        record = records.get(row["code"]) or records.setdefault(row["code"], _commune(row, names))
        if row["target"] is not None:
            record[row["target"]][row["mode"]] = {key: row[key] for key in RESULT_KEYS}
    return list(records.values())


def _commune(row: dict, names: dict[str, str]) -> dict:
    return {
        "code": row["code"], "nom": row["nom"], "departement": row["departement"], "epci": row["epci"],
        "epci_nom": row["epci_nom"], "population": row["population"],
        "own_missions_locales": [{"code": code, "name": names.get(code)} for code in row["own_missions_locales"]],
        "own": dict.fromkeys(MODES), "nearest": dict.fromkeys(MODES),
    }


def minutes(record: dict, target: str, mode: str) -> int | None:
    result = record[target][mode]
    return None if result is None else result["minutes"]


def select(records: list[dict], query: dict) -> list[dict]:
    """The communes of an area (departement, epci, zone), in the order asked for, at most `limit`."""
    zone = query.get("zone")
    if zone is not None and not any(zone == m["code"] for r in records for m in r["own_missions_locales"]):
        raise NotFound(f"zone: no commune is in the zone of a mission locale with the code {zone} "
                       "(see GET /missions-locales)", code="mission_locale_not_found")
    kept = [
        r for r in records
        if query.get("departement") in (None, r["departement"]) and query.get("epci") in (None, r["epci"])
        and (zone is None or zone in {m["code"] for m in r["own_missions_locales"]})
    ]
    if query.get("order", "code") == "worst":
        kept = worst(kept, query.get("target", "own"), query.get("mode", "walk"))
    limit = query.get("limit")
    return kept if limit is None else kept[:limit]


def without_legs(records: list[dict]) -> list[dict]:
    """Copies without the legs (the cached records stay whole): the map needs only the times."""
    def lean(pair: dict) -> dict:
        return {mode: None if r is None else {k: v for k, v in r.items() if k != "legs"} for mode, r in pair.items()}

    return [r | {target: lean(r[target]) for target in TARGETS} for r in records]


def worst(records: list[dict], target: str, mode: str) -> list[dict]:
    """The worst served first: no trip (most inhabitants first), then the longest times (the larger
    population first on a tie); communes without this target are left out (nothing to rank)."""
    routed = [r for r in records if r[target][mode] is not None]

    def rank(record: dict) -> tuple:
        time = minutes(record, target, mode)
        people = record["population"] or 0
        return (0, -people, 0, record["code"]) if time is None else (1, -time, -people, record["code"])

    return sorted(routed, key=rank)


# --- the communes' CSV -------------------------------------------------------------------------------

# no_trip: true (routed, nothing arrives before the cutoff), false (a trip), empty (no such target)
CSV_RESULT_KEYS = ("minutes", "no_trip", "kind", "site_id", "leave", "departure", "arrival", "lines")
COMMUNE_COLUMNS = ["code", "nom", "departement", "epci", "epci_nom", "population", "own_missions_locales"] + [
    f"{target}_{mode}_{key}" for target in TARGETS for mode in MODES for key in CSV_RESULT_KEYS
] + STAMP_COLUMNS


def commune_rows(records: list[dict], timetable: dict | None) -> list[dict]:
    """One flat row per commune: its four results side by side (`lines`: the lines taken, e.g. "K44 P22")."""
    stamp = _stamp(timetable)
    rows = []
    for record in records:
        row = {key: record[key] for key in ("code", "nom", "departement", "epci", "epci_nom", "population")}
        row["own_missions_locales"] = " ".join(m["code"] for m in record["own_missions_locales"])
        for target in TARGETS:
            for mode in MODES:
                result = record[target][mode]
                row |= {f"{target}_{mode}_{key}": value for key, value in _flat_result(result).items()}
        rows.append(row | stamp)
    return rows


def _flat_result(result: dict | None) -> dict:
    if result is None:
        return dict.fromkeys(CSV_RESULT_KEYS)
    flat = {key: result[key] for key in CSV_RESULT_KEYS if key in result}
    flat["no_trip"] = result["minutes"] is None
    flat["lines"] = " ".join(leg["line"] or "?" for leg in result["legs"] or []) or None
    return flat


# --- the map layer -------------------------------------------------------------------------------------

LAYER_PROPERTIES = ("code", "nom", "departement", "population")
LAYER_TRIP_KEYS = ("site_id", "departure", "arrival", "lines")


def layer_properties(record: dict) -> dict:
    """A commune's properties on the map layer: the four times (None: no trip or no target), whether it has
    an own target, and its own missions locales."""
    properties = {key: record[key] for key in LAYER_PROPERTIES}
    properties["own_mission_locale"] = " ".join(m["code"] for m in record["own_missions_locales"]) or None
    for target in TARGETS:
        properties[f"{target}_routed"] = record[target]["walk"] is not None
        for mode in MODES:
            properties[f"{target}_{mode}_minutes"] = minutes(record, target, mode)
    for mode in MODES:  # the own trip, for the map's tooltips
        flat = _flat_result(record["own"][mode])
        properties |= {f"own_{mode}_{key}": flat[key] for key in LAYER_TRIP_KEYS}
    return properties
