"""mission_communes.csv (optional) -> the official commune -> mission site assignment.

No open source for this table is known, so none ships: an absent file is not an error
and leaves the table empty. When present (e.g. the campaign's hand-kept table exported
to CSV) every row must name a current commune and a site of missions.csv, and each
commune may appear once: a commune belongs to exactly one mission locale.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from geosvc.core.records import SiteRecord
from geosvc.core.rules import COMMUNE_CODE, SITE_SERVED
from geosvc.ingest.problems import Report
from geosvc.ingest.readers import read_csv

ASSIGNMENT_FILE = "mission_communes.csv"
ASSIGNMENT_COLUMNS = ["insee", "mission_id"]


@dataclasses.dataclass(frozen=True)
class AssignmentRecord:
    insee: str
    site_id: str
    line: int


def read_assignment(
    data_dir: Path, commune_codes: set[str], sites: list[SiteRecord], report: Report
) -> list[AssignmentRecord]:
    """The validated rows of data_dir/mission_communes.csv, or [] when the file is absent."""
    path = data_dir / ASSIGNMENT_FILE
    if not path.exists():
        return []
    rows = read_csv(path, ASSIGNMENT_COLUMNS, report)
    return validate_assignment(ASSIGNMENT_FILE, rows, commune_codes, {s.id: s for s in sites}, report)


def validate_assignment(
    file: str, rows, commune_codes: set[str], sites: dict[str, SiteRecord], report: Report
) -> list[AssignmentRecord]:
    records: list[AssignmentRecord] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        record = _validate_row(file, line, row, commune_codes, sites, report)
        if record is None:
            continue
        if record.insee in first_line:
            report.error(
                file, f"line {line}", "insee",
                f"{record.insee} is already assigned (line {first_line[record.insee]}): one mission locale per commune",
            )
            continue
        first_line[record.insee] = line
        records.append(record)
    return records


def _validate_row(file, line, row, commune_codes, sites, report) -> AssignmentRecord | None:
    where = f"line {line}"
    insee, site_id = row["insee"], row["mission_id"]
    errors_before = len(report.errors)
    if not COMMUNE_CODE.match(insee):
        report.error(file, where, "insee", f"{insee!r} is not an INSEE commune code (5 characters, e.g. '02001')")
    elif insee not in commune_codes:
        report.error(file, where, "insee", f"{insee} is not a commune of communes.geojson")
    if not site_id:
        report.error(file, where, "mission_id", "required value is empty")
    elif site_id not in sites:
        report.error(file, where, "mission_id", f"{site_id!r} is not a site id of missions.csv")
    if len(report.errors) > errors_before:
        return None
    site = sites[site_id]
    if site.status != SITE_SERVED:
        # Kept: the assignment is a fact about the structure; its distance is to the recorded point.
        report.warn(file, where, "mission_id", f"{site_id} is not served ({site.status_reason})")
    return AssignmentRecord(insee, site_id, line)
