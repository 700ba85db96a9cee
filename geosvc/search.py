"""Commune search: the in-memory index (geosvc/core/search_index.py) built from the database.

The names of the communes of metropolitan France (data/france_communes.csv, built by
scripts/build_france_names.py) let the search say "not in Hauts-de-France" rather than guess:
they are read and keyed once per process, and every index built afterwards shares them.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from psycopg import Cursor

from geosvc.config import PROJECT_ROOT
from geosvc.core.search_index import Index, Outside
from geosvc.db import communes, datasets

FRANCE_NAMES = PROJECT_ROOT / "data" / "france_communes.csv"


@functools.lru_cache(maxsize=2)
def outside_names(path: Path = FRANCE_NAMES) -> Outside:
    """Every commune of metropolitan France (code, nom, departement), keyed for the search."""
    with path.open(encoding="utf-8", newline="") as file:
        return Outside(csv.DictReader(file))


def build_index(cursor: Cursor) -> Index:
    """The index of every commune and former commune, with the data block of its snapshot."""
    return Index(
        communes.search_index_communes(cursor), communes.search_index_former(cursor),
        data=datasets.data_vintage(cursor), outside=outside_names(),
    )
