"""The State's service directory ("annuaire de l'administration", DILA), read in its three formats.

All three give `DirectoryRecord`s, equal field for field for the same record (apart from `source`, and
`coord_precision`, which only v1 gives):

* `read_v1(path)` -- the "établissements publics" API v1 GeoJSON (`mission_locale_{dep}.json`): one Feature
  per site, `properties` with `id`, `codeInsee`, `dateMiseAJour`, `Nom`, `Adresse` (an object or a list of
  objects; `Ligne` a string or a list; `Localisation` lat/lon/precision; `Accessibilité`), `CoordonnéesNum`,
  `Ouverture` (`PlageJ` day ranges, each with `PlageH` hour ranges, an object or a list).
* `read_donnees_locales(path)` -- the national download "données locales" v4 JSON: `{"service": [...]}` (or
  a bare list, or one record), records with `pivot[]`, `adresse[]`, `telephone[]`, `adresse_courriel[]`,
  `site_internet[]`, `plage_ouverture[]`, `date_modification` (`dd/mm/yyyy hh:mm:ss`).
* `read_dataset(path)` -- the online dataset's records ("api-lannuaire-administration", as its records API
  returns them: `{"results": [...]}` or a list), the same fields as v4 but the nested ones (`adresse`,
  `pivot`, `telephone`, `plage_ouverture`, `site_internet`, and `adresse_courriel` when a list) arrive as
  JSON-encoded strings; `adresse_courriel` may be a plain string; `pivot[].code_insee_commune` may be a list.

`read_directory(path)` recognises the format. Every reader keeps only records of `service_type`
(`mission_locale` unless the caller says otherwise) whose commune is in `departments` (the region's by
default; the commune is the record's INSEE code, else the postcode's department).

Lines: JSON has no line per record, so an error's line is the line of the file where the record's `id`
appears (the record's first line when that is not found), or the line JSON's decoder reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from geosvc.network import (
    INSEE_RE,
    ISO_DATE_RE,
    REGION_DEPARTMENTS,
    SourceError,
    department_of,
    fold,
    read_text,
    warning,
)
from geosvc.network.hours import build_hours

FORMAT_V1 = "annuaire v1 GeoJSON"
FORMAT_V4 = "données locales v4 JSON"
FORMAT_DATASET = "api-lannuaire-administration dataset records"
DEFAULT_SERVICE_TYPE = "mission_locale"
_POSTAL_LINE_RE = re.compile(r"^(bp|cs|tsa|cedex)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DirectoryRecord:
    id: str
    name: str
    insee: str | None
    address_lines: tuple[str, ...]  # as the source gives them, in its order (postal lines such as BP included)
    postcode: str | None  # as the source gives it: sometimes a CEDEX code
    city: str | None  # as the source gives it: sometimes "... Cedex"
    lon: float | None
    lat: float | None
    coord_precision: str | None  # the source's own precision code (v1 `Localisation/Précision`), else None
    phone: str | None
    email: str | None
    website: str | None
    hours: dict | None  # shape: geosvc.network.hours
    accessibility: str | None  # `ACC` (accessible), `NAC` (not accessible)... as given
    accessibility_note: str | None
    record_date: str | None  # ISO date of the record's last update
    source: str  # "<folder>/<file> (<format>)"

    @property
    def street_lines(self) -> tuple[str, ...]:
        """Address lines without the postal ones (BP, CS, TSA, CEDEX): where the site is."""
        return tuple(line for line in self.address_lines if not _POSTAL_LINE_RE.match(line.strip()))

    @property
    def year(self) -> str | None:
        return self.record_date[:4] if self.record_date else None


@dataclass
class DirectoryLoad:
    records: list[DirectoryRecord]
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # records of another type or outside the departments


def source_label(path: str | Path, format_name: str) -> str:
    path = Path(path)
    return f"{path.parent.name}/{path.name} ({format_name})" if path.parent.name else f"{path.name} ({format_name})"


# ---------------------------------------------------------------------------------------------------- helpers


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    """A scalar or the first non-empty element of a list, as stripped text; None when empty."""
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("valeur", item.get("$t", item.get("value")))
        if item is None:
            continue
        text = " ".join(str(item).split())
        if text:
            return text
    return None


def _load_json(path: str | Path) -> tuple[str, Any]:
    text = read_text(path)
    if not text.strip():
        raise SourceError(str(path), 1, None, "empty file")
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(str(path), exc.lineno, None, f"not JSON: {exc.msg}") from exc


class _Lines:
    """Line numbers of records in a JSON text (where their id first appears)."""

    def __init__(self, text: str):
        self.text = text

    def of(self, key: str | None, default: int = 1) -> int:
        if key:
            at = self.text.find(json.dumps(key, ensure_ascii=False)[1:-1])
            if at < 0:
                at = self.text.find(json.dumps(key)[1:-1])
            if at >= 0:
                return self.text.count("\n", 0, at) + 1
        return default


def _coordinate(file: str, line: int, name: str, value: Any, low: float, high: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError as exc:
        raise SourceError(file, line, name, f"not a number: {value!r}") from exc
    if not low <= number <= high:
        raise SourceError(file, line, name, f"{number} is out of range [{low}, {high}]")
    return number


def _insee(file: str, line: int, name: str, value: Any) -> str | None:
    code = _text(value)
    if code is None:
        return None
    if not INSEE_RE.match(code):
        raise SourceError(file, line, name, f"not an INSEE commune code: {code!r}")
    return code


def _in_departments(insee: str | None, postcode: str | None, departments: set[str] | None) -> bool:
    if departments is None:
        return True
    if insee:
        return department_of(insee) in departments
    if postcode:
        return (postcode[:3] if postcode.startswith("97") else postcode[:2]) in departments
    return False


# --------------------------------------------------------------------------------------------------- v1 GeoJSON


def read_v1(path: str | Path, departments: Iterable[str] | None = REGION_DEPARTMENTS,
            service_type: str = DEFAULT_SERVICE_TYPE) -> DirectoryLoad:
    """Read one v1 GeoJSON file (a FeatureCollection, or a list of Features)."""
    file = str(path)
    text, data = _load_json(path)
    lines = _Lines(text)
    features = data.get("features") if isinstance(data, dict) else data
    if not isinstance(features, list):
        raise SourceError(file, 1, "features", "not a FeatureCollection")
    keep = None if departments is None else set(departments)
    load = DirectoryLoad([])
    label = source_label(path, FORMAT_V1)
    for position, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise SourceError(file, lines.of(None), f"features[{position}].properties", "missing")
        record_id = _text(props.get("id"))
        line = lines.of(record_id)
        if not record_id:
            raise SourceError(file, line, f"features[{position}].id", "missing")
        pivot = _text(props.get("pivotLocal"))
        if pivot and pivot != service_type:
            load.skipped += 1
            continue
        record = _v1_record(file, line, label, record_id, props, feature.get("geometry"), load.warnings)
        if not _in_departments(record.insee, record.postcode, keep):
            load.skipped += 1
            continue
        load.records.append(record)
    return load


def _v1_address(addresses: list) -> dict:
    for address in addresses:
        if isinstance(address, dict) and fold(address.get("type")) == "geopostale":
            return address
    return next((a for a in addresses if isinstance(a, dict)), {})


def _v1_record(file: str, line: int, label: str, record_id: str, props: dict, geometry: Any,
               warnings: list[str]) -> DirectoryRecord:
    address = _v1_address(_as_list(props.get("Adresse")))
    lines = tuple(" ".join(str(x).split()) for x in _as_list(address.get("Ligne")) if str(x).strip())
    where = address.get("Localisation") or {}
    if isinstance(where, list):
        where = where[0] if where else {}
    lat = _coordinate(file, line, "Adresse.Localisation.Latitude", where.get("Latitude"), -90, 90)
    lon = _coordinate(file, line, "Adresse.Localisation.Longitude", where.get("Longitude"), -180, 180)
    if (lat is None or lon is None) and isinstance(geometry, dict) and geometry.get("type") == "Point":
        coordinates = geometry.get("coordinates") or []
        if len(coordinates) >= 2:
            lon = _coordinate(file, line, "geometry.coordinates[0]", coordinates[0], -180, 180)
            lat = _coordinate(file, line, "geometry.coordinates[1]", coordinates[1], -90, 90)
    elif isinstance(geometry, dict) and len(geometry.get("coordinates") or []) >= 2:
        g_lon, g_lat = (float(v) for v in geometry["coordinates"][:2])
        if abs(g_lon - lon) > 1e-6 or abs(g_lat - lat) > 1e-6:
            warnings.append(warning(file, line, f"{record_id}: geometry ({g_lon}, {g_lat}) differs from "
                                    f"Localisation ({lon}, {lat}); Localisation kept"))
    if (lat is None) != (lon is None):
        raise SourceError(file, line, "Adresse.Localisation", "one coordinate without the other")
    access = _as_list(address.get("Accessibilité"))
    access = access[0] if access and isinstance(access[0], dict) else {}
    contact: dict = {}
    for item in _as_list(props.get("CoordonnéesNum")):
        if isinstance(item, dict):
            for key, value in item.items():
                contact.setdefault(key, value)
    date = _text(props.get("dateMiseAJour"))
    if date and not ISO_DATE_RE.match(date):
        raise SourceError(file, line, "dateMiseAJour", f"not an ISO date: {date!r}")
    try:
        hours = _v1_hours(props.get("Ouverture"))
    except (ValueError, TypeError, KeyError) as exc:
        raise SourceError(file, line, "Ouverture", str(exc)) from exc
    return DirectoryRecord(
        id=record_id,
        name=_text(props.get("Nom")) or "",
        insee=_insee(file, line, "codeInsee", props.get("codeInsee")),
        address_lines=lines,
        postcode=_text(address.get("CodePostal")),
        city=_text(address.get("NomCommune")),
        lon=lon,
        lat=lat,
        coord_precision=_text(where.get("Précision")),
        phone=_text(contact.get("Téléphone")),
        email=_text(contact.get("Email")),
        website=_text(contact.get("Url")),
        hours=hours,
        accessibility=_text(access.get("type")),
        accessibility_note=_text(access.get("$t")),
        record_date=date,
        source=label,
    )


def _v1_hours(opening: Any) -> dict | None:
    ranges, notes = [], []
    for block in _as_list(opening):
        for day_range in _as_list(block.get("PlageJ") if isinstance(block, dict) else None):
            intervals = [(h["début"], h["fin"]) for h in _as_list(day_range.get("PlageH"))]
            ranges.append((day_range["début"], day_range.get("fin"), intervals))
            if _text(day_range.get("Note")):
                notes.append(_text(day_range.get("Note")))
    return build_hours(ranges, notes)


# ------------------------------------------------------------------------------ v4 JSON and the online dataset


def read_donnees_locales(path: str | Path, departments: Iterable[str] | None = REGION_DEPARTMENTS,
                         service_type: str = DEFAULT_SERVICE_TYPE) -> DirectoryLoad:
    """Read the national "données locales" v4 JSON (`{"service": [...]}`, a list, or one record)."""
    text, data = _load_json(path)
    if isinstance(data, dict) and "service" in data:
        records = data["service"]
    elif isinstance(data, dict):
        records = [data]
    else:
        records = data
    return _read_v4_like(path, text, records, departments, service_type, FORMAT_V4, encoded=False)


def read_dataset(path: str | Path, departments: Iterable[str] | None = REGION_DEPARTMENTS,
                 service_type: str = DEFAULT_SERVICE_TYPE) -> DirectoryLoad:
    """Read the online dataset's records (`{"results": [...]}`, a list, or one record)."""
    text, data = _load_json(path)
    if isinstance(data, dict) and "results" in data:
        records = data["results"]
    elif isinstance(data, dict):
        records = [data]
    else:
        records = data
    return _read_v4_like(path, text, records, departments, service_type, FORMAT_DATASET, encoded=True)


def read_directory(path: str | Path, departments: Iterable[str] | None = REGION_DEPARTMENTS,
                   service_type: str = DEFAULT_SERVICE_TYPE) -> DirectoryLoad:
    """Read a directory file in any of the three formats, recognised by its shape."""
    _text_, data = _load_json(path)
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        return read_v1(path, departments, service_type)
    if isinstance(data, dict) and "service" in data:
        return read_donnees_locales(path, departments, service_type)
    records = data.get("results") if isinstance(data, dict) and "results" in data else data
    first = (records[0] if isinstance(records, list) and records else records) or {}
    if isinstance(first, dict) and isinstance(first.get("pivot"), str):
        return read_dataset(path, departments, service_type)
    if isinstance(first, dict) and first.get("type") == "Feature":
        return read_v1(path, departments, service_type)
    return read_donnees_locales(path, departments, service_type)


_ENCODED_FIELDS = ("adresse", "pivot", "telephone", "plage_ouverture", "site_internet", "adresse_courriel",
                   "telecopie")


def _decode(file: str, line: int, record: dict) -> dict:
    """The dataset's JSON-encoded nested fields, decoded (a plain e-mail string stays a string)."""
    out = dict(record)
    for name in _ENCODED_FIELDS:
        value = out.get(name)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                out[name] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise SourceError(file, line, name, f"not JSON-encoded: {exc.msg}") from exc
    return out


def _read_v4_like(path, text, records, departments, service_type, format_name, encoded) -> DirectoryLoad:
    file = str(path)
    if not isinstance(records, list):
        raise SourceError(file, 1, "service", "expected a list of records")
    lines = _Lines(text)
    keep = None if departments is None else set(departments)
    load = DirectoryLoad([])
    label = source_label(path, format_name)
    for position, raw in enumerate(records):
        if not isinstance(raw, dict):
            raise SourceError(file, 1, f"[{position}]", "a record is not an object")
        record_id = _text(raw.get("id"))
        line = lines.of(record_id)
        if not record_id:
            raise SourceError(file, line, f"[{position}].id", "missing")
        record = _decode(file, line, raw) if encoded else raw
        pivots = [p for p in _as_list(record.get("pivot")) if isinstance(p, dict)]
        mine = [p for p in pivots if p.get("type_service_local") == service_type]
        if not mine:
            load.skipped += 1
            continue
        parsed = _v4_record(file, line, label, record_id, record, mine)
        if not _in_departments(parsed.insee, parsed.postcode, keep):
            load.skipped += 1
            continue
        load.records.append(parsed)
    return load


def _v4_date(file: str, line: int, value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError as exc:
        raise SourceError(file, line, "date_modification", f"not a date: {text!r}") from exc


def _v4_record(file: str, line: int, label: str, record_id: str, record: dict, pivots: list) -> DirectoryRecord:
    insee = _insee(file, line, "code_insee_commune", record.get("code_insee_commune"))
    if insee is None:
        codes = sorted({c for p in pivots for c in _as_list(p.get("code_insee_commune")) if c})
        if len(codes) == 1:
            insee = _insee(file, line, "pivot.code_insee_commune", codes[0])
    addresses = [a for a in _as_list(record.get("adresse")) if isinstance(a, dict)]
    address = next((a for a in addresses if fold(a.get("type_adresse")) == "adresse"), addresses[0] if addresses
                   else {})
    parts = ("complement1", "complement2", "numero_voie", "service_distribution")
    lines = tuple(" ".join(str(address.get(p)).split()) for p in parts if str(address.get(p) or "").strip())
    lat = _coordinate(file, line, "adresse.latitude", address.get("latitude"), -90, 90)
    lon = _coordinate(file, line, "adresse.longitude", address.get("longitude"), -180, 180)
    if (lat is None) != (lon is None):
        raise SourceError(file, line, "adresse", "one coordinate without the other")
    try:
        hours = _v4_hours(record.get("plage_ouverture"))
    except (ValueError, TypeError, KeyError) as exc:
        raise SourceError(file, line, "plage_ouverture", str(exc)) from exc
    return DirectoryRecord(
        id=record_id,
        name=_text(record.get("nom")) or "",
        insee=insee,
        address_lines=lines,
        postcode=_text(address.get("code_postal")),
        city=_text(address.get("nom_commune")),
        lon=lon,
        lat=lat,
        coord_precision=None,
        phone=_text(record.get("telephone")),
        email=_text(record.get("adresse_courriel")),
        website=_text(record.get("site_internet")),
        hours=hours,
        accessibility=_text(address.get("accessibilite")),
        accessibility_note=_text(address.get("note_accessibilite")),
        record_date=_v4_date(file, line, record.get("date_modification")),
        source=label,
    )


def _v4_hours(ranges: Any) -> dict | None:
    out, notes = [], []
    for item in _as_list(ranges):
        if not isinstance(item, dict):
            raise ValueError(f"an opening range is not an object: {item!r}")
        intervals = []
        for n in ("1", "2"):
            start, end = item.get(f"valeur_heure_debut_{n}"), item.get(f"valeur_heure_fin_{n}")
            if start or end:
                intervals.append((start, end))
        out.append((item["nom_jour_debut"], item.get("nom_jour_fin"), intervals))
        if _text(item.get("commentaire")):
            notes.append(_text(item.get("commentaire")))
    return build_hours(out, notes)
