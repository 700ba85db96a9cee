"""The data-quality report: what in the loaded data makes the coverage figures less sure.

* communes without population (left out of the population-weighted figures) or without a
  postcode (cannot be found by postcode);
* sites with an approximate location (`location_precision = 'commune'`: placed at their
  commune's reference point, so their distances are approximate);
* sites not served (superseded by a newer row, or rejected by the ingestion);
* sites whose point lies outside the commune their row names, and how far;
* probable duplicates: served sites within DUPLICATE_RADIUS_M of each other, or with the
  same street address (they would share, and split, one catchment).
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import round_distance
from geosvc.db import coverage as sql

# Two offices of one structure are rarely within 100 m; two rows that close are one office.
DUPLICATE_RADIUS_M = 100.0


def report(cursor: Cursor) -> dict:
    incomplete = sql.communes_incomplete(cursor)
    sections = {
        "communes_without_population": [_commune(row) for row in incomplete if row["population"] is None],
        "communes_without_postcode": [_commune(row) for row in incomplete if not row["codes_postaux"]],
        "approximate_sites": sql.approximate_sites(cursor),
        "not_served_sites": sql.not_served_sites(cursor),
        "sites_outside_commune": [_outside(row) for row in sql.sites_outside_commune(cursor)],
        "duplicate_sites": [_duplicate(row) for row in sql.duplicate_sites(cursor, DUPLICATE_RADIUS_M)],
    }
    return {"counts": {name: len(rows) for name, rows in sections.items()}, **sections,
            "duplicate_radius_m": DUPLICATE_RADIUS_M}


def _commune(row: dict) -> dict:
    return {"code": row["code"], "nom": row["nom"], "departement": row["departement"],
            "population": row["population"], "codesPostaux": row["codes_postaux"]}


def _outside(row: dict) -> dict:
    return row | {"distance_m": round_distance(row["distance_m"])}


def _duplicate(row: dict) -> dict:
    return row | {"distance_m": round_distance(row["distance_m"])}
