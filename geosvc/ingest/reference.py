"""The small reference tables: departments, EPCI membership, former commune names and codes."""

from __future__ import annotations

import re

from geosvc.core.records import EpciMembership, FormerCommuneRecord
from geosvc.core.rules import COMMUNE_CODE, DEPARTEMENT_CODE
from geosvc.ingest.problems import Report

SIREN = re.compile(r"^[0-9]{9}$")
FORMER_TYPES = {"commune-deleguee", "commune-associee", "ancien-code"}

DEPARTEMENT_COLUMNS = ["code", "nom", "region"]
EPCI_COLUMNS = ["epci", "nom", "type", "commune"]
FORMER_COLUMNS = ["code", "nom", "type", "code_actuel"]






def validate_departements(file: str, rows, report: Report) -> list[dict]:
    departements, seen = [], set()
    for line, row in rows:
        if not DEPARTEMENT_CODE.match(row["code"]):
            report.error(file, f"line {line}", "code", f"{row['code']!r} is not a department code")
        elif row["code"] in seen:
            report.error(file, f"line {line}", "code", f"duplicate department {row['code']}")
        elif not row["nom"]:
            report.error(file, f"line {line}", "nom", "missing name")
        else:
            seen.add(row["code"])
            departements.append({"code": row["code"], "nom": row["nom"], "region": row["region"]})
    return departements


def validate_epci(file: str, rows, communes: set[str], report: Report) -> list[EpciMembership]:
    members: list[EpciMembership] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        where = f"line {line}"
        if not SIREN.match(row["epci"]):
            report.error(file, where, "epci", f"{row['epci']!r} is not a 9-digit SIREN")
        elif row["commune"] not in communes:
            report.error(file, where, "commune", f"{row['commune']!r} is not a commune of communes.geojson")
        elif row["commune"] in seen:
            first = seen[row["commune"]]
            report.error(file, where, "commune", f"{row['commune']} is already in an EPCI (line {first})")
        else:
            seen[row["commune"]] = line
            members.append(EpciMembership(row["epci"], row["nom"], row["type"], row["commune"]))
    return members


def validate_former(file: str, rows, communes: set[str], report: Report) -> list[FormerCommuneRecord]:
    records: list[FormerCommuneRecord] = []
    for line, row in rows:
        where = f"line {line}"
        if not COMMUNE_CODE.match(row["code"]):
            report.error(file, where, "code", f"{row['code']!r} is not an INSEE commune code")
        elif row["type"] not in FORMER_TYPES:
            report.error(file, where, "type", f"{row['type']!r} is not one of {sorted(FORMER_TYPES)}")
        elif row["code_actuel"] not in communes:
            report.error(file, where, "code_actuel", f"{row['code_actuel']!r} is not a commune of communes.geojson")
        else:
            records.append(FormerCommuneRecord(row["code"], row["nom"] or None, row["type"], row["code_actuel"]))
    return records
