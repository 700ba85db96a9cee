"""Which data an answer comes from: the one `data` block every answer carries."""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core import present
from geosvc.db import datasets


def data_block(cursor: Cursor, names: tuple[str, ...] = present.ANSWER_DATASETS) -> dict:
    """Source, vintage, row count and load time of each dataset, as every answer shows them."""
    return present.data_block(datasets.data_vintage(cursor), names)


def timetable_block(cursor: Cursor) -> dict:
    """The TER timetable's entry alone ({} when none is loaded), for the answers with travel times."""
    return present.data_block(datasets.data_vintage(cursor), ("timetable",))
