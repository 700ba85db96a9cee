"""`geosvc export --out DIR`: the campaign feeds as static files, for hosting with no service.

    DIR/departements.json                  = GET /departements
    DIR/departements/{code}/communes.json  = GET /departements/{code}/communes, for each department
    DIR/missions.json                      = GET /missions (addresses and phones of the feed's mission ids)
    DIR/index.json                         data block, and per file: its API path, ETag, size, SHA-256

Every file holds exactly the bytes the API serves (same documents, same encoding, so the
same ETag), all read in one repeatable-read snapshot: an ingestion running meanwhile cannot
mix old and new data across files. Each file is written to a temporary name then renamed,
so a web server serving DIR never sends a half-written file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from psycopg import Cursor

from geosvc.campaign import feeds
from geosvc.config import Settings
from geosvc.core import present
from geosvc.core.representation import strong_etag
from geosvc.db import sites
from geosvc.db.pool import ReadDatabase
from geosvc.provenance import data_block

INDEX = "index.json"


@dataclasses.dataclass(frozen=True)
class ExportedFile:
    path: str  # relative to the export folder, with '/'
    api_path: str
    body: bytes


def export(settings: Settings, out_dir: Path) -> list[str]:
    """Write every file; return the lines to print (one per file, then the timing)."""
    started = time.perf_counter()
    database = ReadDatabase(settings)
    try:
        with database.cursor() as cursor:
            files = list(documents(cursor))
            data = data_block(cursor)
    finally:
        database.close()
    for file in files:
        _write(out_dir / file.path, file.body)
    _write(out_dir / INDEX, feeds.encode(index(files, data)))
    lines = [f"{file.path}  {len(file.body):,} bytes  ETag \"{strong_etag(file.body)}\"" for file in files]
    lines.append(f"{INDEX}: {len(files)} files written to {out_dir} in {time.perf_counter() - started:.2f} s")
    return lines


def documents(cursor: Cursor) -> Iterator[ExportedFile]:
    listing = feeds.departements(cursor)
    yield ExportedFile("departements.json", "/departements", feeds.encode(listing))
    for departement in listing["departements"]:
        code = departement["code"]
        yield ExportedFile(
            f"departements/{code}/communes.json", f"/departements/{code}/communes",
            feeds.encode(feeds.departement_communes(cursor, code)),
        )
    yield ExportedFile("missions.json", "/missions", feeds.encode(missions(cursor)))


def missions(cursor: Cursor) -> dict:
    """The document of GET /missions (geosvc/web/api/missions.py), for the static site's cards."""
    return {
        "missions": [present.site(site) for site in sites.list_served_sites(cursor)],
        "data": data_block(cursor),
    }


def index(files: list[ExportedFile], data: dict) -> dict:
    return {
        "generator": "geosvc export",
        "data": data,
        "distances": "geodesic metres on the WGS84 ellipsoid",
        "files": [
            {
                "path": file.path, "api": file.api_path, "etag": f'"{strong_etag(file.body)}"',
                "bytes": len(file.body), "sha256": _sha256(file.body),
            }
            for file in files
        ],
    }


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(body)
    os.replace(partial, path)
