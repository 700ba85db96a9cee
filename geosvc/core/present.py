"""Database rows -> the JSON shapes of the API (names as the public contract spells them)."""

from __future__ import annotations

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
        "point": {"lon": _degrees(row["lon"]), "lat": _degrees(row["lat"])},
    }


def site(row: dict) -> dict:
    out = {field: row[field] for field in SITE_FIELDS}
    out["lon"], out["lat"] = _degrees(row["lon"]), _degrees(row["lat"])
    return out


def _degrees(value: float) -> float:
    # 7 decimals is about 1 cm: no false precision, no float noise in the JSON
    return round(value, 7)


def nearest_site(row: dict) -> dict:
    return with_distance(site(row), row["distance_m"])


def with_distance(site_json: dict, distance_m: float) -> dict:
    # decimetres: far below the data's own precision, and stable across platforms
    return site_json | {"distance_m": round(distance_m, 1)}


def data_block(rows: list[dict]) -> dict:
    """Source and vintage of the data every answer is computed from."""
    block = {}
    for row in rows:
        if row["name"] in ANSWER_DATASETS:
            block[row["name"]] = {
                key: row[key] for key in ("file", "source", "vintage", "rows", "loaded_at")
            }
            if row["records_dated"]:
                block[row["name"]]["records_dated"] = row["records_dated"]
    return block
