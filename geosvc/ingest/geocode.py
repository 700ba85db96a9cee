"""Optional geocoding of sites without coordinates (`geosvc ingest --geocode`).

Uses geopy's client for the French national address base (BAN). Only results at
street or house-number level count as an address; anything vaguer, and any
network failure, leaves the site to be placed at its commune's reference point,
with a warning: an approximate point is never passed off as an address.
"""

from __future__ import annotations

from geopy.exc import GeopyError
from geopy.geocoders import BANFrance

from geosvc.ingest.problems import Report

ADDRESS_LEVEL_TYPES = {"housenumber", "street"}
TIMEOUT_S = 5


def geocode_missing(file: str, rows, report: Report, geocoder=None) -> int:
    """Fill lat/lon of rows that have none; returns how many were geocoded."""
    geocoder = geocoder or BANFrance(timeout=TIMEOUT_S)
    found = 0
    for line, row in rows:
        if row["lat"] or row["lon"] or not row["address"]:
            continue
        query = " ".join(part for part in (row["address"], row["postcode"], row["city"]) if part)
        try:
            location = geocoder.geocode(query, exactly_one=True)
        except GeopyError as exc:
            failure = f"geocoding failed ({exc.__class__.__name__}); placed at its commune"
            report.warn(file, f"line {line}", "address", failure)
            continue
        kind = location.raw.get("properties", {}).get("type") if location else None
        if kind not in ADDRESS_LEVEL_TYPES:
            vague = f"no address-level geocode for {query!r}; placed at its commune"
            report.warn(file, f"line {line}", "address", vague)
            continue
        row["lat"], row["lon"] = f"{location.latitude:.6f}", f"{location.longitude:.6f}"
        score = location.raw.get("properties", {}).get("score")
        row["coord_source"] = f"BAN geocode via geopy at ingestion (type {kind}, score {score})"
        found += 1
    return found
