"""What every coverage answer says about how it was computed and from which data."""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core import present
from geosvc.coverage.indicators import DEFINITIONS
from geosvc.db import queries

METHOD = (
    f"{queries.DISTANCE_METHOD}; nearest among the served sites only "
    "(status 'served': superseded and rejected rows are left out)"
)


def answer_meta(cursor: Cursor) -> dict:
    """The `method`, `definitions` and `data` (source and vintage) members of an answer."""
    return {
        "method": METHOD,
        "definitions": DEFINITIONS,
        "data": present.data_block(queries.data_vintage(cursor)),
    }
