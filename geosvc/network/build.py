"""The curated site list of the mission-locale network, built reproducibly from the sources.

Sources: the union's coverage table (head offices of January 2026, `unml.read_zones`), the directory's
2016–2017 records (`annuaire.read_v1`), the project's `missions.csv` (the same directory's 2014–2015 records
plus a few press rows) and a reviewed overrides file (`record_id,mission_locale,reason`).

Decisions, in this order (each one is written to the report):

1. **Older rows.** A `missions.csv` row that is the same site as a 2016–2017 record (same directory id, e.g.
   `ml-02168-01-...` = `mission_locale-02168-01`, or same number + street in the same commune) is superseded by
   that record. A row already marked `superseded_by` there stays superseded. The others are kept as they are.
2. **Head offices.** For each mission locale, a record (2016–2017, or an older row kept in step 1) is its head
   office record when its address matches the 2026 head office (`address_match`: number + street after
   `normalise_street`, in the head office's town) -- the site then keeps the record's point, hours and contact,
   with the 2026 address (the union's address wins) and `confirmed_in_2026=true`. Otherwise, the record standing
   in the mission locale's **seat commune** (the commune whose INSEE code is the union's code; the first by id)
   is the old head office: kept with its date but `superseded` by the 2026 head office, which becomes a site of
   its own (`unml-2026-<code>`) placed at its town: empty lon/lat, `location_precision=commune`, the town's INSEE
   code (the ingestion places it at the commune's reference point; `ingest --geocode` may place it by address).
   When the 2026 head office matched a record outside the seat commune, a seat-commune record that does not
   match is the old head office too (Métropole Sud: Faches-Thumesnil -> Ronchin).
3. **Antennes.** Every other record is an antenne, served, with its record date ("not confirmed since"), linked
   to the mission locale of its commune's zone, or to the one the overrides file names.
4. **Coordinates** are never invented: a record's point that falls outside its own commune (`communes.geojson`)
   is replaced by the point of the older row of the same site when that one is inside (the BAN geocode that
   `missions.csv` already uses), else dropped to commune precision. Hours are never guessed.

`build()` works on loaded sources; `build_from_paths()` reads the default files; `write_outputs()` writes
`sites.csv` and `sites_report.md` (no timestamps: a re-run gives the same bytes).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geosvc.network import REGION_DEPARTMENTS, SourceError, fold, read_text
from geosvc.network.annuaire import DirectoryRecord, read_directory
from geosvc.network.hours import describe, to_json
from geosvc.network.unml import MissionLocale, Zones, find_zones_file, read_zones

# Every directory file of a dated folder (annuaire/2016-2017/, next year annuaire/2027/...) in any of the
# directory's formats; annuaire/formats/ holds format samples only.
DIRECTORY_GLOB = "annuaire/*/*.json"
SAMPLES_FOLDER = "formats"
OLDER_FILE = "missions.csv"
OVERRIDES_FILE = "site_overrides.csv"
COMMUNES_FILE = "communes.geojson"
SITES_FILE = "sites.csv"
REPORT_FILE = "sites_report.md"
UNML_DATE = "2026-01"  # the union's table of January 2026: month precision only
UNML_SOURCE = "unml/zones_de_couverture_janvier_2026_hdf.csv (UNML coverage table, January 2026)"
OVERRIDE_COLUMNS = ("record_id", "mission_locale", "reason")

SITE_COLUMNS = (
    "id", "mission_locale", "kind", "name", "address", "postcode", "city", "insee", "lon", "lat",
    "location_precision", "coord_source", "coord_precision", "phone", "email", "website", "hours", "accessibility",
    "accessibility_note", "source", "record_date", "status", "status_reason", "superseded_by",
    "confirmed_in_2026", "link", "record_name", "record_address",
)


class BuildError(ValueError):
    """The sources cannot be combined as they are (an override naming an unknown record, for instance)."""


# -------------------------------------------------------------------------------------------- address matching

STREET_TYPES = {
    "r": "rue", "rue": "rue", "av": "avenue", "ave": "avenue", "avenue": "avenue", "bd": "boulevard",
    "bld": "boulevard", "boul": "boulevard", "boulevard": "boulevard", "pl": "place", "place": "place",
    "prv": "parvis", "parvis": "parvis", "imp": "impasse", "impasse": "impasse", "all": "allee", "allee": "allee",
    "ch": "chemin", "chem": "chemin", "chemin": "chemin", "rte": "route", "route": "route", "fg": "faubourg",
    "fbg": "faubourg", "faubourg": "faubourg", "sq": "square", "square": "square", "chs": "chaussee",
    "chaussee": "chaussee", "qu": "quai", "quai": "quai", "crs": "cours", "cours": "cours", "pass": "passage",
    "passage": "passage", "voie": "voie", "res": "residence", "residence": "residence", "sen": "sente",
    "sente": "sente", "esp": "esplanade", "esplanade": "esplanade", "cite": "cite", "ruelle": "ruelle",
    "mail": "mail", "promenade": "promenade", "prom": "promenade", "zac": "zac", "za": "za", "zi": "zi",
}
_WORDS = {"st": "saint", "ste": "sainte", "gal": "general", "gen": "general", "mal": "marechal", "pdt": "president"}
_PARTICLES = {"de", "du", "des", "la", "le", "les", "l", "d", "a", "au", "aux", "en"}
_SUFFIXES = {"bis": "b", "ter": "t", "quater": "q", "quinquies": "c"}


@dataclass(frozen=True)
class Street:
    number: str  # `4a`, `202b` (bis), `12-14`, or "" when the address has none
    kind: str  # rue, avenue, ... ("" when the line does not start with a known type)
    name: tuple[str, ...]  # folded words without particles

    def label(self) -> str:
        return " ".join(x for x in (self.number, self.kind, " ".join(self.name)) if x)


def normalise_street(line: str) -> Street | None:
    """`6F r de la bonneterie` and `6 F rue de la Bonneterie` -> Street('6f', 'rue', ('bonneterie',)).

    Abbreviations (`r av bd pl prv imp all ch rte fg sq st ste`...), case, accents, punctuation and
    particles do not count; `bis`/`ter` read as the letters `b`/`t`; `12/14` and `12-14` are the same range.
    Returns None for a line with no street type and no number (a building's name, "Mairie").
    """
    tokens = fold(line).split()
    number_parts: list[str] = []
    while tokens and re.fullmatch(r"\d+[a-z]?", tokens[0]):
        number_parts.append(tokens.pop(0))
    suffix = ""
    if number_parts and tokens:
        if tokens[0] in _SUFFIXES:
            suffix = _SUFFIXES[tokens.pop(0)]
        elif len(tokens[0]) == 1 and len(tokens) > 1 and tokens[1] in STREET_TYPES:
            suffix = tokens.pop(0)
    number = "-".join(number_parts) + suffix
    kind = ""
    if tokens and tokens[0] in STREET_TYPES:
        kind = STREET_TYPES[tokens.pop(0)]
    if not kind and not number:
        return None
    name = tuple(_WORDS.get(t, t) for t in tokens if t not in _PARTICLES)
    return Street(number, kind, name)


def _one_letter_apart(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 5:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def compare_streets(reference: Street, candidate: Street) -> str | None:
    """How `candidate` matches `reference` (the 2026 address), or None. Strongest first."""
    if not reference.kind or reference.kind != candidate.kind:
        return None
    if reference.number == candidate.number and reference.name == candidate.name:
        return "same number and street" if reference.number else "same street (neither gives a number)"
    if not reference.number and reference.name and candidate.name and reference.name[-1] == candidate.name[-1]:
        shorter, longer = sorted((set(reference.name), set(candidate.name)), key=len)
        if shorter <= longer:
            return "same street, one name spelled shorter (no number in the 2026 address)"
    if reference.number == candidate.number and _one_letter_apart(" ".join(reference.name), " ".join(candidate.name)):
        return "same number, street name one letter apart"
    return None


_STRENGTH = {"same number and street": 0, "same street (neither gives a number)": 1,
             "same street, one name spelled shorter (no number in the 2026 address)": 2,
             "same number, street name one letter apart": 3}


def address_match(reference: str, lines: Iterable[str]) -> str | None:
    """The strongest match between a 2026 address and any of a record's address lines, or None."""
    ref = normalise_street(reference)
    if ref is None:
        return None
    found = []
    for line in lines:
        street = normalise_street(line)
        if street is not None:
            level = compare_streets(ref, street)
            if level:
                found.append(level)
    return min(found, key=_STRENGTH.__getitem__) if found else None


def same_address(a: DirectoryRecord, b: DirectoryRecord) -> bool:
    """Same commune and the same number + street (exactly, after normalisation)."""
    if not a.insee or a.insee != b.insee:
        return False
    streets_a = [s for s in map(normalise_street, a.street_lines) if s and s.kind and s.name]
    streets_b = [s for s in map(normalise_street, b.street_lines) if s and s.kind and s.name]
    return any(x == y for x in streets_a for y in streets_b)


# ----------------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class OlderRow:
    """A row of `missions.csv` (the directory's 2014–2015 records, and press rows), read as a record."""

    record: DirectoryRecord
    directory_id: str | None  # `mission_locale-02168-01` for the directory's rows, None for press rows
    superseded_by: str | None
    kind: str | None
    coord_source: str | None
    note: str | None
    line: int


@dataclass(frozen=True)
class Override:
    record_id: str
    mission_locale: str
    reason: str
    line: int


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    postcodes: tuple[str, ...]
    geometry: object | None = None  # shapely geometry, when read


def _split_address(text: str) -> tuple[str, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    out: list[str] = []
    for part in parts:  # "4, parvis Berthelot": a bare number belongs to the next part
        if out and re.fullmatch(r"\d+\s*[A-Za-z]?", out[-1]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return tuple(out)


def read_older(path: str | Path) -> list[OlderRow]:
    """Read `missions.csv` (kept as it is; only read)."""
    file = str(path)
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text))
    needed = ("id", "name", "address", "postcode", "city", "insee", "lat", "lon", "source_date")
    for name in needed:
        if name not in (reader.fieldnames or []):
            raise SourceError(file, 1, name, "missing column")
    rows = []
    for line, row in enumerate(reader, start=2):
        lat, lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
        try:
            point = (float(lon), float(lat)) if lat and lon else (None, None)
        except ValueError as exc:
            raise SourceError(file, line, "lat/lon", f"not numbers: {lat!r}, {lon!r}") from exc
        match = re.match(r"^ml-(\w{5})-(\d{2})-", row["id"])
        press = not match
        record = DirectoryRecord(
            id=row["id"], name=row["name"].strip(), insee=row["insee"].strip() or None,
            address_lines=_split_address(row["address"]), postcode=row["postcode"].strip() or None,
            city=row["city"].strip() or None, lon=point[0], lat=point[1], coord_precision=None,
            phone=(row.get("phone") or "").strip() or None, email=None,
            website=(row.get("website") or "").strip() or None, hours=None, accessibility=None,
            accessibility_note=None, record_date=row["source_date"].strip() or None,
            source=f"{Path(path).name} ({'press or web page' if press else 'directory record of 2014–2015'})",
        )
        rows.append(OlderRow(
            record=record,
            directory_id=None if press else f"mission_locale-{match.group(1)}-{match.group(2)}",
            superseded_by=(row.get("superseded_by") or "").strip() or None,
            kind=(row.get("kind") or "").strip() or None,
            coord_source=(row.get("coord_source") or "").strip() or None,
            note=(row.get("note") or "").strip() or None,
            line=line,
        ))
    return rows


def read_overrides(path: str | Path) -> list[Override]:
    file = str(path)
    if not Path(path).exists():
        return []
    reader = csv.DictReader(io.StringIO(read_text(path)))
    for name in OVERRIDE_COLUMNS:
        if name not in (reader.fieldnames or []):
            raise SourceError(file, 1, name, "missing column")
    out = []
    for line, row in enumerate(reader, start=2):
        values = {k: (row.get(k) or "").strip() for k in OVERRIDE_COLUMNS}
        if not values["record_id"] or not values["mission_locale"]:
            raise SourceError(file, line, "record_id" if not values["record_id"] else "mission_locale", "empty")
        if not values["reason"]:
            raise SourceError(file, line, "reason", "an override needs its reason")
        out.append(Override(values["record_id"], values["mission_locale"], values["reason"], line))
    return out


def read_communes(path: str | Path, with_geometry: bool = True) -> dict[str, Commune]:
    from shapely.geometry import shape
    from shapely.prepared import prep

    data = json.loads(read_text(path))
    out = {}
    for feature in data["features"]:
        props = feature["properties"]
        geometry = prep(shape(feature["geometry"])) if with_geometry and feature.get("geometry") else None
        out[props["code"]] = Commune(props["code"], props["nom"], tuple(props.get("codesPostaux") or ()), geometry)
    return out


# ------------------------------------------------------------------------------------------------------ output


@dataclass
class Site:
    id: str
    mission_locale: str
    kind: str  # siege | antenne
    name: str
    address: str
    postcode: str
    city: str
    insee: str
    lon: float | None
    lat: float | None
    location_precision: str  # address | commune
    coord_source: str
    coord_precision: str  # the directory's own precision code for its point (v1 `Précision`), uninterpreted
    phone: str
    email: str
    website: str
    hours: dict | None
    accessibility: str
    accessibility_note: str
    source: str
    record_date: str
    status: str  # served | superseded
    status_reason: str
    superseded_by: str
    confirmed_in_2026: bool
    link: str  # address | seat_commune | unml_2026 | zone | override | newer_record
    record_name: str
    record_address: str

    def row(self) -> list[str]:
        values = []
        for name in SITE_COLUMNS:
            value = getattr(self, name)
            if name in ("lon", "lat"):
                value = "" if value is None else f"{value:.6f}"
            elif name == "hours":
                value = to_json(value)
            elif name == "confirmed_in_2026":
                value = "true" if value else "false"
            values.append("" if value is None else str(value))
        return values


@dataclass
class MissionDecision:
    mission: MissionLocale
    head_office: str = ""  # site id
    matched_record: str = ""
    match: str = ""  # how it matched, or why not
    old_head_office: list[str] = field(default_factory=list)  # superseded records (stale)
    antennes: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)  # older rows superseded by this ML's sites
    conflicts: list[str] = field(default_factory=list)


@dataclass
class BuildResult:
    sites: list[Site]
    decisions: dict[str, MissionDecision]
    conflicts: list[str]
    warnings: list[str]
    inputs: list[str]
    report: str = ""

    def site(self, site_id: str) -> Site:
        return next(s for s in self.sites if s.id == site_id)

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SITE_COLUMNS)
        for site in self.sites:
            writer.writerow(site.row())
        return buffer.getvalue()


def _record_address(record: DirectoryRecord) -> str:
    town = " ".join(x for x in (record.postcode, record.city) if x)
    return ", ".join([*record.street_lines, town] if town else record.street_lines)


def _site_from_record(record: DirectoryRecord, **values) -> Site:
    point = record.lon is not None
    base = {
        "id": record.id, "mission_locale": "", "kind": "antenne", "name": record.name,
        "address": ", ".join(record.street_lines), "postcode": record.postcode or "", "city": record.city or "",
        "insee": record.insee or "", "lon": record.lon, "lat": record.lat,
        "location_precision": "address" if point else "commune",
        "coord_source": "directory record's point" if point else "", "coord_precision": record.coord_precision or "",
        "phone": record.phone or "", "email": record.email or "", "website": record.website or "",
        "hours": record.hours, "accessibility": record.accessibility or "",
        "accessibility_note": record.accessibility_note or "", "source": record.source,
        "record_date": record.record_date or "", "status": "served", "status_reason": "", "superseded_by": "",
        "confirmed_in_2026": False, "link": "", "record_name": record.name, "record_address": _record_address(record),
    }
    base.update(values)
    return Site(**base)


# ------------------------------------------------------------------------------------------------------- build


def build(zones: Zones, directory: list[DirectoryRecord], older: list[OlderRow] = (),
          overrides: list[Override] = (), communes: dict[str, Commune] | None = None,
          inputs: Iterable[str] = (), warnings: Iterable[str] = ()) -> BuildResult:
    """Combine the sources into the curated site list (decisions in the module docstring)."""
    conflicts: list[str] = []
    warnings = list(warnings)
    directory = sorted(directory, key=lambda r: r.id)
    by_id = {r.id: r for r in directory}
    if len(by_id) != len(directory):
        dup = sorted(k for k, n in Counter(r.id for r in directory).items() if n > 1)
        raise BuildError(f"directory records with the same id: {', '.join(dup)}")
    older = sorted(older, key=lambda o: o.record.id)
    older_ids = {o.record.id for o in older}
    clash = older_ids & set(by_id)
    if clash:
        raise BuildError(f"ids in both missions.csv and the directory: {', '.join(sorted(clash))}")

    # 1. older rows: superseded by the newer record of the same site, or kept
    superseded_older: dict[str, tuple[str, str]] = {}  # older id -> (newer id, reason)
    current: list[tuple[DirectoryRecord, OlderRow | None]] = [(r, None) for r in directory]
    for row in older:
        old = row.record
        newer = by_id.get(row.directory_id or "")
        reason = ""
        if newer is not None:
            reason = f"same directory record ({newer.id}), newer version of {newer.record_date}"
            if not same_address(old, newer):
                reason += f"; address then: {_record_address(old)}"
        else:
            newer = next((r for r in directory if same_address(old, r)), None)
            if newer is not None:
                reason = f"same address as the newer record {newer.id} of {newer.record_date}"
        if newer is not None:
            superseded_older[old.id] = (newer.id, reason)
        elif row.superseded_by:
            superseded_older[old.id] = (row.superseded_by, f"superseded in missions.csv: {row.note or ''}".strip())
        else:
            current.append((old, row))
    older_by_id = {o.record.id: o for o in older}
    current.sort(key=lambda pair: pair[0].id)

    # coordinates: a point outside its own commune is not served as it is
    fixed: dict[str, tuple[float | None, float | None, str]] = {}
    if communes is not None:
        fixed = _check_points(current, older, superseded_older, communes, conflicts)

    overrides_by_id: dict[str, Override] = {}
    known_ids = {r.id for r, _ in current} | set(superseded_older)
    for override in overrides:
        if override.record_id not in known_ids:
            raise BuildError(f"{OVERRIDES_FILE}:{override.line}: record {override.record_id!r} is not a record")
        if override.mission_locale not in zones.missions:
            raise BuildError(f"{OVERRIDES_FILE}:{override.line}: {override.mission_locale!r} is not a mission locale")
        if override.record_id in overrides_by_id:
            raise BuildError(f"{OVERRIDES_FILE}:{override.line}: record {override.record_id!r} overridden twice")
        overrides_by_id[override.record_id] = override

    sites: dict[str, Site] = {}
    decisions = {code: MissionDecision(ml) for code, ml in zones.missions.items()}
    taken: set[str] = set()

    def make(record: DirectoryRecord, row: OlderRow | None, **values) -> Site:
        site = _site_from_record(record, **values)
        if record.id in fixed:
            site.lon, site.lat, site.coord_source = fixed[record.id]
            site.location_precision = "address" if site.lon is not None else "commune"
            site.coord_precision = ""
        elif row is not None and row.coord_source and site.lon is not None:
            site.coord_source = row.coord_source
        return site

    # 2. head offices
    for code, ml in sorted(zones.missions.items()):
        decision = decisions[code]
        head = f"{ml.address}, {ml.postcode} {ml.city}"
        matches = []
        for record, row in current:
            if record.insee and record.insee == ml.seat_insee:
                level = address_match(ml.address, record.street_lines)
                if level:
                    matches.append((_STRENGTH[level], _newest_first(record), record, row, level))
        matches.sort(key=lambda m: m[:2])
        for _s, _n, record, _row, level in matches[1:]:
            decision.conflicts.append(f"`{record.id}` also matches the 2026 head office ({level}); kept as antenne")
        seat_records = [(r, row) for r, row in current if r.insee == ml.code]
        if matches:
            _s, _n, record, row, level = matches[0]
            site = make(record, row, mission_locale=code, kind="siege", name=ml.display_name, address=ml.address,
                        postcode=ml.postcode, city=ml.city, insee=ml.seat_insee or record.insee,
                        status_reason=f"2026 head office; the directory record of {record.record_date} "
                                      f"stands at this address ({level})",
                        confirmed_in_2026=True, link="address")
            sites[site.id] = site
            taken.add(record.id)
            decision.head_office, decision.matched_record = site.id, record.id
            decision.match = f"address match ({level}): `{_record_address(record)}` = `{head}`"
            stale = [(r, rw) for r, rw in seat_records if r.id != record.id]
            if stale and record.insee != ml.code:
                old, old_row = stale[0]
                _supersede_head_office(make, sites, taken, decision, ml, old, old_row, site.id)
        else:
            site_id = f"unml-2026-{code}"
            site = Site(
                id=site_id, mission_locale=code, kind="siege", name=ml.display_name, address=ml.address,
                postcode=ml.postcode, city=ml.city, insee=ml.seat_insee or "",
                lon=None, lat=None, location_precision="commune", coord_source="",
                coord_precision="",
                phone="", email="", website="", hours=None, accessibility="", accessibility_note="",
                source=UNML_SOURCE, record_date=UNML_DATE, status="served",
                status_reason="2026 head office; no directory record at this address: placed at its town",
                superseded_by="", confirmed_in_2026=True, link="unml_2026", record_name="", record_address="",
            )
            if not ml.seat_insee:
                conflicts.append(f"{code}: the town of the 2026 head office ({ml.city}, {ml.postcode}) has no "
                                 "INSEE code in the zones file: the site has no commune")
            sites[site.id] = site
            decision.head_office = site.id
            if seat_records:
                old, old_row = seat_records[0]
                decision.match = (f"no record at the 2026 address; the record in the seat commune ({code}) is the "
                                  "old head office")
                _supersede_head_office(make, sites, taken, decision, ml, old, old_row, site_id)
            else:
                decision.match = "no directory record at the 2026 address nor in the seat commune"

    # 3. antennes
    communes_ml = zones.by_commune()
    for record, row in current:
        if record.id in taken:
            continue
        override = overrides_by_id.get(record.id)
        zone_codes = communes_ml.get(record.insee or "", [])
        if override:
            code, link = override.mission_locale, "override"
            reason = f"override: {override.reason}"
        elif len(zone_codes) == 1:
            code, link, reason = zone_codes[0], "zone", ""
        else:
            text = "no mission locale" if not zone_codes else f"several missions locales ({', '.join(zone_codes)})"
            conflicts.append(f"`{record.id}` ({record.insee}): its commune has {text}; not linked, not served — "
                             "add an override")
            site = make(record, row, status="superseded", status_reason=f"commune with {text}; needs an override",
                        link="")
            sites[site.id] = site
            continue
        date = record.record_date or "an unknown date"
        status_reason = f"antenne in the directory; not confirmed since {date}"
        if reason:
            status_reason += f"; {reason}"
        site = make(record, row, mission_locale=code, kind="antenne", status_reason=status_reason, link=link)
        if row is not None and row.kind == "siege" and code in zones.missions:
            site.status_reason += "; was called a head office by its source, not the 2026 one"
        sites[site.id] = site
        decisions[code].antennes.append(site.id)
        head = sites[decisions[code].head_office]
        if site.location_precision == "commune" and site.insee == head.insee:
            decisions[code].conflicts.append(
                f"`{site.id}` is known only at town level in {site.city or site.insee}, the town of the 2026 head "
                "office: it may be the same place")

    # 4. older rows superseded by newer ones
    for old_id, (newer_id, reason) in sorted(superseded_older.items()):
        row = older_by_id[old_id]
        final = newer_id
        seen = {old_id}
        while final in superseded_older and final not in seen:
            seen.add(final)
            final = superseded_older[final][0]
        target = sites.get(final)
        if target is not None and target.status == "superseded" and target.superseded_by:
            target = sites.get(target.superseded_by, target)
        code = target.mission_locale if target else ""
        site = make(row.record, row, mission_locale=code, kind=target.kind if target else "antenne",
                    status="superseded", status_reason=reason, superseded_by=newer_id, link="newer_record")
        sites[site.id] = site
        if code:
            decisions[code].older.append(site.id)
        else:
            conflicts.append(f"`{old_id}` is superseded by `{newer_id}`, which is not a site")

    result = BuildResult(
        sites=sorted(sites.values(), key=lambda s: (s.mission_locale, s.kind != "siege", s.status != "served", s.id)),
        decisions=decisions, conflicts=conflicts, warnings=warnings, inputs=list(inputs),
    )
    for decision in decisions.values():
        if not any(s.status == "served" and s.mission_locale == decision.mission.code for s in result.sites):
            raise BuildError(f"mission locale {decision.mission.code} has no served site")
    result.report = render_report(result, zones, overrides_by_id)
    return result


def _newest_first(record: DirectoryRecord) -> tuple:
    return (tuple(-int(x) for x in (record.record_date or "0000-00-00").split("-")), record.id)


def _supersede_head_office(make, sites, taken, decision, ml, old, old_row, head_id) -> None:
    head = f"{ml.address}, {ml.postcode} {ml.city}"
    site = make(old, old_row, mission_locale=ml.code, kind="siege", status="superseded",
                status_reason=f"old head office (record of {old.record_date} in the seat commune {ml.code}): "
                              f"superseded by the 2026 head office at {head}",
                superseded_by=head_id, link="seat_commune")
    sites[site.id] = site
    taken.add(old.id)
    decision.old_head_office.append(old.id)


def _check_points(current, older, superseded_older, communes, conflicts) -> dict:
    """Records whose point lies outside their own commune: the older same-site row's point, or none."""
    from shapely.geometry import Point

    def inside(record: DirectoryRecord) -> bool | None:
        commune = communes.get(record.insee or "")
        if record.lon is None or commune is None or commune.geometry is None:
            return None
        return commune.geometry.covers(Point(record.lon, record.lat))

    out = {}
    older_of: dict[str, OlderRow] = {}
    for row in older:
        newer = superseded_older.get(row.record.id, (None,))[0]
        if newer:
            older_of.setdefault(newer, row)
    for record, _row in current:
        if inside(record) is not False:
            continue
        where = f"({record.lon:.6f}, {record.lat:.6f})"
        previous = older_of.get(record.id)
        if previous and inside(previous.record) and same_address(previous.record, record):
            source = previous.coord_source or "point of the older record"
            out[record.id] = (previous.record.lon, previous.record.lat,
                              f"{source} (from `{previous.record.id}`, same address; the directory's point "
                              f"{where} lies outside commune {record.insee})")
            conflicts.append(f"`{record.id}`: the directory's point {where} lies outside its commune "
                             f"{record.insee}; the point of `{previous.record.id}` (same address) is used")
        else:
            out[record.id] = (None, None, f"the directory's point {where} lies outside commune {record.insee}")
            conflicts.append(f"`{record.id}`: the directory's point {where} lies outside its commune "
                             f"{record.insee}; placed at its commune")
    return out


# ------------------------------------------------------------------------------------------------------ report


def _count(items: Iterable[str]) -> str:
    counts = Counter(items)
    return ", ".join(f"{key or '(none)'}: {n}" for key, n in sorted(counts.items()))


def render_report(result: BuildResult, zones: Zones, overrides: dict[str, Override]) -> str:
    sites = result.sites
    by_id = {s.id: s for s in sites}
    served = [s for s in sites if s.status == "served"]
    moved = [d for d in result.decisions.values() if d.old_head_office]
    unknown = [d.mission.code for d in result.decisions.values() if not d.matched_record and not d.old_head_office]
    out = ["# Curated mission-locale sites: build report", "",
           "Generated by `scripts/build_sites.py` from the sources below; do not edit by hand.", ""]
    out += ["## Sources", ""]
    out += [f"- {line}" for line in result.inputs]
    out += ["", "## Totals", ""]
    out += [
        f"- missions locales: {len(result.decisions)}; each has at least one served site",
        f"- sites: {len(sites)} ({_count(s.status for s in sites)})",
        f"- served sites by kind: {_count(s.kind for s in served)}",
        f"- served sites by location precision: {_count(s.location_precision for s in served)}",
        f"- all sites by location precision: {_count(s.location_precision for s in sites)}",
        f"- served sites by record year: {_count(s.record_date[:4] for s in served)}",
        f"- all sites by record year: {_count(s.record_date[:4] for s in sites)}",
        f"- served sites by link to their mission locale: {_count(s.link for s in served)}",
        f"- head offices confirmed by a directory record at the 2026 address: "
        f"{sum(1 for d in result.decisions.values() if d.matched_record)}",
        f"- missions locales whose head office moved since the directory records (old head-office record "
        f"superseded): {len(moved)} ({', '.join(d.mission.code for d in moved)})",
        f"- missions locales with no directory record at the 2026 address nor in the seat commune: "
        f"{len(unknown)} ({', '.join(unknown)})",
        f"- served sites without hours: {sum(1 for s in served if not s.hours)}",
        "",
    ]
    out += ["## Conflicts and checks", ""]
    conflicts = list(result.conflicts)
    for code, decision in sorted(result.decisions.items()):
        conflicts += [f"{code}: {c}" for c in decision.conflicts]
    out += [f"- {c}" for c in conflicts] or ["- none"]
    out += ["", "## Overrides", ""]
    out += [f"- `{o.record_id}` -> {o.mission_locale}: {o.reason}" for o in overrides.values()] or [
        "- none (every antenne is linked through its commune's zone)"]
    if result.warnings:
        out += ["", "## Reader warnings", ""]
        out += [f"- {w}" for w in result.warnings]
    out += ["", "## Missions locales", ""]
    for code, decision in sorted(result.decisions.items()):
        ml = decision.mission
        head = by_id[decision.head_office]
        out += [f"### {code} {ml.official_name} ({ml.display_name})", ""]
        out += [f"- 2026 head office: {ml.address}, {ml.postcode} {ml.city} (INSEE {ml.seat_insee or '?'})"
                + ("" if ml.seat_insee == code else f"; seat commune {code} "
                   f"{zones.commune_names().get(code, '?')}")]
        if decision.matched_record:
            out += [f"- head-office record: `{decision.matched_record}` — {decision.match}; "
                    f"point kept ({head.location_precision}); hours: {describe(head.hours)}"]
        else:
            out += [f"- head-office record: none — {decision.match}; site `{head.id}` at "
                    f"{head.location_precision} precision; hours: {describe(head.hours)}"]
        for old_id in decision.old_head_office:
            old = by_id[old_id]
            out += [f"- stale: `{old_id}` {old.record_address} (record of {old.record_date}) — superseded by the "
                    f"2026 head office {ml.address}, {ml.postcode} {ml.city}"]
        for site_id in decision.antennes:
            site = by_id[site_id]
            out += [f"- antenne: `{site_id}` {site.record_name} — {site.record_address or site.city} "
                    f"(record of {site.record_date}; linked by {site.link}; {site.location_precision} precision; "
                    f"hours: {describe(site.hours)})"]
        for site_id in sorted(decision.older):
            site = by_id[site_id]
            out += [f"- older record: `{site_id}` ({site.record_date}) superseded by `{site.superseded_by}` — "
                    f"{site.status_reason}"]
        out += [f"- conflict: {c}" for c in decision.conflicts]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# ------------------------------------------------------------------------------------------------- entry points


def build_from_paths(sources_dir: str | Path = "data/sources", data_dir: str | Path = "data",
                     overrides_path: str | Path | None = None,
                     departments: Iterable[str] = REGION_DEPARTMENTS) -> BuildResult:
    """Read the default files (`<sources_dir>/unml/...`, `<sources_dir>/annuaire/<folder>/*.json`,
    `<data_dir>/missions.csv`, `<data_dir>/communes.geojson`, the overrides file) and build."""
    sources_dir, data_dir = Path(sources_dir), Path(data_dir)
    overrides_path = Path(overrides_path) if overrides_path else data_dir / OVERRIDES_FILE
    zones_file = find_zones_file(sources_dir)
    zones = read_zones(zones_file, departments)
    records: list[DirectoryRecord] = []
    warnings = list(zones.warnings)
    directory_files = sorted(p for p in sources_dir.glob(DIRECTORY_GLOB) if p.parent.name != SAMPLES_FOLDER)
    if not directory_files:
        raise BuildError(f"no directory file matches {sources_dir / DIRECTORY_GLOB}")
    for path in directory_files:
        load = read_directory(path, departments)
        records += load.records
        warnings += load.warnings
    older = read_older(data_dir / OLDER_FILE)
    overrides = read_overrides(overrides_path)
    communes = read_communes(data_dir / COMMUNES_FILE) if (data_dir / COMMUNES_FILE).exists() else None
    if communes is None:
        warnings.append(f"{data_dir / COMMUNES_FILE}: not found; points were not checked against their commune")
    inputs = [
        f"`{zones_file.relative_to(sources_dir)}`: {len(zones.rows)} zone rows, "
        f"{len(zones.missions)} missions locales (head offices of "
        "January 2026)",
        f"`{DIRECTORY_GLOB}`: {len(records)} directory records "
        f"({min(r.record_date for r in records)} to {max(r.record_date for r in records)})",
        f"`{OLDER_FILE}`: {len(older)} rows (directory records of 2014–2015 and press rows; read, not modified)",
        f"`{OVERRIDES_FILE}`: {len(overrides)} reviewed overrides",
        f"`{COMMUNES_FILE}`: points checked against their commune" if communes else "communes: not checked",
        # nothing is fetched here: `geosvc ingest --geocode` may place them by address
        "geocoding: off (head offices without a record are placed at their town)",
    ]
    return build(zones, records, older, overrides, communes, inputs, warnings)


def write_outputs(result: BuildResult, out_dir: str | Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((SITES_FILE, result.csv_text()), (REPORT_FILE, result.report)):
        path = out_dir / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


def write_empty_overrides(path: str | Path) -> None:
    """An overrides file with its header only."""
    Path(path).write_text(",".join(OVERRIDE_COLUMNS) + "\n", encoding="utf-8", newline="")


__all__ = [
    "BuildError", "BuildResult", "Commune", "MissionDecision", "OlderRow", "Override", "SITE_COLUMNS", "Site",
    "Street", "address_match", "build", "build_from_paths", "compare_streets", "normalise_street", "read_communes",
    "read_older", "read_overrides", "same_address", "write_outputs",
]
