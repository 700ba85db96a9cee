"""Commune search: query checking, the in-memory index, and ranking.

Pure: no database, no Flask. geosvc/search.py builds an `Index` from the database; each worker holds it
in a RefreshingStore (geosvc/db/snapshot.py); the views in geosvc/web/api/search.py present its hits.

Why in memory: 3,782 communes and 193 former names fit in a few megabytes, and the
autocomplete runs on every keystroke; answering without a database round trip keeps
it close to the cost of a constant answer (see README, "Search", for the figures).

Ranking (every hit has a `score`; results are in descending score, then larger
population, then French alphabetical order, then code):

    exact     1.00 / 0.99 / 0.98 / 0.97   same name once folded; the closer the literal spelling
                                          (accents, article, St/Saint), the higher
    former    0.95                        exactly a former name (or code) of the commune
    prefix    0.85 whole words / 0.80     the query begins the name (+0.02 when an article
                                          the user typed begins it too)
    former    0.75                        the query begins a former name
    fuzzy     0.60 (1 edit) / 0.50 (2)    Damerau (OSA) edits on the compact name
    former    0.55 / 0.45                 the same, on a former name
    fuzzy     0.40                        one edit within the name's beginning (a typo mid-word)
    postcode  1.00 / 0.80                 a full postcode / the beginning of one

Typos (fuzzy) are only looked for when no current or former name equals or begins
with the query (in the department asked for): they never push out a stronger match,
and cost nothing on well-typed queries. The one-edit-within-the-beginning search
("dunkerk" for Dunkerque) runs only when even a whole-name typo finds nothing.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby

from rapidfuzz import process
from rapidfuzz.distance import OSA

from geosvc.core.errors import BadRequest
from geosvc.core.textnorm import compact, compact_with_article, fold, literal, normalise_name, sort_key

MATCH_EXACT, MATCH_PREFIX, MATCH_FUZZY, MATCH_POSTCODE, MATCH_FORMER = (
    "exact", "prefix", "fuzzy", "postcode", "former",
)
MATCH_KINDS = (MATCH_EXACT, MATCH_PREFIX, MATCH_FUZZY, MATCH_POSTCODE, MATCH_FORMER)

SCORE_EXACT = (1.0, 0.99, 0.98, 0.97)  # literal, folded, with article, article dropped or added
SCORE_FORMER_EXACT = 0.95
SCORE_PREFIX_WORDS = 0.85
SCORE_PREFIX = 0.80
BONUS_TYPED_ARTICLE = 0.02
SCORE_FORMER_PREFIX = 0.75
SCORE_FUZZY = {1: 0.60, 2: 0.50}
FORMER_FUZZY_PENALTY = 0.05
SCORE_FUZZY_PREFIX = 0.40
SCORE_POSTCODE = 1.0
SCORE_POSTCODE_PREFIX = 0.80

# Below 4 characters one edit reaches dozens of unrelated names; from 8, two edits.
FUZZY_MIN_CHARS = 4
FUZZY_TWO_EDITS_FROM = 8
FUZZY_PREFIX_MIN_CHARS = 5
# A prefix needs this many characters; a single character only finds a name of one
# letter (the region has one: Y, in the Somme).
PREFIX_MIN_CHARS = 2

DEPARTEMENT_SUFFIX = re.compile(r"^(?P<text>.*?\S)\s*\(\s*(?P<dep>[0-9]{2}|2[AaBb])\s*\)\s*$")
# every Unicode control character (category Cc) but tab, line feed and carriage return
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# emoji and other symbols, private use, unassigned code points, lone surrogates
SYMBOLS = frozenset({"So", "Co", "Cn", "Cs"})


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Commune:
    code: str
    nom: str
    departement: str
    codes_postaux: tuple[str, ...]
    population: int | None
    label: str
    literal: str
    folded: str  # fold() without spaces: accents and case ignored, article kept
    row: dict  # the database row, for the views' presenters
    order: int  # rank by population (larger first), then French name order, then code


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Name:
    """One searchable name of a commune: its current name, or one of its former ones."""

    commune: Commune
    nom: str
    former: dict | None  # {"code", "nom"} of the former commune, None for the current name
    # offsets in the compact key (article dropped / kept) where a word of the name ends
    word_ends: frozenset[int]
    word_ends_with_article: frozenset[int]

    @classmethod
    def of(cls, commune: Commune, former: dict | None = None) -> Name:
        nom = (former or {}).get("nom") or commune.nom
        return cls(commune, nom, former, _word_ends(normalise_name(nom)), _word_ends(_spaced_with_article(nom)))


@dataclasses.dataclass(frozen=True, slots=True)
class Hit:
    commune: Commune
    score: float
    matched: str
    former: dict | None = None

    def rank(self) -> tuple[float, int]:
        return (-self.score, self.commune.order)


@dataclasses.dataclass(frozen=True, slots=True)
class Query:
    """A checked query: `key` is what is looked up, `kind` how."""

    text: str
    kind: str  # "name", "postcode" (5 digits) or "postcode_prefix" (2-4 digits)
    key: str  # compact(), or the digits
    key_with_article: str
    literal: str
    folded: str
    departement: str | None  # from a trailing "(59)", as in the labels we hand out


def parse_query(text: str) -> Query:
    """Check a query as typed; raise BadRequest (400) for input no commune name can match."""
    if CONTROL_CHARACTERS.search(text):
        raise BadRequest("q contains control characters", code="invalid_query")
    if not text.isascii() and any(unicodedata.category(char) in SYMBOLS for char in text):
        raise BadRequest("q contains emoji or symbols; type a commune name or a postcode", code="invalid_query")
    departement = None
    suffix = DEPARTEMENT_SUFFIX.match(text)
    if suffix:
        text, departement = suffix["text"], suffix["dep"].upper()
    folded = fold(text)
    if not folded:
        raise BadRequest("q must contain letters or digits", code="invalid_query")
    if not folded.isascii():
        raise BadRequest(
            "q must be written in Latin letters (accents are fine); no commune name here uses "
            "another script", code="invalid_query",
        )
    key = compact(text)
    if key.isdigit():
        if len(key) == 5:
            kind = "postcode"
        elif 2 <= len(key) <= 4:
            kind = "postcode_prefix"
        else:
            raise BadRequest("a postcode has 5 digits (2 to 4 find postcodes that begin so)",
                             code="invalid_query")
    else:
        kind = "name"
    return Query(
        text=text, kind=kind, key=key, key_with_article=compact_with_article(text),
        literal=literal(text), folded=folded.replace(" ", ""), departement=departement,
    )


# Prefix classes, best first: whole words of a current name, part of a word, a former name.
_WHOLE_WORDS, _PART_WORD, _FORMER_NAME = 0, 1, 2
# A prefix that begins at least this many names ("sa", "saint") is ranked once, when the
# index is built, rather than on every keystroke.
RANK_AHEAD_FROM = 32


class _Keys:
    """Names under one kind of key: exact lookup, prefix ranges ranked, buckets for fuzzy matching."""

    def __init__(self, entries: Iterable[tuple[str, Name]], *, with_article: bool):
        entries = sorted(entries, key=lambda entry: entry[0])
        self.with_article = with_article
        self.keys = [key for key, _ in entries]
        self.names = [name for _, name in entries]
        self.exact: dict[str, list[Name]] = defaultdict(list)
        self._by_length: dict[int, tuple[list[str], list[Name]]] = {}
        for key, name in entries:
            self.exact[key].append(name)
            keys, names = self._by_length.setdefault(len(key), ([], []))
            keys.append(key)
            names.append(name)
        self._ranked: dict[str, list[tuple[int, Name]]] = {}
        for length in range(1, max(map(len, self.keys), default=0) + 1):
            for prefix, positions in groupby(range(len(self.keys)), key=lambda i, n=length: self.keys[i][:n]):
                positions = list(positions)
                if len(positions) >= RANK_AHEAD_FROM and len(prefix) == length:
                    self._ranked[prefix] = self._rank(prefix, positions)
        self._beginnings: dict[tuple[str, int], tuple[list[str], list[Name]]] = {}

    def _range(self, prefix: str) -> range:
        start = bisect.bisect_left(self.keys, prefix)
        return range(start, bisect.bisect_left(self.keys, prefix + "\x7f", start))  # keys are ASCII

    def _rank(self, prefix: str, positions: Iterable[int]) -> list[tuple[int, Name]]:
        ranked = []
        for position in positions:
            name = self.names[position]
            if name.former is not None:
                kind = _FORMER_NAME
            elif len(prefix) in (name.word_ends_with_article if self.with_article else name.word_ends):
                kind = _WHOLE_WORDS
            else:
                kind = _PART_WORD
            ranked.append((kind, name))
        ranked.sort(key=lambda pair: (pair[0], pair[1].commune.order))
        return ranked

    def ranked_starting_with(self, prefix: str) -> list[tuple[int, Name]]:
        """(prefix class, name) for every name that begins with `prefix`, best first."""
        ranked = self._ranked.get(prefix)
        return ranked if ranked is not None else self._rank(prefix, self._range(prefix))

    def within(self, key: str, edits: int) -> Iterable[tuple[int, Name]]:
        """(distance, name) for every key at most `edits` Damerau (OSA) edits from `key`."""
        for length in range(len(key) - edits, len(key) + edits + 1):
            keys, names = self._by_length.get(length, ((), ()))
            for _, distance, position in process.extract(
                key, keys, scorer=OSA.distance, score_cutoff=edits, limit=None
            ):
                yield distance, names[position]

    def beginning_within_one_edit(self, key: str) -> Iterable[Name]:
        """Names whose first len(key) (+/- 1) characters are one edit from `key`: a typo mid-word.

        Only among names with the same first letter, which keeps it to a few hundred
        comparisons; a wrong first letter is still found once the whole name is typed
        (`within`).
        """
        for length in (len(key) - 1, len(key), len(key) + 1):
            beginnings, names = self._beginnings_of(key[0], length)
            for _, _, position in process.extract(
                key, beginnings, scorer=OSA.distance, score_cutoff=1, limit=None
            ):
                yield names[position]

    def _beginnings_of(self, letter: str, length: int) -> tuple[list[str], list[Name]]:
        # made on first use and kept: the index is replaced, never changed
        if (letter, length) not in self._beginnings:
            positions = [i for i in self._range(letter) if len(self.keys[i]) > length]
            self._beginnings[letter, length] = (
                [self.keys[i][:length] for i in positions], [self.names[i] for i in positions],
            )
        return self._beginnings[letter, length]


def _word_ends(spaced: str) -> frozenset[int]:
    """Offsets in the compact form of `spaced` (words separated by spaces) where a word ends."""
    ends, offset = set(), 0
    for word in spaced.split(" "):
        offset += len(word)
        ends.add(offset)
    return frozenset(ends)


class Index:
    """Every current and former name of the region's communes, ready to search."""

    def __init__(self, communes: list[dict], former: list[dict], *, data: list[dict] | None = None):
        self.data = data or []  # the `datasets` rows of what is indexed: the answers' `data` block
        self.communes = _communes(communes)
        by_code = {commune.code: commune for commune in self.communes}
        names = [Name.of(commune) for commune in self.communes]
        self.former_codes: dict[str, list[Name]] = defaultdict(list)
        for row in former:
            commune = by_code.get(row["code_actuel"])
            if commune is None:
                continue
            name = Name.of(commune, {"code": row["code"], "nom": row["nom"]})
            self.former_codes[row["code"]].append(name)
            # A commune déléguée named like its commune nouvelle adds nothing to find.
            if row["nom"] and compact(row["nom"]) != compact(commune.nom):
                names.append(name)
        self.keys = _Keys(((compact(name.nom), name) for name in names), with_article=False)
        # only the names with a leading article: for the other ones both keys are equal
        self.keys_with_article = _Keys(
            ((compact_with_article(name.nom), name) for name in names
             if compact_with_article(name.nom) != compact(name.nom)),
            with_article=True,
        )
        self.postcodes: dict[str, list[Commune]] = defaultdict(list)
        for commune in self.communes:
            for postcode in commune.codes_postaux:
                self.postcodes[postcode].append(commune)
        self._postcode_list = sorted(self.postcodes)

    def search(self, query: Query, *, limit: int, departement: str | None = None) -> list[Hit]:
        """The best hits, best first; a full postcode returns all its communes even beyond `limit`."""
        departement = departement or query.departement
        hits = _Hits(departement)
        if query.kind == "postcode":
            for commune in self.postcodes.get(query.key, ()):
                hits.add(commune, SCORE_POSTCODE, MATCH_POSTCODE)
            limit = max(limit, len(hits))
            for name in self.former_codes.get(query.key, ()):
                hits.add(name.commune, SCORE_FORMER_EXACT, MATCH_FORMER, name.former)
        elif query.kind == "postcode_prefix":
            # "62" begins the postcodes of ~900 communes, all equally good: only the best
            # `limit` of them by population become hits
            start = bisect.bisect_left(self._postcode_list, query.key)
            end = bisect.bisect_left(self._postcode_list, query.key + "\x7f")
            communes = {c for postcode in self._postcode_list[start:end] for c in self.postcodes[postcode]
                        if hits.accepts(c)}
            for commune in heapq.nsmallest(limit, communes, key=_order):
                hits.add(commune, SCORE_POSTCODE_PREFIX, MATCH_POSTCODE)
        else:
            self._search_names(query, hits, limit)
        return hits.best(limit)

    def _search_names(self, query: Query, hits: _Hits, limit: int) -> None:
        for key in {query.key, query.key_with_article}:
            for keys in (self.keys, self.keys_with_article):
                for name in keys.exact.get(key, ()):
                    if name.former is None:
                        hits.add(name.commune, _exact_score(query, name.commune), MATCH_EXACT)
                    else:
                        hits.add(name.commune, SCORE_FORMER_EXACT, MATCH_FORMER, name.former)
        typed_article = query.key_with_article != query.key
        # "le q": the article is what the user typed beyond one letter
        for key in {k for k in (query.key, query.key_with_article) if len(k) >= PREFIX_MIN_CHARS}:
            for keys in (self.keys, self.keys_with_article):
                # the article the user typed begins the name too: closer than "Labourse" for "la b"
                typed = typed_article and keys.with_article and key == query.key_with_article
                bonus = BONUS_TYPED_ARTICLE if typed else 0.0
                # names come best first: once `limit` communes are taken, the rest of this
                # pass ranks below all of them
                taken: set[str] = set()
                for kind, name in keys.ranked_starting_with(key):
                    if not hits.accepts(name.commune):
                        continue
                    if kind == _FORMER_NAME:
                        hits.add(name.commune, SCORE_FORMER_PREFIX, MATCH_FORMER, name.former)
                    else:
                        score = SCORE_PREFIX_WORDS if kind == _WHOLE_WORDS else SCORE_PREFIX
                        hits.add(name.commune, score + bonus, MATCH_PREFIX)
                    taken.add(name.commune.code)
                    if len(taken) >= limit:
                        break
        # Typos only when no name equals or begins with the query: a typo search then
        # would only add worse matches below them, and cost time on every keystroke.
        if hits or len(query.key) < FUZZY_MIN_CHARS:
            return
        edits = 2 if len(query.key) >= FUZZY_TWO_EDITS_FROM else 1
        for distance, name in self.keys.within(query.key, edits):
            if distance == 0:
                continue  # the exact match, already seen (and outside the department asked for)
            if name.former is None:
                hits.add(name.commune, SCORE_FUZZY[distance], MATCH_FUZZY)
            else:
                hits.add(name.commune, SCORE_FUZZY[distance] - FORMER_FUZZY_PENALTY, MATCH_FORMER, name.former)
        if not hits and len(query.key) >= FUZZY_PREFIX_MIN_CHARS:
            for name in self.keys.beginning_within_one_edit(query.key):
                hits.add(name.commune, SCORE_FUZZY_PREFIX, MATCH_FORMER if name.former else MATCH_FUZZY, name.former)


class _Hits:
    """The best hit per commune, within the department asked for."""

    def __init__(self, departement: str | None):
        self.departement = departement
        self._best: dict[str, Hit] = {}

    def accepts(self, commune: Commune) -> bool:
        return self.departement is None or commune.departement == self.departement

    def add(self, commune: Commune, score: float, matched: str, former: dict | None = None) -> None:
        if not self.accepts(commune):
            return
        known = self._best.get(commune.code)
        if known is None or score > known.score:
            self._best[commune.code] = Hit(commune, round(score, 4), matched, former)

    def __len__(self) -> int:
        return len(self._best)

    def best(self, limit: int) -> list[Hit]:
        return sorted(self._best.values(), key=Hit.rank)[:limit]


def _order(commune: Commune) -> int:
    return commune.order


def _spaced_with_article(text: str) -> str:
    return " ".join(compact_with_article(word) for word in fold(text).split())


def _exact_score(query: Query, commune: Commune) -> float:
    if query.literal == commune.literal:
        return SCORE_EXACT[0]
    if query.folded == commune.folded:
        return SCORE_EXACT[1]
    if query.key_with_article == compact_with_article(commune.nom):
        return SCORE_EXACT[2]
    return SCORE_EXACT[3]


def _communes(rows: list[dict]) -> list[Commune]:
    """Commune records with their label and their rank among equally good hits."""
    homonyms = defaultdict(set)
    for row in rows:
        homonyms[compact(row["nom"])].add(row["code"])
    ordered = sorted(rows, key=lambda row: (-(row["population"] or 0), sort_key(row["nom"]), row["code"]))
    order = {row["code"]: position for position, row in enumerate(ordered)}
    return [
        Commune(
            code=row["code"], nom=row["nom"], departement=row["departement"],
            codes_postaux=tuple(row["codes_postaux"] or ()), population=row["population"],
            label=label(row["nom"], row["departement"], len(homonyms[compact(row["nom"])]) > 1),
            literal=literal(row["nom"]), folded=fold(row["nom"]).replace(" ", ""),
            row=row, order=order[row["code"]],
        )
        for row in rows
    ]


def label(nom: str, departement: str, homonym: bool) -> str:
    """'Brie (02)' for a name that two or more communes share once normalised, else the name."""
    return f"{nom} ({departement})" if homonym else nom
