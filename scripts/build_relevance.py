"""Build tests/relevance/generated.csv: queries of the new kinds, made from the data by fixed rules.

The expectations must not come from the code under test, so this script imports nothing from
geosvc: it has its own folding (`_fold`, `_compact`), its own sound-preserving respellings, and
uses plain Levenshtein distances (RapidFuzz) only to drop ambiguous queries. Every query is made
from one commune (its expected answer) or, for `outside`, from a commune outside the region;
`nothing` rows are gibberish made by a seeded generator. Hand-written rows live in
tests/relevance/handwritten.csv. Rules, per category: tests/relevance/README.md.

    .venv/bin/python scripts/build_relevance.py      # rewrites tests/relevance/generated.csv

Seeded (random.Random(2026)): the same data gives the same file.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TARGET = ROOT / "tests" / "relevance" / "generated.csv"
REGION = ("02", "59", "60", "62", "80")
DEPARTEMENT_NAMES = {"02": "Aisne", "59": "Nord", "60": "Oise", "62": "Pas-de-Calais", "80": "Somme"}
SEED = 2026

# --- the builder's own folding (independent of geosvc.core.textnorm) ---------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _compact(text: str) -> str:
    words = _fold(text).split()
    if len(words) > 1 and words[0] in ("le", "la", "les", "l"):
        words = words[1:]
    return "".join(words)


# --- sound-preserving respellings, as people write a name they have only heard ----------------
# (pattern on the folded, spaced name, replacement); one occurrence is rewritten per rule used.
BY_EAR = [
    (r"([bcdfglmnprst])\1", r"\1"),          # doubled consonant written once: abbeville -> abeville
    (r"eau", "o"), (r"au", "o"),              # eau / au -> o
    (r"ph", "f"),
    (r"qu", "k"), (r"c(?=[aou])", "k"), (r"ck", "k"), (r"cq", "k"),
    (r"c(?=[ei])", "s"),                      # soft c
    (r"(?<=[a-z])[stxd](?= |$)", ""),         # silent final s/t/x/d dropped
    (r"(?<=[a-z]{3})e(?= |$)", ""),           # silent final e dropped
    (r"ai", "e"), (r"ei", "e"), (r"e(?=[tr] |[tr]$)", "ai"),
    (r"y", "i"),
    (r"^h", ""), (r"(?<=t)h", ""),           # initial h, th
    (r"gn", "ni"),
    (r"en(?=[bcdfgjklmpqrstvwxz])", "an"), (r"an(?=[bcdfgjklmpqrstvwxz])", "en"),
    (r"ou", "oo"),
]
KEYBOARD = {  # AZERTY neighbours, for slips
    "a": "zqs", "z": "aeqs", "e": "zrsd", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj", "i": "uojk",
    "o": "iplk", "p": "olm", "q": "azsw", "s": "qzedxw", "d": "serfcx", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "j": "huikn", "k": "jiol", "l": "kopm", "m": "lp", "w": "qsx", "x": "wsdc", "c": "xdfv",
    "v": "cfgb", "b": "vghn", "n": "bhj",
}


def respell(name: str, rng: random.Random, rules: int) -> str | None:
    text = _fold(name)
    applicable = [rule for rule in BY_EAR if re.search(rule[0], text)]
    if len(applicable) < rules:
        return None
    for pattern, replacement in rng.sample(applicable, rules):
        matches = list(re.finditer(pattern, text))
        if not matches:
            continue
        match = rng.choice(matches)
        text = text[:match.start()] + match.expand(replacement) + text[match.end():]
    return text


def slip(text: str, rng: random.Random) -> str:
    """One keyboard slip: a neighbour key, a dropped, doubled or swapped letter."""
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    i = rng.choice(positions[1:] if len(positions) > 1 else positions)
    kind = rng.choice(("neighbour", "drop", "double", "swap"))
    if kind == "neighbour" and text[i] in KEYBOARD:
        return text[:i] + rng.choice(KEYBOARD[text[i]]) + text[i + 1:]
    if kind == "drop":
        return text[:i] + text[i + 1:]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    if i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + text[i + 1:]


# --- data ----------------------------------------------------------------------------------------

def load_region() -> list[dict]:
    features = json.loads((DATA / "communes.geojson").read_text(encoding="utf-8"))["features"]
    return [feature["properties"] for feature in features]


def load_former() -> list[dict]:
    with (DATA / "communes_anciennes.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def load_france() -> list[dict]:
    with (DATA / "france_communes.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


class Builder:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.region = load_region()
        self.by_code = {c["code"]: c for c in self.region}
        self.france = [c for c in load_france() if c["departement"] not in REGION]
        # every name a query could be meant for: current and former names of the region
        self.region_names: list[tuple[str, str]] = [(_compact(c["nom"]), c["code"]) for c in self.region]
        self.region_names += [(_compact(f["nom"]), f["code_actuel"]) for f in load_former() if f["nom"]]
        self.region_keys = {key for key, _ in self.region_names}
        self.france_keys = {_compact(c["nom"]) for c in self.france}
        self.rows: list[tuple[str, str, str, str]] = []
        self.seen: set[tuple[str, str]] = set()

    def add(self, category: str, query: str, expected: list[str] | str, note: str) -> bool:
        expected = "|".join(expected) if isinstance(expected, list) else expected
        if (category, query) in self.seen:
            return False
        self.seen.add((category, query))
        self.rows.append((category, query, expected, note))
        return True

    def unambiguous(self, query: str, code: str) -> bool:
        """The query's name is strictly closer (Levenshtein, compact forms) to the commune it was made
        from than to any other current or former name of the region, and is no commune's exact name
        elsewhere in France."""
        key = _compact(query)
        if key in self.france_keys or (key in self.region_keys and key not in self._keys_of(code)):
            return False
        own = min(Levenshtein.distance(key, k) for k in self._keys_of(code))
        return all(Levenshtein.distance(key, k, score_cutoff=own) > own
                   for k, other in self.region_names if other != code)

    def _keys_of(self, code: str) -> set[str]:
        return {key for key, owner in self.region_names if owner == code}

    def sample(self, population_at_least: int, count: int, where=lambda c: True) -> list[dict]:
        pool = [c for c in self.region if (c["population"] or 0) >= population_at_least and where(c)]
        return self.rng.sample(pool, min(count, len(pool)))

    # --- categories --------------------------------------------------------------------------

    def by_ear(self, count: int, category: str = "by_ear") -> None:
        made = 0
        candidates = self.sample(3000, 10_000) + self.sample(0, 10_000)
        for commune in candidates:
            if made >= count:
                break
            query = respell(commune["nom"], self.rng, self.rng.choice((1, 2, 2)))
            if not query or _compact(query) == _compact(commune["nom"]) or len(_compact(query)) < 4:
                continue
            if self.unambiguous(query, commune["code"]) and self.add(category, query, commune["code"], commune["nom"]):
                made += 1

    def autocomplete_by_ear(self, count: int) -> None:
        """A respelled name cut after the respelling, at 5 letters or more (autocomplete, recall@5)."""
        made = 0
        for commune in self.sample(2000, 10_000):
            if made >= count:
                break
            query = respell(commune["nom"], self.rng, 1)
            if not query or _compact(query) == _compact(commune["nom"]):
                continue
            folded = _fold(commune["nom"])
            cut = next((i for i, (a, b) in enumerate(zip(query, folded, strict=False)) if a != b), len(query))
            query = query[:max(cut + 2, 5)]
            if len(_compact(query)) < 5 or not self.unambiguous_prefix(query, commune["code"]):
                continue
            if self.add("ac_by_ear", query, commune["code"], commune["nom"]):
                made += 1

    def unambiguous_prefix(self, query: str, code: str) -> bool:
        """At most 4 names of the region begin like the commune's own name, cut at the query's length
        (recall@5 then measures the tolerance, not a lottery among many equal beginnings)."""
        key = _compact(query)
        own = _compact(self.by_code[code]["nom"])[:len(key)]
        same = {other for k, other in self.region_names if k[:len(key)] == own}
        others = [k[:len(key)] for k, other in self.region_names if other != code]
        return len(same) <= 4 and key not in others and key not in self.france_keys

    def autocomplete_slip(self, count: int) -> None:
        made = 0
        for commune in self.sample(2000, 10_000, lambda c: len(_compact(c["nom"])) >= 8):
            if made >= count:
                break
            cut = self.rng.choice((5, 6, 7))
            query = slip(_fold(commune["nom"])[:cut], self.rng)
            if len(_compact(query)) < 5 or not self.unambiguous_prefix(query, commune["code"]):
                continue
            if self.add("ac_slip", query, commune["code"], commune["nom"]):
                made += 1

    def typo2(self, count: int) -> None:
        made = 0
        for commune in self.sample(1000, 10_000, lambda c: len(_compact(c["nom"])) >= 10):
            if made >= count:
                break
            query = slip(slip(_fold(commune["nom"]), self.rng), self.rng)
            if self.unambiguous(query, commune["code"]) and self.add("typo2", query, commune["code"], commune["nom"]):
                made += 1

    def joined(self, count: int) -> None:
        made = 0
        for commune in self.sample(500, 10_000, lambda c: len(_fold(c["nom"]).split()) >= 2):
            if made >= count:
                break
            words = _fold(commune["nom"]).split()
            query = "".join(words) if self.rng.random() < 0.5 else " ".join(words[:-2] + ["".join(words[-2:])])
            if self.unambiguous(query, commune["code"]) and self.add("joined", query, commune["code"], commune["nom"]):
                made += 1

    def sur(self, count: int) -> None:
        forms = ["{a}-s/-{b}", "{a} s/ {b}", "{a}/{b}", "{a} s/{b}", "{a} sr {b}", "{a}-s/{b}", "{A} S/ {B}"]
        made = 0
        pool = self.sample(0, 10_000, lambda c: "-sur-" in c["nom"])
        for commune in pool:
            if made >= count:
                break
            a, b = commune["nom"].split("-sur-", 1)
            form = forms[made % len(forms)]
            if self.rng.random() < 0.5:
                a, b = _fold(a), _fold(b)
            query = form.format(a=a, b=b, A=a.upper(), B=b.upper())
            if self.add("sur", query, commune["code"], commune["nom"]):
                made += 1

    def postcode_name(self, count: int) -> None:
        forms = ["{name} {cp}", "{cp} {name}", "{name} ({cp})", "{name}, {cp}", "{cp}  {name}", "{name} - {cp}"]
        homonym_keys = self._homonym_keys()
        made = 0
        # homonyms and large towns first (where a postcode is typed to be sure), then any commune
        pool = (self.sample(0, 10_000, lambda c: _compact(c["nom"]) in homonym_keys)[:25]
                + self.sample(10_000, 10_000) + self.sample(0, 10_000))
        for commune in pool:
            if made >= count:
                break
            postcodes = commune["codesPostaux"] or []
            if not postcodes:
                continue
            cp = self.rng.choice(postcodes)
            key = _compact(commune["nom"])
            rivals = [c for c in self.region if c["code"] != commune["code"] and _compact(c["nom"]) == key
                      and cp in (c["codesPostaux"] or [])]
            if rivals:
                continue
            name = commune["nom"] if self.rng.random() < 0.5 else _fold(commune["nom"])
            query = forms[made % len(forms)].format(name=name, cp=cp)
            if self.add("postcode_name", query, commune["code"], f"{commune['nom']} {cp}"):
                made += 1

    def _homonym_keys(self) -> set[str]:
        departements = defaultdict(set)
        for c in self.region:
            departements[_compact(c["nom"])].add(c["departement"])
        return {key for key, deps in departements.items() if len(deps) > 1}

    def homonym_departement(self, count: int) -> None:
        forms = ["{name} {dep}", "{name} ({dep})", "{name} {depname}", "{name}, {depname}", "{dep} {name}",
                 "{name} ({depname})", "{name} {depname_lower}", "({dep}) {name}"]
        by_key = defaultdict(list)
        for c in self.region:
            by_key[_compact(c["nom"])].append(c)
        pairs = []
        for key in sorted(self._homonym_keys()):
            for dep in sorted({c["departement"] for c in by_key[key]}):
                expected = [c["code"] for c in by_key[key] if c["departement"] == dep]
                name = next(c["nom"] for c in by_key[key] if c["departement"] == dep)
                pairs.append((name, dep, expected))
        self.rng.shuffle(pairs)
        for made, (name, dep, expected) in enumerate(pairs[:count]):
            if self.rng.random() < 0.4:
                name = _fold(name)
            query = forms[made % len(forms)].format(name=name, dep=dep, depname=DEPARTEMENT_NAMES[dep],
                                                     depname_lower=_fold(DEPARTEMENT_NAMES[dep]))
            self.add("homonym_dep", query, expected, f"{name} in {dep}")

    def outside(self, count: int) -> None:
        """Names of communes outside the region that no current or former name of the region
        equals or comes within two edits of; as written, folded, or with one slip (from 7 letters)."""
        by_key = defaultdict(list)
        for c in self.france:
            by_key[_compact(c["nom"])].append(c["code"])
        made = 0
        pool = self.rng.sample(self.france, 4000)
        for commune in pool:
            if made >= count:
                break
            key = _compact(commune["nom"])
            if len(key) < 4 or any(Levenshtein.distance(key, k, score_cutoff=2) <= 2 for k in self.region_keys):
                continue
            if any(k.startswith(key) for k in self.region_keys):
                continue  # a beginning of a name of the region: a fair completion
            roll = self.rng.random()
            query = commune["nom"] if roll < 0.4 else _fold(commune["nom"])
            note = commune["nom"]
            if roll > 0.8 and len(key) >= 7:
                query = slip(_fold(commune["nom"]), self.rng)
                if _compact(query) in self.france_keys:
                    continue
                note += " (one slip)"
            if self.add("outside", query, by_key[key], note):
                made += 1

    def gibberish(self, count: int) -> None:
        consonants, vowels = "bcdfghjklmnpqrstvwxz", "aeiouy"
        made = 0
        while made < count:
            length = self.rng.randint(4, 11)
            if self.rng.random() < 0.5:  # pronounceable nonsense
                word = "".join(self.rng.choice(consonants if i % 2 == 0 else vowels) for i in range(length))
            else:  # keyboard mash
                word = "".join(self.rng.choice("azertyuiopqsdfghjklmwxcvbn") for _ in range(length))
            key = _compact(word)
            if key in self.france_keys or any(Levenshtein.distance(key, k, score_cutoff=2) <= 2
                                              for k in self.region_keys) or any(k.startswith(key)
                                                                                 for k in self.region_keys):
                continue
            if self.add("nothing", word, "", "gibberish"):
                made += 1


def main() -> int:
    builder = Builder()
    builder.by_ear(160)
    builder.autocomplete_by_ear(40)
    builder.autocomplete_slip(30)
    builder.typo2(30)
    builder.joined(30)
    builder.sur(50)
    builder.postcode_name(60)
    builder.homonym_departement(60)
    builder.outside(60)
    builder.gibberish(40)
    with TARGET.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(("category", "query", "expected", "note"))
        writer.writerows(builder.rows)
    counts = defaultdict(int)
    for row in builder.rows:
        counts[row[0]] += 1
    print(f"{len(builder.rows)} rows written to {TARGET}: {dict(counts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
