"""The commune search as static files: a compact index of the region for the browser's matcher.

The static build of the campaign page (`geosvc export --site DIR`) is served without Python, so
the page searches with geosvc/web/static/search_client.js over two documents made here from the
server's own `Index` (geosvc/core/search_index.py):

    search/index.json    build_client_index(index): the region's communes and former names
                         (<= 100 KB gzip-compressed, asserted by tests/test_client_search.py)
    search/outside.json  build_outside_index(index): the other communes of metropolitan France,
                         for the "not in the region" hint; the page loads it only when it needs it

Every key the matcher compares is computed here with geosvc.core.textnorm, the functions the
server indexes with: the JS folds only the *query*. To stay small, a key is written only when it
is not `plain(nom)` (lower case, accents removed, œ/æ spelt out, hyphens and apostrophes read as
spaces: a one-line transform the JS repeats exactly, and the build checks name by name), and the
documents are columns: fixed-width codes, `|`-joined strings, numbers. The format, field by
field: docs/SEARCH.md, "Client-side search (static build)".
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Iterable

from geosvc.core import present
from geosvc.core.search_index import Index, OutsideName
from geosvc.core.textnorm import _SOUND_RULES, compact, compact_with_article, fold, normalise_name, sound

FORMAT = "geosvc-search-index"
OUTSIDE_FORMAT = "geosvc-search-outside"
VERSION = 1
CODE_WIDTH = 5  # INSEE codes and postcodes are written end to end, five characters each
SEPARATOR = "|"  # between the strings of a column; never in a name (checked)
INDEX_PATH = "search/index.json"
OUTSIDE_PATH = "search/outside.json"
BUDGET_GZIP_BYTES = 100_000  # the region's index, gzip-compressed

_MARKS = re.compile("[\u0300-\u036f]")
_SPACES = re.compile("[-' ]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def plain(nom: str) -> str:
    """The key most names have, the one the matcher derives when none is written: NFD, combining
    marks removed, lower case, œ/æ spelt out, runs of hyphens, apostrophes and spaces as one space.
    search_client.js `plain()` is the same line; the key written otherwise is always textnorm's."""
    return _SPACES.sub(" ", _MARKS.sub("", unicodedata.normalize("NFD", nom)).lower().translate(_LIGATURES))


def spaced_with_article(nom: str) -> str:
    """The name's words as the index reads them, leading article kept: `compact_with_article` with
    its spaces (geosvc.core.search_index._spaced_with_article; `word_ends_with_article` is made of it)."""
    return " ".join(compact_with_article(word) for word in fold(nom).split())


def build_client_index(index: Index) -> dict:
    """The document search_client.js searches: every commune of `index` in its rank order
    (population, then French name order, then code: the server's tie-break), with its former names."""
    communes = sorted(index.communes, key=lambda commune: commune.order)
    if [commune.order for commune in communes] != list(range(len(communes))):
        raise ValueError("the index's commune ranks are not 0..n-1")
    # the names of the index in its own order (current names in row order, then the former names
    # that are searched, in row order): the server's tie-break among names of equal key
    searched_former = [name for name in index.sounds.names if name.former is not None]
    rows_in_order = [commune.code for commune in index.communes]
    if rows_in_order != sorted(rows_in_order):
        raise ValueError("the index's rows are not in code order, which the matcher assumes")
    position = {commune.code: i for i, commune in enumerate(communes)}

    populations = [commune.population or 0 for commune in communes]
    columns = _name_columns([commune.nom for commune in communes])
    columns.update(
        code=_fixed(commune.code for commune in communes),
        population=[populations[0], *(a - b for a, b in zip(populations, populations[1:], strict=False))]
        if populations else [],
        postcodes=_joined(" ".join(commune.codes_postaux) for commune in communes),
    )
    departements = {str(i): c.departement for i, c in enumerate(communes) if c.departement != c.code[:2]}
    if departements:
        columns["departement"] = departements
    folded = {str(i): c.folded for i, c in enumerate(communes) if c.folded != compact_with_article(c.nom)}
    if folded:
        columns["folded"] = folded

    # Former communes in the index's row order (by code): all are found by their code (a 5-digit
    # query); those `searched` are also names of the index (not a bare code, nor the current name).
    searched = {id(name) for name in searched_former}
    former = [name for names in index.former_codes.values() for name in names]
    if [name for name in former if id(name) in searched] != searched_former:
        raise ValueError("the index's former names are not in its row order")
    for name in former:
        if name.former["nom"] == "":
            raise ValueError(f"former commune {name.former['code']} has an empty name")
    former_columns = {
        "code": _fixed(name.former["code"] for name in former),
        # the former name as the answers show it ('' for a bare former code: null)
        "nom": _joined(name.former["nom"] or "" for name in former),
        "commune": [position[name.commune.code] for name in former],
        "searched": _deltas([i for i, name in enumerate(former) if id(name) in searched]),
    }
    searched_columns = _name_columns([name.nom for name in searched_former])
    del searched_columns["nom"]  # the former names themselves, above
    former_columns.update(searched_columns)
    return {
        "format": FORMAT,
        "version": VERSION,
        "about": "docs/SEARCH.md, Client-side search (static build)",
        "data": present.data_block(index.data),
        # textnorm's spellings and sounds, tried in this order at each position of a word: the
        # matcher writes the query's sound with the very table the index was keyed with
        "sounds": sound_rules(),
        "communes": columns,
        "former": former_columns,
    }


def sound_rules() -> list[list]:
    """textnorm's sound rules as [spelling, context, letters, sound]: context '' (whatever follows),
    '=' (one of `letters` follows) or '!' (none of `letters` follows, or the word ends)."""
    return [
        [spelling, "" if kind is None else "=" if kind else "!", "".join(sorted(letters)), sound_]
        for rules in _SOUND_RULES.values() for spelling, kind, letters, sound_ in rules
    ]


def build_outside_index(index: Index) -> dict:
    """The communes of metropolitan France outside the region (the server's `Outside`, less the
    region's codes and former codes, which are never "outside"), in the order of its file."""
    own = {commune.code for commune in index.communes} | set(index.former_codes)
    names: list[OutsideName] = [name for name in index.outside.keys.names if name.code not in own]
    columns = _name_columns([name.nom for name in names], sounds=False)
    codes = [name.code for name in names]
    if codes != sorted(codes):
        raise ValueError("the names of France are not in code order, which the client format assumes")
    columns["code"] = _runs(codes)
    departements = {str(i): name.departement for i, name in enumerate(names) if name.departement != name.code[:2]}
    if departements:
        columns["departement"] = departements
    return {"format": OUTSIDE_FORMAT, "version": VERSION, "communes": columns}


def encode(document: dict) -> bytes:
    """Compact UTF-8 JSON, as the other exported files (geosvc.campaign.feeds.encode)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def client_files(index: Index) -> dict[str, bytes]:
    """{path in the static site: bytes} of the two documents."""
    return {INDEX_PATH: encode(build_client_index(index)), OUTSIDE_PATH: encode(build_outside_index(index))}


def sizes(body: bytes) -> tuple[int, int]:
    """(raw bytes, gzip -9 bytes), as a static host compresses them."""
    return len(body), len(gzip.compress(body, compresslevel=9, mtime=0))


def _name_columns(noms: list[str], *, sounds: bool = True) -> dict:
    """nom, key (exceptions to plain()), article (positions of the names whose leading article the
    search drops) and, `sounds`, the sound keys: sound() and the beginning's (an edit of it)."""
    keys, articles, sound_keys, beginnings = {}, [], [], []
    for i, nom in enumerate(noms):
        if SEPARATOR in nom:
            raise ValueError(f"{nom!r} holds the column separator {SEPARATOR!r}")
        spaced = spaced_with_article(nom)
        if spaced != plain(nom):
            keys[str(i)] = spaced
        article = compact(nom) != compact_with_article(nom)
        if article:
            articles.append(i)
        _check_forms(nom, spaced, article)
        if sounds:
            words = normalise_name(nom)
            sound_keys.append(sound(words))
            beginnings.append(_edit(sound_keys[-1], sound(words, complete=False)))
    columns = {"nom": _joined(noms), "key": keys, "article": _deltas(articles)}
    if sounds:
        columns.update(sound=_joined(sound_keys), sound_beginning=_joined(beginnings))
    return columns


def _check_forms(nom: str, spaced: str, article: bool) -> None:
    """What the matcher derives from (spaced, article) is textnorm's: the normalise_name() form,
    compact(), compact_with_article()."""
    words = spaced.split(" ")[1:] if article else spaced.split(" ")
    if " ".join(words) != normalise_name(nom) or spaced.replace(" ", "") != compact_with_article(nom):
        raise ValueError(f"the keys of {nom!r} cannot be written in the client format")


def _edit(base: str, target: str) -> str:
    """`target` as an edit of `base`: how many letters to cut from its end (left out when 0),
    then what to add. '' when they are equal: 'abevil' -> 'abevile' is 'e'; 'amiA' -> 'amiAs' is
    's'; 'kalE' -> 'kale' is '1e'."""
    common = 0
    while common < min(len(base), len(target)) and base[common] == target[common]:
        common += 1
    cut = len(base) - common
    tail = target[common:]
    if tail[:1].isdigit():
        raise ValueError(f"sound key {target!r} holds a digit")
    return f"{cut if cut else ''}{tail}"


def _fixed(codes: Iterable[str]) -> str:
    out = []
    for code in codes:
        if len(code) != CODE_WIDTH:
            raise ValueError(f"code {code!r} is not {CODE_WIDTH} characters")
        out.append(code)
    return "".join(out)


def _deltas(numbers: list[int]) -> list[int]:
    """Increasing numbers as the first one, then the differences."""
    return [b - a for a, b in zip([0, *numbers], numbers, strict=False)]


def _runs(codes: list[str]) -> list:
    """Codes in increasing order as [department, [differences of the last three digits]] pairs:
    [["01", [1, 1, 2]], ["02", [1]]] is 01001, 01002, 01004, 02001."""
    runs: list = []
    for code in codes:
        prefix, number = code[:2], code[2:]
        if len(code) != CODE_WIDTH or not number.isdigit():
            raise ValueError(f"code {code!r} is not two characters and three digits")
        if not runs or runs[-1][0] != prefix:
            runs.append([prefix, [], 0])
        runs[-1][1].append(int(number) - runs[-1][2])
        runs[-1][2] = int(number)
    return [[prefix, differences] for prefix, differences, _ in runs]


def _joined(texts: Iterable[str]) -> str:
    return SEPARATOR.join(texts)

