"""Database rows -> the JSON shapes of the API (names as the public contract spells them)."""

from __future__ import annotations

from geosvc.core.rules import round_degrees, round_distance

ANSWER_DATASETS = ("communes", "missions")
SITE_FIELDS = (
    "id", "name", "address", "postcode", "city", "insee", "kind", "phone", "website",
    "lon", "lat", "location_precision",
)


def commune(row: dict) -> dict:
    return {
        "code": row["code"],
        "nom": row["nom"],
        "departement": row["departement"],
        "codesPostaux": row["codes_postaux"],
        "population": row["population"],
        "point": {"lon": round_degrees(row["lon"]), "lat": round_degrees(row["lat"])},
    }


def site(row: dict) -> dict:
    out = {field: row[field] for field in SITE_FIELDS}
    out["lon"], out["lat"] = round_degrees(row["lon"]), round_degrees(row["lat"])
    return out



def nearest_site(row: dict) -> dict:
    return with_distance(site(row), row["distance_m"])


def with_distance(site_json: dict, distance_m: float) -> dict:
    return site_json | {"distance_m": round_distance(distance_m)}


def data_block(rows: list[dict]) -> dict:
    """Source and vintage of the data every answer is computed from, ready for JSON
    (the time of loading in ISO 8601, as the schemas document it)."""
    block = {}
    for row in rows:
        if row["name"] in ANSWER_DATASETS:
            block[row["name"]] = {key: row[key] for key in ("file", "source", "vintage", "rows")}
            block[row["name"]]["loaded_at"] = row["loaded_at"].isoformat()
            if row["records_dated"]:
                block[row["name"]]["records_dated"] = row["records_dated"]
    return block
