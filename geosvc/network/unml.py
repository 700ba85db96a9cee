"""The missions locales' union (UNML) coverage table: which mission locale is competent for each commune.

Read in the union's own national format (`zones_de_couverture_<month>_<year>.csv`): `;`-separated, UTF-8 with
an optional byte-order mark, no quoting, one header line, 13 columns found by their header name (see
`COLUMNS`). The caller names the departments to keep (the region's by default), so the national file loads
as it is, filtered to the region.

`read_zones()` returns a `Zones`: every (commune, mission locale) pair as a `ZoneRow` (a commune may have
several rows: "Commune présente sur plusieurs ML" = `Oui`), and every mission locale as a `MissionLocale`
with its head office of the file's date (address, postcode, town, and the INSEE code of that town).

`display_name` rule (deterministic, documented here; `official_name` is always kept too):

1. drop the `NN-ML ` prefix (`02-ML TERGNIER` -> `TERGNIER`) and a trailing `-SIEGE` ("head office");
2. if the rest, folded (no case, accents, punctuation; `ST`/`STE` read as Saint/Sainte), is the name of the
   commune whose INSEE code is the union's code, that commune's official name is used
   (`02-ML ST QUENTIN` -> `Saint-Quentin`, `59-ML VILLENEUVE D ASCQ` -> `Villeneuve-d'Ascq`);
3. otherwise each word is capitalised, `de du des la le les l' d' en sur sous lès lez et aux au` stay lower
   case (except first), `ST`/`STE` become `Saint`/`Sainte`, words of three letters or fewer that are not
   French words stay upper case (acronyms: `MNO`), and a word spelled like a word of a commune name of the
   file gets that word's accents (`LIEVIN` -> `Liévin`); other accents are not restored;
4. `Mission locale de <name>`; `d'` before a vowel; a name already starting with `du`, `des`, `de l'`, `de la`
   is appended as is (`59-ML DU DOUAISIS` -> `Mission locale du Douaisis`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geosvc.core.records import MissionLocale, ZoneRow
from geosvc.network import INSEE_RE, REGION_DEPARTMENTS, SourceError, fold, read_text, warning

COLUMNS = (
    "Code INSEE", "Nom Commune", "Département Commune", "Région Commune", "Code Région Commune", "Code ML",
    "Nom Officiel ML", "Région ML", "Code Région ML", "Commune présente sur plusieurs ML", "Adresse ML",
    "Code Postal ML", "Ville ML",
)
ML_CODE_RE = INSEE_RE  # the union's codes read like INSEE codes (`59350`); anything else is refused
_DEPARTMENT_RE = re.compile(r"^\s*(.*?)\s*\(\s*(\d[0-9AB]\d?)\s*\)\s*$")
_POSTCODE_RE = re.compile(r"^\d{5}$")
_YES_NO = {"oui": True, "non": False}






@dataclass
class Zones:
    file: str
    rows: list[ZoneRow]
    missions: dict[str, MissionLocale]  # by code, sorted
    warnings: list[str] = field(default_factory=list)

    def missions_of(self, insee: str) -> list[str]:
        """Codes of the missions locales competent for a commune (usually one), sorted."""
        return sorted({row.ml_code for row in self.rows if row.insee == insee})

    def by_commune(self) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {}
        for row in self.rows:
            out.setdefault(row.insee, set()).add(row.ml_code)
        return {insee: sorted(codes) for insee, codes in sorted(out.items())}

    def commune_names(self) -> dict[str, str]:
        return {row.insee: row.commune_name for row in self.rows}

    def communes_of(self, ml_code: str) -> list[str]:
        return sorted({row.insee for row in self.rows if row.ml_code == ml_code})


# Where the union's table lives under a sources folder, as published (its name carries its month).
ZONES_GLOB = "unml/zones_de_couverture_*.csv"


def find_zones_file(sources_dir: str | Path) -> Path:
    """The one union table under sources_dir; a SourceError when there is none, or several."""
    found = sorted(Path(sources_dir).glob(ZONES_GLOB))
    if len(found) != 1:
        names = ", ".join(path.name for path in found) or "none"
        raise SourceError(str(Path(sources_dir) / ZONES_GLOB), None, None,
                          f"expected exactly one zone table, found {names}: keep the one to load")
    return found[0]


def clean_address(text: str) -> str:
    """Stray spaces removed (leading, trailing, doubled); nothing else changed."""
    return " ".join(text.split())


def read_zones(path: str | Path, departments: Iterable[str] | None = REGION_DEPARTMENTS) -> Zones:
    """Read the union's coverage CSV, keeping the communes of `departments` (None keeps every row)."""
    file = str(path)
    text = read_text(path)
    lines = text.split("\n")
    if not text.strip():
        raise SourceError(file, 1, None, "empty file")
    header = [name.strip() for name in lines[0].rstrip("\r").split(";")]
    for name in COLUMNS:
        if name not in header:
            raise SourceError(file, 1, name, "missing column")
    index = {name: header.index(name) for name in COLUMNS}
    keep = None if departments is None else set(departments)
    rows: list[ZoneRow] = []
    warnings: list[str] = []
    heads: dict[str, Counter] = {}
    first_line: dict[str, int] = {}
    towns: dict[tuple[str, str], set[str]] = {}  # (department, folded name) -> INSEE codes, all rows of the file
    for number, raw in enumerate(lines[1:], start=2):
        raw = raw.rstrip("\r")
        if not raw.strip():
            continue
        values = raw.split(";")
        if len(values) != len(header):
            raise SourceError(file, number, "columns", f"{len(values)} fields, the header has {len(header)}")
        value = {name: values[i] for name, i in index.items()}
        insee = value["Code INSEE"].strip()
        if not INSEE_RE.match(insee):
            raise SourceError(file, number, "Code INSEE", f"not an INSEE commune code: {insee!r}")
        match = _DEPARTMENT_RE.match(value["Département Commune"])
        if not match:
            raise SourceError(file, number, "Département Commune",
                              f"expected 'Name(code)': {value['Département Commune']!r}")
        departement = match.group(2)
        if not insee.startswith(departement):
            raise SourceError(file, number, "Département Commune",
                              f"department {departement} does not match INSEE code {insee}")
        commune_name = value["Nom Commune"].strip()
        towns.setdefault((departement, fold(commune_name)), set()).add(insee)
        if keep is not None and departement not in keep:
            continue
        ml_code = value["Code ML"].strip()
        if not ML_CODE_RE.match(ml_code):
            raise SourceError(file, number, "Code ML", f"not a mission locale code: {ml_code!r}")
        multiple = _YES_NO.get(value["Commune présente sur plusieurs ML"].strip().lower())
        if multiple is None:
            raise SourceError(file, number, "Commune présente sur plusieurs ML",
                              f"expected Oui or Non: {value['Commune présente sur plusieurs ML']!r}")
        official = " ".join(value["Nom Officiel ML"].split())
        if not official:
            raise SourceError(file, number, "Nom Officiel ML", "empty")
        postcode = value["Code Postal ML"].strip()
        if postcode and not _POSTCODE_RE.match(postcode):
            raise SourceError(file, number, "Code Postal ML", f"not a postcode: {postcode!r}")
        head = (official, clean_address(value["Adresse ML"]), postcode, " ".join(value["Ville ML"].split()))
        heads.setdefault(ml_code, Counter())[head] += 1
        first_line.setdefault(ml_code, number)
        rows.append(ZoneRow(insee, commune_name, departement, ml_code, multiple, number))
    if not any(x.strip() for x in lines[1:]):
        raise SourceError(file, 2, None, "empty file: a header and no rows")
    if not rows:
        warnings.append(warning(file, None, f"no commune of departments {sorted(keep or [])} in the file"))
    warnings.extend(_check_rows(file, rows))
    names = {row.insee: row.commune_name for row in rows}
    vocabulary = _accent_vocabulary(names.values())
    missions: dict[str, MissionLocale] = {}
    for code in sorted(heads):
        counts = heads[code]
        (official, address, postcode, city), _n = sorted(counts.items(), key=lambda kv: -kv[1])[0]
        if len(counts) > 1:
            variants = "; ".join(f"{v[0]} | {v[1]} | {v[2]} {v[3]} ({n} rows)" for v, n in counts.most_common())
            warnings.append(warning(file, first_line[code], f"mission locale {code} has several names or "
                                    f"addresses, the most frequent is kept: {variants}"))
        if not address:
            warnings.append(warning(file, first_line[code], f"mission locale {code} has no head-office address"))
        seat = _find_town(city, postcode, towns)
        if seat is None:
            warnings.append(warning(file, first_line[code], f"mission locale {code}: head-office town {city!r} "
                                    f"({postcode}) is not a commune of the file (or is ambiguous)"))
        missions[code] = MissionLocale(code, official, display_name(official, names.get(code), vocabulary),
                                       address, postcode, city, seat)
    return Zones(file, rows, missions, warnings)


def _check_rows(file: str, rows: list[ZoneRow]) -> list[str]:
    out = []
    seen: dict[tuple[str, str], int] = {}
    per_commune: dict[str, list[ZoneRow]] = {}
    for row in rows:
        key = (row.insee, row.ml_code)
        if key in seen:
            out.append(warning(file, row.line, f"commune {row.insee} -> {row.ml_code} repeats line {seen[key]}"))
        else:
            seen[key] = row.line
        per_commune.setdefault(row.insee, []).append(row)
    for insee, group in per_commune.items():
        codes = {row.ml_code for row in group}
        if len(codes) > 1 and not all(row.multiple for row in group):
            out.append(warning(file, group[0].line, f"commune {insee} has {len(codes)} missions locales but is not "
                               "marked 'Commune présente sur plusieurs ML' = Oui on every row"))
    return out


def _find_town(city: str, postcode: str, towns: Mapping[tuple[str, str], set[str]]) -> str | None:
    """INSEE code of a head office's town: its folded name among the communes of its postcode's department."""
    if not city or not postcode:
        return None
    departement = postcode[:3] if postcode.startswith("97") else postcode[:2]
    departements = ("2A", "2B") if departement == "20" else (departement,)  # Corsica's postcodes start with 20
    wanted = _fold_saints(city)
    codes: set[str] = set()
    for (dep, name), found in towns.items():
        if dep in departements and _fold_saints(name) == wanted:
            codes |= found
    return next(iter(codes)) if len(codes) == 1 else None


_SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "l", "d", "en", "sur", "sous", "lez", "et", "aux",
                "au", "a"}
_SHORT_FRENCH = {"sud", "est", "nord", "val", "mer", "bas", "sec", "lys", "aa", "pre", "bois", "mont", "st",
                 "ste", "roi", "ham", "bus"}
_VOWELS = set("aeiouy")


def _fold_saints(text: str) -> str:
    words = fold(text).split()
    return " ".join({"st": "saint", "ste": "sainte"}.get(w, w) for w in words)


def _accent_vocabulary(names: Iterable[str]) -> dict[str, str]:
    """Folded word -> its accented spelling in the commune names (only words with one spelling)."""
    spellings: dict[str, set[str]] = {}
    for name in names:
        for word in re.split(r"[\s\-']+", name):
            if word and fold(word) != word.lower():
                spellings.setdefault(fold(word), set()).add(word.lower())
    return {folded: next(iter(s)) for folded, s in spellings.items() if len(s) == 1}


def display_name(official: str, seat_commune_name: str | None = None,
                 vocabulary: Mapping[str, str] | None = None) -> str:
    """`02-ML TERGNIER` -> `Mission locale de Tergnier` (rule in the module docstring)."""
    rest = re.sub(r"^\s*\d[0-9AB]\d?\s*-\s*ML\b\s*", "", official, flags=re.IGNORECASE).strip()
    rest = re.sub(r"\s*-\s*SIEGE\s*$", "", rest, flags=re.IGNORECASE).strip() or official.strip()
    if seat_commune_name and _fold_saints(rest) == _fold_saints(seat_commune_name):
        name = seat_commune_name
    else:
        name = _title(rest, vocabulary or {})
    folded = fold(name)
    if folded.startswith(("du ", "des ", "de l ", "de la ")):
        return f"Mission locale {name[:1].lower()}{name[1:]}"
    if folded[:1] in _VOWELS:
        return f"Mission locale d'{name}"
    return f"Mission locale de {name}"


def _title(text: str, vocabulary: Mapping[str, str]) -> str:
    tokens = re.split(r"(\s+|-|')", text)
    out = []
    first = True
    for token in tokens:
        if not token or token.isspace() or token in "-'":
            out.append(" " if token and token.isspace() else token)
            continue
        folded = fold(token)
        if folded == "st":
            word = "Saint"
        elif folded == "ste":
            word = "Sainte"
        elif folded in _SMALL_WORDS and not first:
            word = folded
        elif len(folded) <= 3 and folded not in _SMALL_WORDS and folded not in _SHORT_FRENCH:
            word = token.upper()
        else:
            word = vocabulary.get(folded, folded)
            word = word[:1].upper() + word[1:]
        out.append(word)
        first = False
    return "".join(out)
