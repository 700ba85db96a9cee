"""Commune search: the in-memory index (geosvc/core/search_index.py) built from the database."""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.search_index import Index
from geosvc.db import communes, datasets


def build_index(cursor: Cursor) -> Index:
    """The index of every commune and former commune, with the data block of its snapshot."""
    return Index(
        communes.search_index_communes(cursor), communes.search_index_former(cursor), data=datasets.data_vintage(cursor)
    )
