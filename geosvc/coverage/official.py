"""Official assignment vs nearest site: which communes are sent farther than they need be.

Only when data/mission_communes.csv was loaded (no open source for it is known; see
geosvc/ingest/assignment.py). The assigned site's distance is to its stored point,
served or not; `same_structure` tells a commune sent to another office of the structure
whose office is nearest (often harmless) from one sent to another structure.
"""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import round_distance
from geosvc.coverage.network import Coverage
from geosvc.coverage.structures import structure_key
from geosvc.db import coverage as sql


def report(cursor: Cursor, coverage: Coverage) -> dict:
    dataset = sql.assignment_dataset(cursor)
    rows = sql.assignments(cursor)
    communes = {commune.code: commune for commune in coverage.communes}
    mismatches = [
        _mismatch(row, communes[row["insee"]], coverage)
        for row in rows
        if communes[row["insee"]].site_id != row["site_id"]
    ]
    mismatches.sort(key=lambda m: (-m["extra_distance_m"], m["code"]))
    return {
        "available": dataset is not None,
        "dataset": dataset,
        "communes_assigned": len(rows),
        "communes_unassigned": len(communes) - len(rows),
        "assigned_to_nearest": len(rows) - len(mismatches),
        "assigned_elsewhere": len(mismatches),
        "assigned_elsewhere_same_structure": sum(m["same_structure"] for m in mismatches),
        "mismatches": mismatches,
    }


def _mismatch(row: dict, commune, coverage: Coverage) -> dict:
    nearest = coverage.network.sites[commune.site_id]
    return {
        "code": commune.code,
        "nom": commune.nom,
        "departement": commune.departement,
        "population": commune.population,
        "assigned_site_id": row["site_id"],
        "assigned_site_name": row["site_name"],
        "assigned_site_status": row["site_status"],
        "assigned_distance_m": round_distance(row["distance_m"]),
        "nearest_site_id": nearest.id,
        "nearest_site_name": nearest.name,
        "nearest_distance_m": round_distance(commune.distance_m),
        "extra_distance_m": round_distance(row["distance_m"] - commune.distance_m),
        "same_structure": structure_key(row["site_name"]) == nearest.structure.id,
    }
