"""Database rows -> the JSON shapes of the API (names as the public contract spells them)."""

from __future__ import annotations

from geosvc.core.rules import round_degrees, round_distance

ANSWER_DATASETS = ("communes", "missions", "zones")
SITE_FIELDS = (
    "id", "mission_locale", "name", "kind", "address", "postcode", "city", "insee", "phone", "email", "website",
    "hours", "accessibility", "lon", "lat", "location_precision", "record_date", "confirmed",
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
    """A site as every answer shows it: its mission locale, contact, hours, point, and the date
    of its record (`confirmed`: the union's head-office address of the zones' month is this one)."""
    out = {field: row[field] for field in SITE_FIELDS}
    out["lon"], out["lat"] = round_degrees(row["lon"]), round_degrees(row["lat"])
    return out



def nearest_site(row: dict) -> dict:
    return with_distance(site(row), row["distance_m"])


def with_distance(site_json: dict, distance_m: float) -> dict:
    return site_json | {"distance_m": round_distance(distance_m)}


def data_block(rows: list[dict], names: tuple[str, ...] = ANSWER_DATASETS) -> dict:
    """Source and vintage of the data every answer is computed from, ready for JSON
    (the time of loading in ISO 8601, as the schemas document it). `names`: the data sets the
    answer depends on (the TER timetable only for the answers carrying travel times)."""
    block = {}
    for row in rows:
        if row["name"] in names:
            block[row["name"]] = {key: row[key] for key in ("file", "source", "vintage", "rows")}
            block[row["name"]]["loaded_at"] = row["loaded_at"].isoformat()
            if row["records_dated"]:
                block[row["name"]]["records_dated"] = row["records_dated"]
    return block


def mission_locale(row: dict) -> dict:
    """A mission locale: the union's code and official name, a readable name, and the
    head-office address the union stated (abbreviated as published)."""
    return {
        "code": row["code"],
        "name": row["name"],
        "official_name": row["official_name"],
        "head_office": {
            "address": row["address"], "postcode": row["postcode"], "city": row["city"],
            "insee": row["head_office_insee"],
        },
        "communes_count": row["communes_count"],
        "population": row["population"],
    }
