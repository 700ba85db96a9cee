"""The union's coverage table (commune -> mission locale) -> validated zones and missions locales.

The file is read in the publisher's national format (geosvc/network/unml.py), filtered
to the departments of the loaded communes, then checked against them: every commune
should have a zone, every zone row should name a commune.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from geosvc.core.records import CommuneRecord, MissionLocale, ZoneRow
from geosvc.ingest.problems import Report
from geosvc.network import SourceError, fold, unml
from geosvc.network.unml import read_zones

# The file the union publishes, kept as published under data/sources/unml/.
ZONES_GLOB = "sources/" + unml.ZONES_GLOB
_WARNING = re.compile(r"^(?P<file>.*?):(?P<line>\d+|-): (?P<message>.*)$", re.S)
# At most this many communes are named in one "no zone" warning.
SHOWN = 10


@dataclasses.dataclass
class ZoneSet:
    file: str
    missions: list[MissionLocale]
    rows: list[ZoneRow]


def find_zones_file(data_dir: Path, report: Report) -> Path | None:
    """The one union table under data_dir/sources, or None (said in a warning) when there is none."""
    found = sorted(data_dir.glob(ZONES_GLOB))
    if not found:
        report.warn(ZONES_GLOB, "", None, "absent: no mission locale zones; answers give the nearest sites only")
        return None
    if len(found) > 1:
        names = ", ".join(path.name for path in found)
        report.error(ZONES_GLOB, "", None, f"several zone tables ({names}): keep the one to load")
        return None
    return found[0]


def validate_zones(path: Path, communes: list[CommuneRecord], report: Report) -> ZoneSet | None:
    departements = sorted({commune.departement for commune in communes})
    name = str(path.relative_to(path.parents[2])) if len(path.parents) > 2 else path.name
    try:
        zones = read_zones(path, departements)
    except SourceError as exc:
        report.error(name, _where(exc.line), exc.field, exc.message)
        return None
    for text in zones.warnings:
        match = _WARNING.match(text)
        line = match["line"] if match else "-"
        report.warn(name, _where(None if line == "-" else int(line)), None, match["message"] if match else text)
    by_code = {commune.code: commune for commune in communes}
    kept = []
    for row in zones.rows:
        commune = by_code.get(row.insee)
        if commune is None:
            report.warn(name, _where(row.line), "Code INSEE", f"{row.insee} ({row.commune_name}) is not a commune "
                        "of communes.geojson: row left out")
            continue
        if fold(row.commune_name) != fold(commune.nom):
            report.warn(name, _where(row.line), "Nom Commune",
                        f"{row.insee} is {row.commune_name!r} here and {commune.nom!r} in communes.geojson")
        kept.append(row)
    _report_communes_without_zone(name, communes, {row.insee for row in kept}, report)
    used = {row.ml_code for row in kept}
    missions = [mission for code, mission in sorted(zones.missions.items()) if code in used]
    return ZoneSet(name, missions, kept)


def _report_communes_without_zone(name: str, communes, zoned: set[str], report: Report) -> None:
    missing = sorted(commune.code for commune in communes if commune.code not in zoned)
    if missing:
        shown = ", ".join(missing[:SHOWN]) + (f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else "")
        report.warn(name, "", None, f"{len(missing)} commune(s) have no mission locale in this table: {shown}")


def _where(line: int | None) -> str:
    return f"line {line}" if line is not None else ""
