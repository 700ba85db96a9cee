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
    sound     0.70 + population           sounds like the name (textnorm.sound): "abevile"
    fuzzy     0.60 / 0.55 / 0.50 + pop.   cost 1 / 1.5 / 2: the smaller of the Damerau (OSA) edits
                                          on the compact name and 0.5 + the edits on its sound
    former    the same, 0.05 less         on a former name
    fuzzy     0.40                        one edit within the name's beginning (a typo mid-word)
    sound     0.40                        sounds like the name's beginning (autocomplete: "azebrou")
    postcode  1.00 / 0.80                 a full postcode / the beginning of one

"+ population": up to 0.06 (log10 of the population / 100), so that between two equally
close sound-alikes or typos the town people live in comes first.

Typos and sound-alikes are only looked for when no current or former name equals or begins
with the query (in the department asked for): they never push out a stronger match, and
cost nothing on well-typed queries. The beginning searches run only when even a whole-name
typo finds nothing.

Query understanding (parse_query): "s/", "/" and "sr" read as "sur"; a postcode, a department
number ("02", "(80)") or a region's department name ("somme", "pas de calais") at either end
narrows the answer; when the narrowed search finds nothing, the query is searched as typed.
Outside the region (`Outside`): a query that is the name of another commune of metropolitan
France, or closer to one than to any commune of the region, gets no commune and a hint.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import heapq
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import groupby

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from geosvc.core.errors import BadRequest
from geosvc.core.textnorm import (
    compact,
    compact_forms,
    compact_with_article,
    fold,
    literal,
    name_forms,
    normalise_name,
    sort_key,
    sound,
    sound_of_beginning,
)

MATCH_EXACT, MATCH_PREFIX, MATCH_FUZZY, MATCH_POSTCODE, MATCH_FORMER, MATCH_SOUND = (
    "exact", "prefix", "fuzzy", "postcode", "former", "sound",
)
MATCH_KINDS = (MATCH_EXACT, MATCH_PREFIX, MATCH_FUZZY, MATCH_POSTCODE, MATCH_FORMER, MATCH_SOUND)

SCORE_EXACT = (1.0, 0.99, 0.98, 0.97)  # literal, folded, with article, article dropped or added
SCORE_FORMER_EXACT = 0.95
SCORE_PREFIX_WORDS = 0.85
SCORE_PREFIX = 0.80
BONUS_TYPED_ARTICLE = 0.02
SCORE_FORMER_PREFIX = 0.75
SCORE_SOUND = 0.82  # above a mid-word prefix: "gauchi" is Gauchy before Gauchin-Légal
SCORE_SOUND_TYPING = 0.70  # below every prefix while the name is being typed ("bailleu")
SCORE_FUZZY = {1.0: 0.60, 1.5: 0.55, 2.0: 0.50}
FORMER_FUZZY_PENALTY = 0.05
SCORE_FUZZY_PREFIX = 0.40
SCORE_SOUND_PREFIX = 0.40
POPULATION_BONUS = 0.06  # at most, for a commune of a million; log-scaled
# cost of a sound-alike: half an edit, plus the edits between the sounds
SOUND_COST = 0.5
SCORE_POSTCODE = 1.0
SCORE_POSTCODE_PREFIX = 0.80

# Below 4 characters one edit reaches dozens of unrelated names; from 8, two edits.
FUZZY_MIN_CHARS = 4
FUZZY_TWO_EDITS_FROM = 8
FUZZY_PREFIX_MIN_CHARS = 5
# a word being typed this long may be another name's, as typed, rather than a slip in ours
SLIP_WORD_MIN_CHARS = 4
# a sound key this short ("lA", "dU") is shared by too many words to mean a commune
SOUND_MIN_CHARS = 3
SOUND_PREFIX_MIN_CHARS = 5  # of the sure beginning (sound_of_beginning)
SOUND_PREFIX_SHARE = 0.55  # ... which must be at least this share of the name's sound
# A substitution of two letters that are neither neighbours on a French (AZERTY) keyboard nor
# spellings of one sound is not a slip: it costs this much more (Berlin is not Barlin).
UNLIKELY_SUBSTITUTION = 0.5
# A prefix needs this many characters; a single character only finds a name of one
# letter (the region has one: Y, in the Somme).
PREFIX_MIN_CHARS = 2

DEPARTEMENT_SUFFIX = re.compile(r"^(?P<text>.*?\S)\s*\(\s*(?P<dep>[0-9]{2}|2[AaBb])\s*\)\s*$")
# "s/" (and "s/s" for "sous") between words, glued or not: "Pont-s/-Sambre", "pont s/ sambre"
SOUS_ABBREVIATION = re.compile(r"(?i)(?<![^\s\-'’])s\s*/\s*s\b\s*-?")
SUR_ABBREVIATION = re.compile(r"(?i)(?<![^\s\-'’])s\s*/\s*-?")
# a slash between two words: "Berneuil/Aisne"
SUR_SLASH = re.compile(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])")
SUR_WORDS = {"sr": "sur", "ss": "sous"}
DEPARTEMENT_NUMBER = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2a|2b)$")
# the region's department names, as folded words, and what may link them to the name
DEPARTEMENT_NAMES = {
    ("aisne",): "02", ("nord",): "59", ("oise",): "60", ("somme",): "80",
    ("pas", "de", "calais"): "62", ("pas", "calais"): "62", ("pdc",): "62",
}
_DEPARTEMENT_WORDS = frozenset(word for spelling in DEPARTEMENT_NAMES for word in (spelling[0], spelling[-1]))
DEPARTEMENT_LINKS = (("dans", "le"), ("dans", "la"), ("dans", "l"), ("dans",), ("en",), ("du",), ("de", "la"))
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
    departement: str | None  # from a trailing "(59)", as in the labels we hand out, or a number or name
    postcode: str | None = None  # a postcode typed beside the name: "amiens 80000"
    spaced: str = ""  # normalise_name(): what the sound keys are made from, when needed
    # the query as typed, when a department or postcode was read out of it loosely ("brie 02"):
    # searched when the narrowed search finds nothing
    whole: Query | None = None


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
    if "/" in text:
        text = SUR_SLASH.sub(" sur ", SUR_ABBREVIATION.sub(" sur ", SOUS_ABBREVIATION.sub(" sous ", text)))
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
        return Query(text=text, kind=kind, key=key, key_with_article=key, literal=key, folded=key,
                     departement=departement)
    words = folded.split()
    if any(word in SUR_WORDS for word in words[1:-1]):
        words = [SUR_WORDS.get(word, word) if 0 < i < len(words) - 1 else word for i, word in enumerate(words)]
        text = folded = " ".join(words)
    whole = _name_query(text, departement, folded)
    narrowed = None if departement else _narrowed(words)
    if narrowed is None:
        return whole
    name, narrowed_departement, postcode = narrowed
    return dataclasses.replace(_name_query(name, narrowed_departement), postcode=postcode, whole=whole)


def _name_query(text: str, departement: str | None, folded: str | None = None) -> Query:
    folded = fold(text) if folded is None else folded
    spaced, key, key_with_article = name_forms(folded)
    return Query(
        text=text, kind="name", key=key, key_with_article=key_with_article,
        literal=literal(text), folded=folded.replace(" ", ""), departement=departement, spaced=spaced,
    )


@functools.lru_cache(maxsize=4096)  # the keystrokes and queries people repeat
def _sound_keys(spaced: str) -> tuple[str, str]:
    """textnorm.sound() and sound_of_beginning() of a query, made only when a search needs them."""
    return sound(spaced), sound_of_beginning(spaced)


def _narrowed(words: list[str]) -> tuple[str, str | None, str | None] | None:
    """(name, department, postcode) read out of the folded words, or None when there is nothing to read.

    A 5-digit postcode anywhere ("80090 amiens", "lens 62300"); a department number or one of the
    region's department names at either end ("brie 02", "80 brie", "flers somme", "athies pas de
    calais"), with a linking word before a trailing name ("flers dans la somme")."""
    postcode = departement = None
    rest = []
    for word in words:
        if postcode is None and len(word) == 5 and word.isdigit():
            postcode = word
        else:
            rest.append(word)
    for end in (-1, 0):
        if len(rest) > 1 and DEPARTEMENT_NUMBER.match(rest[end]):
            departement = rest.pop(end).upper()
            break
    if departement is None:
        departement, rest = _departement_name(rest)
    if postcode is None and departement is None:
        return None
    if not any(char.isalpha() for word in rest for char in word):
        return None
    return " ".join(rest), departement, postcode


def _departement_name(words: list[str]) -> tuple[str | None, list[str]]:
    if len(words) < 2 or (words[-1] not in _DEPARTEMENT_WORDS and words[0] not in _DEPARTEMENT_WORDS):
        return None, words
    for spelling, code in DEPARTEMENT_NAMES.items():
        n = len(spelling)
        if len(words) > n and tuple(words[-n:]) == spelling:
            rest = words[:-n]
            for link in DEPARTEMENT_LINKS:
                if len(rest) > len(link) and tuple(rest[-len(link):]) == link:
                    rest = rest[:-len(link)]
                    break
            return code, rest
        if len(words) > n and tuple(words[:n]) == spelling:
            return code, words[n:]
    return None, words


# Prefix classes, best first: whole words of a current name, part of a word, a former name.
_WHOLE_WORDS, _PART_WORD, _FORMER_NAME = 0, 1, 2
# A prefix that begins at least this many names ("sa", "saint") is ranked once, when the
# index is built, rather than on every keystroke.
RANK_AHEAD_FROM = 32


class _Keys:
    """Names under one kind of key: exact lookup, prefix ranges ranked, buckets for fuzzy matching."""

    def __init__(self, entries: Iterable[tuple[str, Name]], *, with_article: bool = False, ranked: bool = True,
                 exact: bool = True):
        """`ranked=False`: no prefix search; `exact=False`: no exact lookup either (fuzzy matching only)."""
        entries = sorted(entries, key=lambda entry: entry[0]) if ranked else list(entries)
        self.with_article = with_article
        self.keys = [key for key, _ in entries]
        self.names = [name for _, name in entries]
        self.exact: dict[str, list[Name]] = defaultdict(list)
        self._by_length: dict[int, tuple[list[str], list[Name]]] = {}
        for key, name in entries:
            if exact:
                self.exact[key].append(name)
            keys, names = self._by_length.setdefault(len(key), ([], []))
            keys.append(key)
            names.append(name)
        self._ranked: dict[str, list[tuple[int, Name]]] = {}
        for length in range(1, max(map(len, self.keys), default=0) + 1 if ranked else 1):
            for prefix, positions in groupby(range(len(self.keys)), key=lambda i, n=length: self.keys[i][:n]):
                positions = list(positions)
                if len(positions) >= RANK_AHEAD_FROM and len(prefix) == length:
                    self._ranked[prefix] = self._rank(prefix, positions)
        self._beginnings: dict[tuple[str, int], tuple[list[str], list[Name], list[str]]] = {}

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

    def within(self, key: str, edits: int, *, with_keys: bool = False) -> Iterable[tuple]:
        """(distance, name) for every key at most `edits` Damerau (OSA) edits from `key`
        ((distance, name, key) `with_keys`)."""
        for length in range(len(key) - edits, len(key) + edits + 1):
            keys, names = self._by_length.get(length, ((), ()))
            for found, distance, position in process.extract(
                key, keys, scorer=OSA.distance, score_cutoff=edits, limit=None
            ):
                yield (distance, names[position], found) if with_keys else (distance, names[position])

    def beginning_within_one_edit(self, key: str) -> Iterable[tuple[Name, bool]]:
        """Names whose first len(key) (+/- 1) characters are one edit from `key`: a typo mid-word;
        with whether that is more than a slip of the finger mid-word: the beginning ends a word of
        the name, or the edit writes a like sound ("thoor" for Thourotte).

        Only among names with the same first letter, which keeps it to a few hundred
        comparisons; a wrong first letter is still found once the whole name is typed
        (`within`).
        """
        for length in (len(key) - 1, len(key), len(key) + 1):
            beginnings, names, keys = self._beginnings_of(key[0], length)
            for found, _, position in process.extract(
                key, beginnings, scorer=OSA.distance, score_cutoff=1, limit=None
            ):
                # a slip, not another word
                if not unlikely_substitutions(key, found) and not _wrong_last_letter(key, keys[position]):
                    name = names[position]
                    word_ends = name.word_ends_with_article if self.with_article else name.word_ends
                    yield name, length in word_ends or _spelt_by_ear(key, found)

    def _beginnings_of(self, letter: str, length: int) -> tuple[list[str], list[Name], list[str]]:
        # made on first use and kept: the index is replaced, never changed
        if (letter, length) not in self._beginnings:
            positions = [i for i in self._range(letter) if len(self.keys[i]) > length]
            self._beginnings[letter, length] = (
                [self.keys[i][:length] for i in positions], [self.names[i] for i in positions],
                [self.keys[i] for i in positions],
            )
        return self._beginnings[letter, length]


def _word_ends(spaced: str) -> frozenset[int]:
    """Offsets in the compact form of `spaced` (words separated by spaces) where a word ends."""
    ends, offset = set(), 0
    for word in spaced.split(" "):
        offset += len(word)
        ends.add(offset)
    return frozenset(ends)


@dataclasses.dataclass(frozen=True, slots=True)
class OutsideName:
    """A commune of metropolitan France outside the region (data/france_communes.csv)."""

    code: str
    nom: str
    departement: str

    def hint(self) -> dict:
        return {"code": self.code, "nom": self.nom, "departement": self.departement}


class Outside:
    """The names of every commune of metropolitan France, to recognise one outside the region.

    Built once per process from data/france_communes.csv (geosvc/search.py): the index of each
    ingestion leaves out the codes it holds itself, so a France-wide database has nothing outside.
    """

    def __init__(self, rows: Iterable[dict]):
        names = [OutsideName(row["code"], row["nom"], row["departement"]) for row in rows]
        keyed = [(*compact_forms(name.nom), name) for name in names]
        self.exact: dict[str, list[OutsideName]] = defaultdict(list)  # compact(): article dropped
        self.exact_with_article: dict[str, list[OutsideName]] = defaultdict(list)  # the name as written
        for key, with_article, name in keyed:
            self.exact[key].append(name)
            self.exact_with_article[with_article].append(name)
        # spelling only: the sounds of 35,000 names would take longer to build than the index
        self.keys = _Keys(((key, name) for key, _, name in keyed), ranked=False, exact=False)
        self._sorted = sorted((key, name.code) for key, _, name in keyed)

    def codes_beginning_with(self, prefix: str) -> Iterator[str]:
        """The codes of the names (article dropped) that begin with `prefix`."""
        # by position: islice() would step through every name before the first one
        for position in range(bisect.bisect_left(self._sorted, (prefix,)), len(self._sorted)):
            key, code = self._sorted[position]
            if not key.startswith(prefix):
                return
            yield code

    def __len__(self) -> int:
        return len(self.keys.keys)


NO_OUTSIDE = Outside(())


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """What a search found: hits in the region, or else perhaps a commune outside it."""

    hits: list[Hit]
    outside: OutsideName | None = None


class Index:
    """Every current and former name of the region's communes, ready to search."""

    def __init__(self, communes: list[dict], former: list[dict], *, data: list[dict] | None = None,
                 outside: Outside = NO_OUTSIDE):
        self.data = data or []  # the `datasets` rows of what is indexed: the answers' `data` block
        self.communes = _communes(communes)
        by_code = {commune.code: commune for commune in self.communes}
        self.outside = outside
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
        # codes of the region and its former communes: never "outside"
        self._own_codes = set(by_code) | set(self.former_codes)
        self.keys = _Keys(((compact(name.nom), name) for name in names), with_article=False)
        # only the names with a leading article: for the other ones both keys are equal
        self.keys_with_article = _Keys(
            ((compact_with_article(name.nom), name) for name in names
             if compact_with_article(name.nom) != compact(name.nom)),
            with_article=True,
        )
        spaced = [normalise_name(name.nom) for name in names]
        self.sounds = _Keys(((sound(text), name) for text, name in zip(spaced, names, strict=True)), ranked=False)
        beginnings = sorted(((sound(text, complete=False), name) for text, name in zip(spaced, names, strict=True)),
                            key=lambda entry: entry[0])
        self._sound_beginnings = [key for key, _ in beginnings]
        self._sound_beginning_names = [name for _, name in beginnings]
        self.postcodes: dict[str, list[Commune]] = defaultdict(list)
        for commune in self.communes:
            for postcode in commune.codes_postaux:
                self.postcodes[postcode].append(commune)
        self._postcode_list = sorted(self.postcodes)

    def search(self, query: Query, *, limit: int, departement: str | None = None,
               typing: bool = False) -> list[Hit]:
        """The best hits, best first; a full postcode returns all its communes even beyond `limit`."""
        return self.answer(query, limit=limit, departement=departement, typing=typing).hits

    def answer(self, query: Query, *, limit: int, departement: str | None = None, typing: bool = False) -> Answer:
        """The best hits, best first, or a commune outside the region the query names.

        `typing`: the query may be the beginning of a name (autocomplete), so beginnings with a
        typo or that sound alike are looked for too when nothing else matched.
        A department or postcode read out of the query narrows it, unless the query as typed is
        a name of the region; when the narrowed search finds nothing, the postcode's department
        is tried, then the name alone, then the query as typed."""
        whole = query.whole
        if whole is not None and self._has_exact(whole):
            return self._answer(whole, limit, departement, typing)
        found = self._answer(query, limit, departement, typing)
        if (found.hits or found.outside) or whole is None:
            return found
        wider = [dataclasses.replace(query, postcode=None, departement=None)]
        if query.postcode:
            wider.insert(0, dataclasses.replace(query, postcode=None, departement=query.postcode[:2]))
        for attempt in wider:
            found = self._answer(attempt, limit, departement, typing)
            if found.hits or found.outside:
                return found
        return self._answer(whole, limit, departement, typing)

    def _has_exact(self, query: Query) -> bool:
        return any(key in keys.exact for key in (query.key, query.key_with_article)
                   for keys in (self.keys, self.keys_with_article))

    def _answer(self, query: Query, limit: int, departement: str | None, typing: bool) -> Answer:
        departement = departement or query.departement
        hits = _Hits(departement, self.postcodes.get(query.postcode, []) if query.postcode else None)
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
            best_cost = self._search_names(query, hits, limit, typing)
            outside = self._outside(query, best_cost, departement)
            if outside is not None:
                # while typing, names of the region that begin with the query stay beside the hint
                return Answer(hits.best(limit) if typing and best_cost == BEGINS else [], outside)
        return Answer(hits.best(limit))

    def _search_names(self, query: Query, hits: _Hits, limit: int, typing: bool) -> float:
        """Adds the hits; returns how close the closest is: EXACT, BEGINS, a cost, or NOTHING."""
        exact = False
        for key in {query.key, query.key_with_article}:
            for keys in (self.keys, self.keys_with_article):
                for name in keys.exact.get(key, ()):
                    # a name of the region, if in another department than asked: no look-alikes
                    exact = True
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
        if exact:
            return EXACT
        prefixed = bool(hits)
        # Sound-alikes: "abevile" (Abbeville); while typing, below every name that begins so
        # (so not looked for when those fill the answer)
        sound_key, sound_beginning = _sound_keys(query.spaced) if len(query.key) >= FUZZY_MIN_CHARS else ("", "")
        if len(sound_key) >= SOUND_MIN_CHARS and not (typing and len(hits) >= limit):
            bonus = (SCORE_SOUND_TYPING if typing else SCORE_SOUND) - SCORE_SOUND
            for name in self.sounds.exact.get(sound_key, ()):
                hits.add(name.commune, _fuzzy_score(SOUND_COST, name) + bonus, *_kind(name, MATCH_SOUND))
        if prefixed:
            return BEGINS
        if hits:
            return SOUND_COST
        # Typos only when no name equals, begins with or sounds like the query: a typo search
        # then would only add worse matches below them, and cost time on every keystroke.
        if len(query.key) < FUZZY_MIN_CHARS:
            return NOTHING
        best = NOTHING
        for cost, name in _close(self.keys, self.sounds, query, sound_key=sound_key):
            if hits.accepts(name.commune):
                best = min(best, cost)
                hits.add(name.commune, _fuzzy_score(cost, name), *_kind(name, MATCH_FUZZY))
        if hits or not typing or self._typing_another_name(query):
            return best
        if len(query.key) >= FUZZY_PREFIX_MIN_CHARS:
            slips = list(self.keys.beginning_within_one_edit(query.key))
            if slips and self._near_a_name_outside(query):
                # "salut" is Sault (Vaucluse) mistyped before it is the beginning of Saultain
                # mistyped; a whole word of a name of the region stays ("nogeent": Nogent-l'Artaud)
                slips = [(name, strong) for name, strong in slips if strong]
            for name, _ in slips:
                hits.add(name.commune, SCORE_FUZZY_PREFIX, *_kind(name, MATCH_FUZZY))
        if len(sound_beginning) >= SOUND_PREFIX_MIN_CHARS:
            start = bisect.bisect_left(self._sound_beginnings, sound_beginning)
            end = bisect.bisect_left(self._sound_beginnings, sound_beginning + "\x7f", start)
            # the sure beginning must be most of the name: "telef" is not Taillefontaine
            longest = len(sound_beginning) / SOUND_PREFIX_SHARE
            names = [n for key, n in zip(self._sound_beginnings[start:end], self._sound_beginning_names[start:end],
                                         strict=True) if hits.accepts(n.commune) and len(key) <= longest]
            for name in heapq.nsmallest(limit, names, key=lambda n: n.commune.order):
                hits.add(name.commune, SCORE_SOUND_PREFIX, *_kind(name, MATCH_SOUND))
        return BEGINS if hits else NOTHING

    def _typing_another_name(self, query: Query) -> bool:
        """A word of 4 letters or more is being typed, and what is typed begins, as typed, the name
        of a commune outside the region: a beginning of one of the region's with a slip is not what
        is meant ("coucou" is Coucouron, Ardèche, not Caucourt; "saint z" may still be Saint-Quentin)."""
        if len(query.spaced.rsplit(" ", 1)[-1]) < SLIP_WORD_MIN_CHARS:
            return False
        return any(code not in self._own_codes for code in self.outside.codes_beginning_with(query.key))

    def _near_a_name_outside(self, query: Query) -> bool:
        """The query is one likely edit from the whole name of a commune outside the region."""
        return any(name.code not in self._own_codes for _, name in _close(self.outside.keys, None, query, 1.0))

    def _outside(self, query: Query, region_cost: float, departement: str | None) -> OutsideName | None:
        """A commune outside the region that the query names (unless the query is a name of the
        region), or is clearly closer to (OUTSIDE_MARGIN) than to any name of the region, unless
        the query begins a name of the region."""
        if region_cost == EXACT or not len(self.outside):
            return None

        def accepted(name: OutsideName) -> bool:
            return name.code not in self._own_codes and (departement is None or name.departement == departement)

        # the name as written ("Marseille") beats names of the region that begin so; a name whose
        # article was dropped ("Le Saint") does not ("saint" begins 230 names of the region)
        lookups = [(self.outside.exact_with_article, query.key_with_article)]
        if region_cost != BEGINS:
            lookups += [(self.outside.exact, query.key), (self.outside.exact_with_article, query.key)]
        for table, key in lookups:
            found = [name for name in table.get(key, ()) if accepted(name)]
            if found:
                return found[0]
        # closer than any name of the region by OUTSIDE_MARGIN: only worth looking for when the
        # region's best is a typo of cost 2 (then 1 edit away outside), or nothing
        if len(query.key) < FUZZY_MIN_CHARS or region_cost == BEGINS or region_cost < 1 + OUTSIDE_MARGIN:
            return None
        best: tuple[float, str, OutsideName] | None = None
        for cost, name in _close(self.outside.keys, None, query, region_cost - OUTSIDE_MARGIN):
            if (accepted(name) and cost + OUTSIDE_MARGIN <= region_cost
                    and (best is None or (cost, name.code) < best[:2])):
                best = (cost, name.code, name)
        return best[2] if best else None


# how close the closest name of the region is (_search_names), for the outside check
EXACT, BEGINS, NOTHING = 0.0, -1.0, math.inf
# a commune outside the region is the answer when it is this much closer than any of the region's
OUTSIDE_MARGIN = 1.0


def _max_cost(query: Query) -> float:
    return 2.0 if len(query.key) >= FUZZY_TWO_EDITS_FROM else 1.0


def _close(keys: _Keys, sounds: _Keys | None, query: Query, limit: float = math.inf,
           sound_key: str = "") -> list[tuple[float, object]]:
    """(cost, name) of every name within the query's cost: the smaller of the edits on the compact
    name and SOUND_COST + the edits on its sound (at most one, from FUZZY_TWO_EDITS_FROM letters)."""
    limit = min(limit, _max_cost(query))
    costs: dict[int, tuple[float, object]] = {}
    for distance, name, key in keys.within(query.key, int(limit), with_keys=True):
        cost = distance + UNLIKELY_SUBSTITUTION * unlikely_substitutions(query.key, key) if distance else 0.0
        if cost <= limit:
            costs[id(name)] = (cost, name)
    if sounds is not None and len(sound_key) >= SOUND_MIN_CHARS:
        for distance, name in sounds.within(sound_key, int(limit - SOUND_COST)):
            cost = SOUND_COST + distance
            if cost <= limit and (id(name) not in costs or cost < costs[id(name)][0]):
                costs[id(name)] = (cost, name)
    return [entry for entry in costs.values() if entry[0] > 0]


_AZERTY = ("azertyuiop", "qsdfghjklm", "wxcvbn")
# keys next to each other on a French keyboard: a slip of the finger
_KEYBOARD: dict[str, set[str]] = defaultdict(set)
for _row, _line in enumerate(_AZERTY):
    for _col, _letter in enumerate(_line):
        for _other_row in (_row - 1, _row, _row + 1):
            if 0 <= _other_row < len(_AZERTY):
                for _other_col in (_col - 1, _col, _col + 1):
                    if 0 <= _other_col < len(_AZERTY[_other_row]) and (_other_row, _other_col) != (_row, _col):
                        _KEYBOARD[_letter].add(_AZERTY[_other_row][_other_col])
# ... and, for a whole name, letters that spell like sounds: a slip of the ear
_NEIGHBOURS: dict[str, set[str]] = defaultdict(set, {letter: set(keys) for letter, keys in _KEYBOARD.items()})
for _pair in ("ck", "cs", "kq", "sz", "iy", "sx", "gj", "mn", "ao", "eo", "ie", "ou", "ui", "fv", "bp", "dt"):
    _NEIGHBOURS[_pair[0]].add(_pair[1])
    _NEIGHBOURS[_pair[1]].add(_pair[0])


def unlikely_substitutions(typed: str, name: str) -> int:
    """How many letters of `name` were replaced in `typed` by a letter that is neither a neighbour
    on the keyboard nor a spelling of a like sound (two letters typed in the wrong order are not
    counted)."""
    count = 0
    for op in Levenshtein.editops(typed, name):
        if op.tag != "replace":
            continue
        a, b = typed[op.src_pos], name[op.dest_pos]
        if b not in _NEIGHBOURS[a] and not _swapped(typed, name, op.src_pos, op.dest_pos):
            count += 1
    return count


def _swapped(typed: str, name: str, i: int, j: int) -> bool:
    """Whether typed[i] for name[j] is half of two neighbouring letters typed in the wrong order
    ("salut" for "sault")."""
    a, b = typed[i], name[j]
    return ((i + 1 < len(typed) and j + 1 < len(name) and typed[i + 1] == b and name[j + 1] == a)
            or (i > 0 and j > 0 and typed[i - 1] == b and name[j - 1] == a))


def _spelt_by_ear(typed: str, beginning: str) -> bool:
    """The one edit from `beginning` to `typed` writes a letter of a like sound, not a key nearby."""
    return any(op.tag == "replace" and typed[op.src_pos] not in _KEYBOARD[beginning[op.dest_pos]]
               for op in Levenshtein.editops(typed, beginning))


def _wrong_last_letter(typed: str, name_key: str) -> bool:
    """The name begins with the typed text less its last letter, and that letter is not a slip for
    the name's next one: "berlin" is not the beginning of Berlise (n for s). (Compared with the
    beginning one letter shorter, a wrong last letter is one edit, whatever the letter.)"""
    return name_key.startswith(typed[:-1]) and name_key[len(typed) - 1] not in _NEIGHBOURS[typed[-1]]


def _fuzzy_score(cost: float, name: Name) -> float:
    score = SCORE_SOUND if cost <= SOUND_COST else SCORE_FUZZY[max(1.0, min(2.0, round(cost * 2) / 2))]
    population = name.commune.population or 0
    if population > 1:
        score += POPULATION_BONUS * min(1.0, math.log10(population) / 6)
    return score - (FORMER_FUZZY_PENALTY if name.former else 0.0)


def _kind(name: Name, matched: str) -> tuple[str, dict | None]:
    return (MATCH_FORMER, name.former) if name.former else (matched, None)


class _Hits:
    """The best hit per commune, within the department (and postcode) asked for."""

    def __init__(self, departement: str | None, postcode_communes: list[Commune] | None = None):
        self.departement = departement
        self.within = None if postcode_communes is None else {c.code for c in postcode_communes}
        self._best: dict[str, Hit] = {}

    def accepts(self, commune: Commune) -> bool:
        return ((self.departement is None or commune.departement == self.departement)
                and (self.within is None or commune.code in self.within))

    def add(self, commune: Commune, score: float, matched: str, former: dict | None = None) -> None:
        if not self.accepts(commune):
            return
        known = self._best.get(commune.code)
        if known is None or score > known.score:
            self._best[commune.code] = Hit(commune, round(score, 4), matched, former)

    def __len__(self) -> int:
        return len(self._best)

    def __bool__(self) -> bool:
        return bool(self._best)

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
