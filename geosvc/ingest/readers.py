"""File formats -> rows that remember where they came from (line or feature number).

Readers only decode; they judge nothing but the format. A reader that cannot go on
records an error in the report and returns what it has (often nothing).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from geosvc.ingest.problems import Report

# A longer field is a broken file (a missing quote swallowing the rest), not a name.
MAX_FIELD_CHARS = 2000
BOM = "\ufeff"


def read_text(path: Path, report: Report) -> str | None:
    """The file as UTF-8 text, or None (with an error naming the line) when it is not."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.error(name, "", None, f"cannot read the file: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        report.error(
            name, f"line {line}", None,
            f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
        )
        return None
    if text.startswith(BOM):
        # Spreadsheet programs add it; harmless once removed, so repair and say so.
        report.warn(name, "", None, "byte-order mark removed")
        text = text[1:]
    if not text.strip():
        report.error(name, "", None, "the file is empty")
        return None
    return text


def read_csv(path: Path, required: list[str], report: Report) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {column: value}), values stripped; [] on any format error."""
    text = read_text(path, report)
    if text is None:
        return []
    name = path.name
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except (StopIteration, csv.Error) as exc:
        report.error(name, "line 1", None, f"no readable header: {exc}")
        return []
    missing = [column for column in required if column not in header]
    if missing:
        report.error(name, "line 1", ", ".join(missing), f"required column(s) missing (header is {header})")
        return []
    return list(_csv_rows(name, reader, header, report))


def _csv_rows(name: str, reader, header: list[str], report: Report) -> Iterator[tuple[int, dict]]:
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.error(name, f"line {line}", None, f"unreadable CSV: {exc}")
            return
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            report.error(name, f"line {line}", None, f"{len(values)} fields, the header has {len(header)}")
            continue
        row = dict(zip(header, (value.strip() for value in values), strict=True))
        too_long = [column for column, value in row.items() if len(value) > MAX_FIELD_CHARS]
        for column in too_long:
            report.error(name, f"line {line}", column, f"longer than {MAX_FIELD_CHARS} characters")
        if not too_long:
            yield line, row


def read_feature_collection(path: Path, report: Report) -> list[dict]:
    """The features of a GeoJSON FeatureCollection; [] on any format error."""
    text = read_text(path, report)
    if text is None:
        return []
    name = path.name
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        report.error(name, f"line {exc.lineno} column {exc.colno}", None, f"invalid JSON: {exc.msg}")
        return []
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        report.error(name, "", "type", "not a GeoJSON FeatureCollection")
        return []
    features = document.get("features")
    if not isinstance(features, list) or not features:
        report.error(name, "", "features", "no features")
        return []
    return features
