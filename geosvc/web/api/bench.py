"""A constant answer: the benchmark's yardstick (geosvc_tools/bench.py), served only with GEOSVC_BENCH_ENDPOINTS=1.

It does what every endpoint does, Flask routing and JSON, and nothing else, so an
endpoint's throughput divided by this one's is the share left after its own work,
measured under the same server, on the same machine, in the same run.
"""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("bench", __name__, tag="Operations")

CONSTANT = {"status": "ok", "purpose": "benchmark baseline"}


@bp.get("/bench/constant")
@bp.doc(summary="A constant JSON answer, the baseline of scripts/bench.py")
def constant():
    return CONSTANT
