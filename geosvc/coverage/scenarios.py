"""What-if scenarios: add, close or move sites, and compare with the current network.

Nothing is written: the scenario's network is the stored one minus some ids plus some
points, passed to the same coverage statement (geosvc/coverage/network.py). A scenario
is checked against the stored data first: every id must be a served site, used once;
every new point must lie inside a commune of the region; a new site's mission locale,
when given, must be a code of the missions_locales table (without one, the new site
belongs to no mission locale). A moved site keeps its mission locale.

Beside the nearest site of any mission locale, a scenario changes the distance to one's OWN
mission locale (the union's zones, geosvc/coverage/own.py): a new site that names a mission
locale counts for the communes of that mission locale's zone, a closed one no longer does.
`deltas` carries the own figures' changes (`own` in each area, `zones`), and
`communes_own_changed` every commune whose own distance changes.

And the change in TER access (`ter`, geosvc/coverage/transit_scenario.py): the communes whose own
or nearest target sites change are routed again over the stored timetable; without one (or when
the file is not the one the stored travel times came from) `ter.available` is false, with the reason.
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.errors import BadRequest
from geosvc.core.rules import round_degrees, round_distance
from geosvc.coverage import own as own_sites
from geosvc.coverage import transit_scenario
from geosvc.coverage.indicators import indicators
from geosvc.coverage.network import Coverage, Network, compute, stored_network, with_sites
from geosvc.coverage.own import Own, OwnSite
from geosvc.db import coverage as sql

MAX_CHANGES = 20
NEW_ID_PREFIX = "new-"
AREA_METRICS = ("weighted_mean_distance_m", "weighted_median_distance_m", "mean_distance_m", "max_distance_m")
SERVED_METRICS = ("communes", "population", "mean_distance_m", "weighted_mean_distance_m", "max_distance_m")
THRESHOLD_METRICS = ("communes", "communes_share", "population", "population_share")
# the own figures of an area (its `own` object) and of a zone, beside AREA_METRICS
OWN_AREA_METRICS = ("communes", "communes_own_without_site", "communes_nearest_other", "population_nearest_other")
ZONE_METRICS = ("communes_without_own_site", "communes_nearest_other", "population_nearest_other",
                "nearest_weighted_mean_distance_m")
# A commune "changed" when its nearest site or its distance (to the decimetre) changed.
CHANGE_TOLERANCE_M = 0.05


def run(
    cursor: Cursor, changes: dict, thresholds_km: list[float], farthest: int,
    current: tuple[Coverage, Own] | None = None, transit_files: transit_scenario.Files | None = None,
) -> dict:
    """The scenario's indicators, the deltas against the current network, the communes that changed.

    `changes` is {"add": [{name, lon, lat, mission_locale?}], "close": [id], "move": [{id, lon, lat}]},
    already validated for shape (geosvc/web/api/coverage_schemas.py ScenarioIn). `current`: the
    current network's coverage and own sites when the caller keeps them; computed here otherwise.
    `transit_files`: where the TER timetable is read from (the data and cache directories); None: no TER part.
    """
    network = current[0].network if current else stored_network(cursor)
    removed, placed, described = resolve(cursor, network, changes)
    hypothetical = with_sites(network, removed, placed)
    if current is None:
        current = compute(cursor, network), own_sites.compute(cursor, network, own_sites.zone_areas(cursor))
    now, own_now = current
    scenario = compute(cursor, hypothetical)
    own_then = own_sites.compute(cursor, hypothetical, own_now.zone_area_km2)  # areas do not change
    before = indicators(now, thresholds_km, farthest, own_now)
    after = indicators(scenario, thresholds_km, farthest, own_then)
    return {
        "changes": described,
        "thresholds_km": after["thresholds_km"],
        "scenario": after,
        "deltas": deltas(before, after, moved=[move["id"] for move in changes["move"]]),
        "communes_changed": communes_changed(now, scenario),
        "communes_own_changed": communes_own_changed(now, own_now, own_then, scenario.network),
        "ter": transit_scenario.run(cursor, transit_files, now, own_now, scenario, own_then),
    }


def resolve(cursor: Cursor, network: Network, changes: dict) -> tuple[list[str], list[dict], dict]:
    """(ids removed, sites placed, a description of the changes); BadRequest on any bad change."""
    _check_ids_used_once(changes)
    _check_sites_served(cursor, network, changes)
    removed = list(changes["close"]) + [move["id"] for move in changes["move"]]
    if len(changes["close"]) >= len(network.sites) and not changes["add"]:
        raise BadRequest("a scenario must leave at least one site open", code="empty_network")
    added = _added_sites(cursor, network, changes["add"])
    moved = _moved_sites(cursor, network, changes["move"])
    described = {
        "added": added,
        "closed": [{"id": site_id, "name": network.sites[site_id].name} for site_id in changes["close"]],
        "moved": moved,
    }
    return removed, added + moved, described


def deltas(before: dict, after: dict, moved: list[str] = ()) -> dict:
    return {
        "region": area_delta(before["region"], after["region"]),
        "departements": [area_delta(b, a) for b, a in _paired(before["departements"], after["departements"])],
        # only the EPCI, sites and missions locales that changed: the rest are all zeros
        "epci": [d for d in (area_delta(b, a) for b, a in _paired(before["epci"], after["epci"])) if _moved(d)],
        "sites": _served_deltas(before["sites"], after["sites"], moved),
        "missions_locales": _mission_locale_deltas(before["missions_locales"], after["missions_locales"]),
        # only the zones whose own figures changed; [] without zones
        "zones": [d for d in (_zone_delta(b, a) for b, a in _paired(before.get("zones", []), after.get("zones", [])))
                  if _moved(d)],
    }


def area_delta(before: dict, after: dict) -> dict:
    out = {key: after[key] for key in ("level", "code", "nom")}
    out.update(_distance_deltas(before, after))
    if "own" in before:  # null without zones
        own_before, own_after = before["own"], after["own"]
        out["own"] = None if own_before is None else {
            **{metric: change(own_before[metric], own_after[metric]) for metric in OWN_AREA_METRICS},
            **_distance_deltas(own_before, own_after),
        }
    return out


def _distance_deltas(before: dict, after: dict) -> dict:
    out = {metric: change(before[metric], after[metric]) for metric in AREA_METRICS}
    out["beyond"] = [
        {"km": b["km"], **{metric: change(b[metric], a[metric]) for metric in THRESHOLD_METRICS}}
        for b, a in zip(before["beyond"], after["beyond"], strict=True)
    ]
    return out


def _zone_delta(before: dict, after: dict) -> dict:
    out = {"code": after["code"], "name": after["name"],
           "sites": {"current": before["sites"], "scenario": after["sites"]}}
    out.update(_distance_deltas(before, after))
    out.update({metric: change(before[metric], after[metric]) for metric in ZONE_METRICS})
    out["main_site"] = {
        "current": (before["main_site"] or {}).get("id"), "scenario": (after["main_site"] or {}).get("id"),
    }
    return out


def change(before, after) -> dict:
    """{current, scenario, delta}; the delta of the rounded figures, so it adds up as displayed."""
    delta = None
    if before is not None and after is not None:
        delta = round(after - before, 6) if isinstance(after, float) else after - before
    return {"current": before, "scenario": after, "delta": delta}


def communes_changed(current: Coverage, scenario: Coverage) -> list[dict]:
    out = []
    for before, after in zip(current.communes, scenario.communes, strict=True):
        if before.site_id == after.site_id and abs(after.distance_m - before.distance_m) < CHANGE_TOLERANCE_M:
            continue
        out.append({
            "code": after.code,
            "nom": after.nom,
            "departement": after.departement,
            "population": after.population,
            "current": _nearest(before.site_id, before.distance_m, current.network),
            "scenario": _nearest(after.site_id, after.distance_m, scenario.network),
            "delta_m": round_distance(after.distance_m - before.distance_m),
        })
    return sorted(out, key=lambda c: (-abs(c["delta_m"]), c["code"]))


def communes_own_changed(current: Coverage, own_now: Own, own_then: Own, scenario: Network) -> list[dict]:
    """Every commune whose nearest own site, or its distance, changes; largest change first."""
    out = []
    for commune in current.communes:
        before, after = own_now.nearest(commune.code), own_then.nearest(commune.code)
        if _same_own(before, after):
            continue
        delta = None if before is None or after is None else round_distance(after.distance_m - before.distance_m)
        out.append({
            "code": commune.code,
            "nom": commune.nom,
            "departement": commune.departement,
            "population": commune.population,
            "mission_locale": (after or before).mission_locale,
            "current": None if before is None else _nearest(before.site_id, before.distance_m, current.network),
            "scenario": None if after is None else _nearest(after.site_id, after.distance_m, scenario),
            "delta_m": delta,
        })
    # a commune that gains or loses its only own site (no delta) first: the largest change of all
    return sorted(out, key=lambda c: (-(abs(c["delta_m"]) if c["delta_m"] is not None else float("inf")), c["code"]))


def _same_own(before: OwnSite | None, after: OwnSite | None) -> bool:
    if before is None or after is None:
        return before is after
    return before.site_id == after.site_id and abs(after.distance_m - before.distance_m) < CHANGE_TOLERANCE_M


def _check_ids_used_once(changes: dict) -> None:
    seen: dict[str, str] = {}
    fields = [(f"close[{i}]", site_id) for i, site_id in enumerate(changes["close"])]
    fields += [(f"move[{i}]", move["id"]) for i, move in enumerate(changes["move"])]
    for field, site_id in fields:
        if site_id in seen:
            raise BadRequest(
                f"{field}: site {site_id!r} is already changed by {seen[site_id]}",
                code="conflicting_changes", field=field, id=site_id,
            )
        seen[site_id] = field


def _check_sites_served(cursor: Cursor, network: Network, changes: dict) -> None:
    fields = [(f"close[{i}]", site_id) for i, site_id in enumerate(changes["close"])]
    fields += [(f"move[{i}]", move["id"]) for i, move in enumerate(changes["move"])]
    unknown = [(field, site_id) for field, site_id in fields if site_id not in network.sites]
    if not unknown:
        return
    stored = sql.site_status(cursor, [site_id for _, site_id in unknown])
    field, site_id = unknown[0]
    if site_id in stored:
        raise BadRequest(
            f"{field}: mission site {site_id!r} is not served ({stored[site_id]['status_reason']})",
            code="mission_not_served", field=field, id=site_id,
        )
    raise BadRequest(
        f"{field}: no mission site has the id {site_id!r}", code="unknown_mission", field=field, id=site_id
    )


def _added_sites(cursor: Cursor, network: Network, additions: list[dict]) -> list[dict]:
    ids = _new_ids(network, len(additions))
    out = []
    for i, (site_id, addition) in enumerate(zip(ids, additions, strict=True)):
        code = addition.get("mission_locale")
        if code is not None and code not in network.missions_locales:
            field = f"add[{i}].mission_locale"
            known = "no mission locale is loaded" if not network.missions_locales else "see GET /missions-locales"
            raise BadRequest(f"{field}: no mission locale has the code {code!r} ({known})",
                             code="unknown_mission_locale", field=field, mission_locale=code)
        commune = _commune_at(cursor, f"add[{i}]", addition["lon"], addition["lat"])
        out.append({
            "id": site_id, "name": addition["name"], "lon": addition["lon"], "lat": addition["lat"],
            "insee": commune["code"], "commune": commune["nom"], "mission_locale": code,
            "mission_locale_name": network.missions_locales[code].name if code else None,
        })
    return out


def _moved_sites(cursor: Cursor, network: Network, moves: list[dict]) -> list[dict]:
    out = []
    for i, move in enumerate(moves):
        site = network.sites[move["id"]]
        commune = _commune_at(cursor, f"move[{i}]", move["lon"], move["lat"])
        out.append({
            "id": site.id, "name": site.name, "kind": site.kind, "lon": move["lon"], "lat": move["lat"],
            "insee": commune["code"], "commune": commune["nom"], "mission_locale": site.mission_locale,
            "mission_locale_name": site.mission_locale_name,
            "previous": {"lon": round_degrees(site.lon), "lat": round_degrees(site.lat)},
        })
    return out


def _commune_at(cursor: Cursor, field: str, lon: float, lat: float) -> dict:
    commune = sql.commune_at(cursor, lon, lat)
    if commune is None:
        raise BadRequest(
            f"{field}: ({lon}, {lat}) is not inside a commune of the region (lon, lat in WGS84 degrees)",
            code="outside_region", field=field, lon=lon, lat=lat,
        )
    return commune


def _new_ids(network: Network, count: int) -> list[str]:
    ids, number = [], 1
    while len(ids) < count:
        candidate = f"{NEW_ID_PREFIX}{number}"
        if candidate not in network.sites:
            ids.append(candidate)
        number += 1
    return ids


def _nearest(site_id: str, distance_m: float, network: Network) -> dict:
    return {"site_id": site_id, "site_name": network.sites[site_id].name, "distance_m": round_distance(distance_m)}


def _paired(before: list[dict], after: list[dict]):
    # the same communes in both networks, so the same areas in the same order
    return zip(before, after, strict=True)


def _served_deltas(before: list[dict], after: list[dict], moved) -> list[dict]:
    old = {row["id"]: row for row in before}
    new = {row["id"]: row for row in after}
    out = []
    for key in sorted(old.keys() | new.keys()):
        b, a = old.get(key), new.get(key)
        status = "added" if b is None else "closed" if a is None else "moved" if key in moved else "kept"
        b, a = b or _nothing_served(), a or _nothing_served()
        row = {"id": key, "name": (new.get(key) or old[key])["name"], "status": status}
        row.update({metric: change(b[metric], a[metric]) for metric in SERVED_METRICS})
        if status != "kept" or _moved(row):
            out.append(row)
    return out


def _mission_locale_deltas(before: list[dict], after: list[dict]) -> list[dict]:
    """The missions locales whose figures changed (every one is in both: the table does not change)."""
    old = {row["code"]: row for row in before}
    out = []
    for new in after:
        b = old.get(new["code"]) or _nothing_served()
        row = {"code": new["code"], "name": new["name"],
               "sites": {"current": b.get("sites", []), "scenario": new["sites"]}}
        row.update({metric: change(b[metric], new[metric]) for metric in SERVED_METRICS})
        if _moved(row) or row["sites"]["current"] != row["sites"]["scenario"]:
            out.append(row)
    return out


def _nothing_served() -> dict:
    return {"communes": 0, "population": 0, "mean_distance_m": None,
            "weighted_mean_distance_m": None, "max_distance_m": None}


def _moved(delta_row: dict) -> bool:
    """Did any figure of a delta row (or of a row nested in it: beyond, own, main_site) change?"""
    for value in delta_row.values():
        if isinstance(value, dict):
            if "current" in value and "scenario" in value:
                if value["current"] != value["scenario"]:
                    return True
            elif _moved(value):
                return True
        if isinstance(value, list) and any(_moved(item) for item in value if isinstance(item, dict)):
            return True
    return False
