"""Build the curated mission-locale site list: `data/sites.csv` and `data/sites_report.md`.

    python scripts/build_sites.py                      # data/sources/... in, data/ out
    python scripts/build_sites.py --out /tmp/sites     # elsewhere (a re-run gives the same bytes)
    python scripts/build_sites.py --geocode            # head offices without a directory record: BAN geocode

The rules are in `geosvc/network/build.py`. Without `--geocode` nothing is fetched and the output depends only
on the files read. With it, a head office is given a point only for a house-number result in its own commune;
any failure leaves it at its town (and the report says which).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geosvc.network import SourceError  # noqa: E402
from geosvc.network.build import BuildError, build_from_paths, write_outputs  # noqa: E402

BAN_URL = "https://api-adresse.data.gouv.fr/search/"


def ban_geocoder(address: str, postcode: str, city: str, insee: str):
    """A house-number point of the national address base (BAN) in commune `insee`, or None."""
    query = urllib.parse.urlencode({"q": f"{address} {postcode} {city}", "citycode": insee, "limit": 1})
    try:
        with urllib.request.urlopen(f"{BAN_URL}?{query}", timeout=10) as response:
            data = json.load(response)
    except (OSError, ValueError) as exc:
        print(f"geocoding {address!r}, {city}: failed ({exc.__class__.__name__}); placed at its town",
              file=sys.stderr)
        return None
    for feature in data.get("features", []):
        props = feature.get("properties", {})
        if props.get("type") == "housenumber" and props.get("citycode") == insee:
            lon, lat = feature["geometry"]["coordinates"]
            return lon, lat, f"BAN geocode at build time ({props.get('label')}, score {props.get('score'):.2f})"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", default=str(ROOT / "data" / "sources"), help="folder with unml/ and annuaire/")
    parser.add_argument("--data", default=str(ROOT / "data"), help="folder with missions.csv and communes.geojson")
    parser.add_argument("--overrides", default=None, help="overrides CSV (default: <data>/site_overrides.csv)")
    parser.add_argument("--out", default=None, help="output folder (default: <data>)")
    parser.add_argument("--geocode", action="store_true", help="geocode head offices that have no record (BAN)")
    args = parser.parse_args(argv)
    try:
        result = build_from_paths(args.sources, args.data, args.overrides,
                                  geocoder=ban_geocoder if args.geocode else None)
    except (SourceError, BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in write_outputs(result, args.out or args.data):
        print(f"wrote {path}")
    served = sum(1 for s in result.sites if s.status == "served")
    print(f"{len(result.sites)} sites, {served} served, {len(result.decisions)} missions locales, "
          f"{len(result.conflicts)} conflicts (see the report)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
