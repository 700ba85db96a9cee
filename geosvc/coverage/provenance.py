"""What every coverage answer says about how it was computed and from which data."""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import DISTANCE_METHOD
from geosvc.coverage.indicators import DEFINITIONS
from geosvc.provenance import data_block

METHOD = (
    f"{DISTANCE_METHOD}; nearest among the served sites only "
    "(status 'served': superseded and rejected rows are left out)"
)


def answer_meta(cursor: Cursor) -> dict:
    """The `method`, `definitions` and `data` (source and vintage) members of an answer."""
    return {
        "method": METHOD,
        "definitions": DEFINITIONS,
        "data": data_block(cursor),
    }
