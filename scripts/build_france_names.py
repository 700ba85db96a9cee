"""Build data/france_communes.csv: code, nom, departement of every commune of metropolitan France.

The commune search (docs/SEARCH.md, "Outside the region") recognises the names of communes outside
Hauts-de-France and says "not in Hauts-de-France" instead of guessing a commune of the region. It
needs only their code, name and department, so this keeps those three properties of the France-wide
COG 2026 file (47 MB, with polygons) in a small CSV that is committed; the service and the tests
read the CSV, never the France file.

    .venv/bin/python scripts/build_france_names.py                       # ../shared/data/france
    .venv/bin/python scripts/build_france_names.py --source PATH/communes.geojson

The source has one feature per line (see its PROVENANCE.md): each line is read and parsed on its
own, so the polygons are never all in memory. Rows are sorted by code; the region's own communes
are kept too (the service leaves out whatever its database holds, so the file also serves a
France-wide database, where nothing is outside).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "france" / "communes.geojson"
TARGET = ROOT / "data" / "france_communes.csv"


def rows(source: Path) -> list[tuple[str, str, str]]:
    out = []
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            line = line.strip().rstrip(",")
            if not line.startswith('{"type":"Feature"'):
                continue  # the FeatureCollection's opening and closing lines
            properties = json.loads(line)["properties"]
            out.append((properties["code"], properties["nom"], properties["departement"]))
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    found = rows(args.source)
    if len({code for code, _, _ in found}) != len(found):
        print("duplicate codes in the source", file=sys.stderr)
        return 1
    with args.target.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(("code", "nom", "departement"))
        writer.writerows(found)
    print(f"{len(found)} communes written to {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
