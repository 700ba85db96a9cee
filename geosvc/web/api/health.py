"""Health: is the database reachable, which PostGIS, how much data, which vintage."""

from __future__ import annotations

from apiflask import APIBlueprint

from geosvc.db import datasets
from geosvc.provenance import data_block
from geosvc.web.api.schemas import HealthOut
from geosvc.web.state import read_db

bp = APIBlueprint("health", __name__, tag="Operations")


@bp.get("/health")
@bp.output(HealthOut)
@bp.doc(summary="Database reachability, PostGIS version, row counts, data vintage", responses=[503])
def health():
    with read_db().cursor() as cursor:
        row = datasets.health(cursor)
        vintage = data_block(cursor)
    counts = {key: row[key] for key in ("communes", "sites", "served_sites", "former_communes")}
    return {
        "status": "ok" if counts["communes"] and counts["served_sites"] else "empty",
        "database": "reachable",
        "postgis_version": row["postgis_version"],
        "postgresql_version": row["postgresql_version"],
        "counts": counts,
        "data": vintage,
    }
