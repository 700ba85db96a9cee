"""The mission-locale network's sources, read as published, and the curated site list built from them.

Pure Python (stdlib, shapely): no Flask, no database. Modules:

* `unml`     -- the union's (UNML) coverage table: commune -> mission locale, head offices of January 2026;
* `annuaire` -- the State's service directory, in its three formats (v1 GeoJSON, "données locales" v4 JSON,
  the online dataset's records with JSON-encoded fields), all read into one `DirectoryRecord`;
* `hours`    -- one JSON-serialisable shape for opening hours;
* `build`    -- the curated site list (`data/sites.csv`) and its report (`data/sites_report.md`).

Readers raise `SourceError` (file, line, field, message) on anything they cannot read, and return warnings as
strings `"<file>:<line>: <message>"` for what they can read but looks wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

from geosvc.core import textnorm
from geosvc.core.rules import COMMUNE_CODE

REGION_DEPARTMENTS: tuple[str, ...] = ("02", "59", "60", "62", "80")
INSEE_RE = COMMUNE_CODE  # one INSEE pattern for the whole product (geosvc.core.rules)
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SourceError(ValueError):
    """A source file that cannot be read as its format says: names the file, the line and the field."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str):
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(f"{self.file}:{line if line is not None else '-'}: {field or '-'}: {message}")


def warning(file: str, line: int | None, message: str) -> str:
    return f"{file}:{line if line is not None else '-'}: {message}"


def department_of(insee: str) -> str:
    """The department of an INSEE commune code: `97x` overseas, else the first two characters."""
    return insee[:3] if insee.startswith("97") else insee[:2]


def fold(text: str | None) -> str:
    """Lower case, no accents, ligatures spelled out, punctuation as spaces, single spaces:
    the commune search's own folding (geosvc.core.textnorm.fold), so a name matches alike everywhere."""
    return textnorm.fold(text) if text else ""


def read_text(path: str | Path) -> str:
    """A source file's text: UTF-8 with an optional byte-order mark; anything else is a `SourceError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), None, None, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start})"
        raise SourceError(str(path), line, "encoding", message) from exc
