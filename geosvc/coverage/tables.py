"""Tabular shapes of the coverage: one record per commune, and CSV for every table.

The API (`?format=csv`) and the report's CSV files use the same functions, so they
always carry the same columns and figures.
"""

from __future__ import annotations

import csv
import io

from geosvc.core.rules import round_degrees, round_distance
from geosvc.coverage.network import CommuneCoverage, Coverage
from geosvc.coverage.own import Own

COMMUNE_COLUMNS = [
    "code", "nom", "departement", "epci", "epci_nom", "population", "lon", "lat",
    "site_id", "site_name", "mission_locale", "mission_locale_name", "distance_m",
    "second_site_id", "second_distance_m", "third_site_id", "third_distance_m",
    "own_mission_locale", "own_site_id", "own_distance_m",
]
AREA_COLUMNS = [
    "level", "code", "nom", "communes", "population", "communes_without_population",
    "weighted_mean_distance_m", "weighted_median_distance_m", "mean_distance_m", "max_distance_m",
]
SITE_COLUMNS = [
    "id", "name", "insee", "commune", "kind", "location_precision", "hypothetical", "mission_locale",
    "mission_locale_name", "lon", "lat", "communes", "population", "mean_distance_m", "weighted_mean_distance_m",
    "max_distance_m",
]
MISSION_LOCALE_COLUMNS = [
    "code", "name", "sites", "zone_communes", "zone_population", "communes", "population", "mean_distance_m",
    "weighted_mean_distance_m", "max_distance_m",
]
# the `own` object of an area, flattened with an own_ prefix (thresholds: own_area_columns)
OWN_AREA_COLUMNS = [
    "communes", "population", "communes_without_zone", "communes_own_without_site", "weighted_mean_distance_m",
    "weighted_median_distance_m", "mean_distance_m", "max_distance_m", "communes_nearest_other",
    "population_nearest_other", "population_nearest_other_share",
]
ZONE_COLUMNS = [
    "code", "name", "communes", "population", "communes_without_population", "area_km2", "sites",
    "communes_without_own_site", "weighted_mean_distance_m", "weighted_median_distance_m", "mean_distance_m",
    "max_distance_m", "nearest_weighted_mean_distance_m", "main_site_id", "main_site_name",
    "main_site_population_share", "communes_nearest_other", "population_nearest_other",
    "population_nearest_other_share",
]
CROSS_COLUMNS = [
    "mission_locale", "mission_locale_name", "nearest_mission_locale", "nearest_mission_locale_name", "same",
    "communes", "population",
]
MISMATCH_COLUMNS = [
    "code", "nom", "departement", "population", "mission_locale", "mission_locale_name", "several",
    "own_site_id", "own_site_name", "own_distance_m", "nearest_site_id", "nearest_site_name",
    "nearest_mission_locale", "nearest_mission_locale_name", "nearest_distance_m", "extra_distance_m",
]
ORDINALS = ("second", "third")


def commune_record(commune: CommuneCoverage, coverage: Coverage, own: Own | None = None) -> dict:
    """One commune's coverage, as the API serves it; with `own`, its own mission locale's nearest site."""
    sites = coverage.network.sites
    nearest = sites[commune.site_id]
    record = {
        "code": commune.code,
        "nom": commune.nom,
        "departement": commune.departement,
        "departement_nom": commune.departement_nom,
        "epci": commune.epci,
        "epci_nom": commune.epci_nom,
        "population": commune.population,
        "point": {"lon": round_degrees(commune.lon), "lat": round_degrees(commune.lat)},
        "site_id": nearest.id,
        "site_name": nearest.name,
        "mission_locale": nearest.mission_locale,
        "mission_locale_name": nearest.mission_locale_name,
        "distance_m": round_distance(commune.distance_m),
        "nearest": [
            {"id": site_id, "name": sites[site_id].name, "mission_locale": sites[site_id].mission_locale,
             "distance_m": round_distance(distance)}
            for site_id, distance in commune.nearest
        ],
    }
    if own is not None:
        record["own"] = own_record(commune, coverage, own)
    return record


def own_record(commune: CommuneCoverage, coverage: Coverage, own: Own) -> dict | None:
    """Its own mission locale's nearest served site; None when it has none (no zone, no served site)."""
    best = own.nearest(commune.code)
    if best is None:
        return None
    sites = coverage.network.sites
    return {
        "mission_locale": best.mission_locale,
        "mission_locale_name": coverage.network.missions_locales[best.mission_locale].name,
        "several": commune.code in own.several,
        "site_id": best.site_id,
        "site_name": sites[best.site_id].name,
        "distance_m": round_distance(best.distance_m),
        "nearest_is_own": sites[commune.site_id].mission_locale in {o.mission_locale
                                                                    for o in own.by_commune[commune.code]},
    }


def commune_csv_row(record: dict) -> dict:
    row = {key: record[key] for key in COMMUNE_COLUMNS if key in record}
    row["lon"], row["lat"] = record["point"]["lon"], record["point"]["lat"]
    for ordinal, other in zip(ORDINALS, record["nearest"][1:], strict=False):
        row[f"{ordinal}_site_id"], row[f"{ordinal}_distance_m"] = other["id"], other["distance_m"]
    own = record.get("own")
    if own is not None:
        row["own_mission_locale"], row["own_site_id"] = own["mission_locale"], own["site_id"]
        row["own_distance_m"] = own["distance_m"]
    return row


def area_csv_rows(indicators: dict) -> list[dict]:
    """Region, departments and EPCI in one table, with one pair of columns per threshold."""
    rows = []
    for area in [indicators["region"], *indicators["departements"], *indicators["epci"]]:
        row = {key: area[key] for key in AREA_COLUMNS} | _beyond_cells(area["beyond"])
        own = area.get("own")
        if own is not None:  # empty cells without zones
            row |= {f"own_{key}": own[key] for key in OWN_AREA_COLUMNS}
            row |= _beyond_cells(own["beyond"], prefix="own_")
        rows.append(row)
    return rows


def area_columns(thresholds_km: list[float]) -> list[str]:
    """The nearest-site columns, then the own mission locale's (own_*), each with its thresholds."""
    return (AREA_COLUMNS + _beyond_columns(thresholds_km)
            + [f"own_{key}" for key in OWN_AREA_COLUMNS] + _beyond_columns(thresholds_km, prefix="own_"))


def zone_csv_rows(zones: list[dict]) -> list[dict]:
    rows = []
    for zone in zones:
        main = zone["main_site"] or {}
        rows.append({key: zone[key] for key in ZONE_COLUMNS if key in zone} | {
            "sites": " ".join(zone["sites"]), "main_site_id": main.get("id"), "main_site_name": main.get("name"),
            "main_site_population_share": main.get("population_share"),
        } | _beyond_cells(zone["beyond"]))
    return rows


def zone_columns(thresholds_km: list[float]) -> list[str]:
    return ZONE_COLUMNS + _beyond_columns(thresholds_km)


def _beyond_cells(beyond: list[dict], prefix: str = "") -> dict:
    cells = {}
    for item in beyond:
        km = _km(item["km"])
        cells[f"{prefix}communes_beyond_{km}km_share"] = item["communes_share"]
        cells[f"{prefix}population_beyond_{km}km_share"] = item["population_share"]
    return cells


def _beyond_columns(thresholds_km: list[float], prefix: str = "") -> list[str]:
    columns = []
    for km in thresholds_km:
        columns += [f"{prefix}communes_beyond_{_km(km)}km_share", f"{prefix}population_beyond_{_km(km)}km_share"]
    return columns


def mission_locale_csv_rows(missions_locales: list[dict]) -> list[dict]:
    return [row | {"sites": " ".join(row["sites"])} for row in missions_locales]


def to_csv(rows: list[dict], columns: list[str]) -> str:
    """RFC 4180 CSV (CRLF line ends, as spreadsheets expect), empty cells for None."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _km(km: float) -> str:
    return f"{km:g}"
