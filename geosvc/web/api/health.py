"""Health: is the database reachable, which PostGIS, how much data, which vintage; and the two
probes of an orchestrator or a load balancer, answered from memory without a query:

* `/livez`: the process answers (alive even while the database is down: the answers held in
  memory keep being served, so restarting it would only lose them);
* `/readyz`: this worker's in-memory answers are built and hold data (503 `not_ready` before).
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Float, String

from geosvc.core.errors import ServiceUnavailable
from geosvc.db import datasets
from geosvc.provenance import data_block
from geosvc.web.api.schemas import HealthOut
from geosvc.web.state import read_db, readiness

bp = APIBlueprint("health", __name__, tag="Operations")


@bp.get("/health")
@bp.output(HealthOut)
@bp.doc(summary="Database reachability, row counts, data vintage, age of the data served",
        description="No server versions: they help an attacker, not a user. 503 with status `degraded` "
                    "while the database is unreachable (the public answers keep coming from memory).",
        responses=[503])
def health():
    memory = readiness()
    age = {"data_loaded_at": memory["data_loaded_at"], "data_age_s": memory["data_age_s"]}
    try:
        with read_db().cursor() as cursor:
            row = datasets.health(cursor)
            vintage = data_block(cursor)
    except ServiceUnavailable as error:
        if error.code != "database_unavailable":
            raise  # reachable, but no data loaded: the error says so
        return {"status": "degraded", "database": "unreachable", **age}, 503
    counts = {key: row[key] for key in ("communes", "sites", "served_sites", "former_communes")}
    return {
        "status": "ok" if counts["communes"] and counts["served_sites"] else "empty",
        "database": "reachable",
        "counts": counts,
        "data": vintage,
        **age,
    }


class LiveOut(Schema):
    status = String(metadata={"description": "`alive`"})


class ReadyOut(Schema):
    status = String(metadata={"description": "`ready`"})
    stores = Dict(metadata={"description": "each in-memory store: built, builds, built_at (Unix time)"})
    data_loaded_at = String(allow_none=True, metadata={"description": "when the data served was ingested"})
    data_age_s = Float(allow_none=True, metadata={"description": "seconds since then"})
    ready = Boolean()


@bp.get("/livez")
@bp.output(LiveOut)
@bp.doc(summary="Liveness: the process answers (no database query)")
def livez():
    return {"status": "alive"}


@bp.get("/readyz")
@bp.output(ReadyOut)
@bp.doc(summary="Readiness: this worker's in-memory answers are built and hold data (no query)", responses=[503])
def readyz():
    state = readiness()
    if not state["ready"]:
        raise ServiceUnavailable(
            "the in-memory answers are not built yet", code="not_ready",
            stores=state["stores"], data_loaded_at=state["data_loaded_at"],
        )
    return {"status": "ready"} | state
