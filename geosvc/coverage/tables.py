"""Tabular shapes of the coverage: one record per commune, and CSV for every table.

The API (`?format=csv`) and the report's CSV files use the same functions, so they
always carry the same columns and figures.
"""

from __future__ import annotations

import csv
import io

from geosvc.core.rules import round_degrees, round_distance
from geosvc.coverage.network import CommuneCoverage, Coverage

COMMUNE_COLUMNS = [
    "code", "nom", "departement", "epci", "epci_nom", "population", "lon", "lat",
    "site_id", "site_name", "mission_locale", "mission_locale_name", "distance_m",
    "second_site_id", "second_distance_m", "third_site_id", "third_distance_m",
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
MISMATCH_COLUMNS = [
    "code", "nom", "departement", "population", "mission_locale", "mission_locale_name", "several",
    "own_site_id", "own_site_name", "own_distance_m", "nearest_site_id", "nearest_site_name",
    "nearest_mission_locale", "nearest_mission_locale_name", "nearest_distance_m", "extra_distance_m",
]
ORDINALS = ("second", "third")


def commune_record(commune: CommuneCoverage, coverage: Coverage) -> dict:
    """One commune's coverage, as the API serves it."""
    sites = coverage.network.sites
    nearest = sites[commune.site_id]
    return {
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


def commune_csv_row(record: dict) -> dict:
    row = {key: record[key] for key in COMMUNE_COLUMNS if key in record}
    row["lon"], row["lat"] = record["point"]["lon"], record["point"]["lat"]
    for ordinal, other in zip(ORDINALS, record["nearest"][1:], strict=False):
        row[f"{ordinal}_site_id"], row[f"{ordinal}_distance_m"] = other["id"], other["distance_m"]
    return row


def area_csv_rows(indicators: dict) -> list[dict]:
    """Region, departments and EPCI in one table, with one pair of columns per threshold."""
    rows = []
    for area in [indicators["region"], *indicators["departements"], *indicators["epci"]]:
        row = {key: area[key] for key in AREA_COLUMNS}
        for beyond in area["beyond"]:
            km = _km(beyond["km"])
            row[f"communes_beyond_{km}km_share"] = beyond["communes_share"]
            row[f"population_beyond_{km}km_share"] = beyond["population_share"]
        rows.append(row)
    return rows


def area_columns(thresholds_km: list[float]) -> list[str]:
    columns = list(AREA_COLUMNS)
    for km in thresholds_km:
        columns += [f"communes_beyond_{_km(km)}km_share", f"population_beyond_{_km(km)}km_share"]
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
