"""The ingestion as a whole: read every file, validate everything, then load once.

Nothing touches the database until every file has been read and checked, so a bad
file costs nothing; the load itself is one transaction (geosvc.ingest.load).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import json
import time
from pathlib import Path

from sqlalchemy import Engine
from tqdm import tqdm

from geosvc.core.rules import SITE_SERVED
from geosvc.db import load as loader
from geosvc.ingest.communes import validate_communes
from geosvc.ingest.geocode import geocode_missing
from geosvc.ingest.problems import Problem, Report
from geosvc.ingest.readers import read_csv, read_feature_collection
from geosvc.ingest.reference import (
    DEPARTEMENT_COLUMNS,
    EPCI_COLUMNS,
    FORMER_COLUMNS,
    validate_departements,
    validate_epci,
    validate_former,
)
from geosvc.ingest.sites import SITE_COLUMNS, CommuneLocator, validate_sites
from geosvc.ingest.zones import find_zones_file, validate_zones
from geosvc.transit.ingest import TransitStats, precompute, read_feed

COMMUNES_FILE = "communes.geojson"
# The curated site list (`geosvc sites build` writes it from data/sources/); a data set
# without one (the France-wide data) gives its sites in the older missions.csv format.
SITES_FILES = ("sites.csv", "missions.csv")
FORMER_FILE = "communes_anciennes.csv"
EPCI_FILE = "epci.csv"
DEPARTEMENTS_FILE = "departements.csv"
MANIFEST_FILE = "manifest.json"
NOT_STATED = "not stated (no manifest.json entry)"


@dataclasses.dataclass
class Summary:
    communes_per_departement: dict[str, int]
    sites_per_precision: dict[str, int]
    sites_per_status: dict[str, int]
    geocoded: int
    warnings: list[Problem]
    seconds: float
    transit: TransitStats | None = None

    def lines(self) -> list[str]:
        out = ["communes per department: " + _counts(self.communes_per_departement)]
        out.append("sites per location precision: " + _counts(self.sites_per_precision))
        out.append("sites per status: " + _counts(self.sites_per_status))
        if self.geocoded:
            out.append(f"sites geocoded: {self.geocoded}")
        out.append(self.transit.line() if self.transit else "TER travel times: none (no timetable in the data)")
        out.append(f"warnings: {len(self.warnings)}")
        out.extend(f"  {warning}" for warning in self.warnings)
        out.append(f"loaded in {self.seconds:.1f} s")
        return out


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) + f" (total {sum(counts.values())})"


def ingest(engine: Engine, data_dir: Path, *, max_offset_km: float, geocode: bool = False,
           allow_shrink: bool = False, cache_dir: Path | None = None) -> Summary:
    """Validate every file in data_dir, then replace the stored data in one transaction.

    Raises IngestError (listing every problem) before writing anything if a file is bad,
    and ShrinkRefused (writing nothing) if the new data would drop more than a tenth of
    the communes, zones or sites loaded now, unless allow_shrink. cache_dir keeps what is derived
    from the TER timetable between ingestions (geosvc/transit/cache.py); None: computed every time.
    """
    started = time.perf_counter()
    report = Report()
    data, geocoded = prepare(data_dir, report, max_offset_km=max_offset_km, geocode=geocode, cache_dir=cache_dir)
    report.raise_if_errors()
    with tqdm(total=len(data.communes), desc="loading communes", unit="commune", disable=None) as bar:
        transit = loader.load(engine, data, progress=bar, allow_shrink=allow_shrink)
    return Summary(
        communes_per_departement=dict(collections.Counter(c.departement for c in data.communes)),
        sites_per_precision=dict(collections.Counter(s.location_precision for s in data.sites)),
        sites_per_status=dict(collections.Counter(s.status for s in data.sites)),
        geocoded=geocoded,
        warnings=report.warnings,
        seconds=time.perf_counter() - started,
        transit=transit,
    )


def prepare(data_dir: Path, report: Report, *, max_offset_km: float, geocode: bool,
            cache_dir: Path | None = None) -> tuple[loader.LoadSet, int]:
    """Read and validate all files; errors go to the report, nothing is written."""
    departements = None
    if _present(data_dir, DEPARTEMENTS_FILE, "department names unknown, codes taken from the communes", report):
        departements = validate_departements(
            DEPARTEMENTS_FILE, read_csv(data_dir / DEPARTEMENTS_FILE, DEPARTEMENT_COLUMNS, report), report
        )
    features = read_feature_collection(data_dir / COMMUNES_FILE, report)
    features = tqdm(features, desc="checking communes", unit="commune", disable=None)
    known = {d["code"] for d in departements} if departements is not None else None
    communes = validate_communes(COMMUNES_FILE, features, known, report)
    if departements is None:
        found = sorted({c.departement for c in communes})
        departements = [{"code": code, "nom": None, "region": None} for code in found]
    codes = {c.code for c in communes}
    epci, former = [], []
    if _present(data_dir, EPCI_FILE, "no EPCI membership", report):
        epci = validate_epci(EPCI_FILE, read_csv(data_dir / EPCI_FILE, EPCI_COLUMNS, report), codes, report)
    if _present(data_dir, FORMER_FILE, "former names and codes will not be recognised", report):
        former = validate_former(
            FORMER_FILE, read_csv(data_dir / FORMER_FILE, FORMER_COLUMNS, report), codes, report
        )
    zones = None
    zones_path = find_zones_file(data_dir, report)
    if zones_path is not None and communes:
        zones = validate_zones(zones_path, communes, report)
    sites_file = next((name for name in SITES_FILES if (data_dir / name).exists()), SITES_FILES[0])
    site_rows = read_csv(data_dir / sites_file, SITE_COLUMNS, report)
    geocoded = geocode_missing(sites_file, site_rows, report) if geocode else 0
    sites = []
    if communes:
        locator = CommuneLocator(communes)
        known = {mission.code for mission in zones.missions} if zones else None
        sites = validate_sites(sites_file, site_rows, locator, codes, max_offset_km, report, known)
    if zones:
        _report_missions_without_site(sites_file, zones, sites, report)
    files = [
        ("communes", COMMUNES_FILE, len(communes)), ("missions", sites_file, len(sites)),
        ("communes_anciennes", FORMER_FILE, len(former)), ("epci", EPCI_FILE, len(epci)),
        ("departements", DEPARTEMENTS_FILE, len(departements)),
    ]
    if zones:
        files.append(("zones", zones.file, len(zones.rows)))
    transit = read_feed(data_dir, report, cache_dir) if communes else None
    if transit:
        files.append(("timetable", transit.file, len(transit.timetable.connections)))
    datasets = _datasets(data_dir, files, report)
    missions_locales = zones.missions if zones else []
    zone_rows = zones.rows if zones else []
    load_set = loader.LoadSet(departements, epci, communes, former, sites, datasets, missions_locales, zone_rows,
                              functools.partial(precompute, source=transit) if transit else None)
    return load_set, geocoded


def _report_missions_without_site(sites_file: str, zones, sites, report: Report) -> None:
    served = {site.mission_locale for site in sites if site.status == SITE_SERVED}
    for mission in zones.missions:
        if mission.code not in served:
            report.warn(sites_file, "", "mission_locale",
                        f"mission locale {mission.code} ({mission.official_name}) has no served site")


def _present(data_dir: Path, file: str, consequence: str, report: Report) -> bool:
    """Reference files are optional (the France-wide data set has none): say what is lost."""
    if (data_dir / file).exists():
        return True
    report.warn(file, "", None, f"absent: {consequence}")
    return False


def _datasets(data_dir: Path, files: list[tuple[str, str, int]], report: Report) -> list[loader.DatasetInfo]:
    """One row per file loaded: its name in answers, file, sha256, rows, and the manifest's source and vintage."""
    manifest = _manifest(data_dir, report)
    datasets = []
    for name, file, rows in files:
        path = data_dir / file
        if not path.exists():
            continue
        entry = manifest.get(file, {})
        datasets.append(loader.DatasetInfo(
            name=name, file=file,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(), rows=rows,
            source=entry.get("source", NOT_STATED), vintage=entry.get("vintage", NOT_STATED),
        ))
    return datasets


def _manifest(data_dir: Path, report: Report) -> dict:
    path = data_dir / MANIFEST_FILE
    if not path.exists():
        report.warn(MANIFEST_FILE, "", None, "missing: answers will say the source and vintage are not stated")
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        report.error(MANIFEST_FILE, "", None, f"invalid JSON: {exc}")
        return {}
    if not isinstance(manifest, dict):
        report.error(MANIFEST_FILE, "", None, "expected an object keyed by file name")
        return {}
    return manifest
