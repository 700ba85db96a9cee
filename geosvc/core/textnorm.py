"""Text normalisation shared by the commune search index and its queries.

The index and the queries must go through the same functions, otherwise a
name typed exactly as written can miss.  Every function is total: any ``str``
gives a ``str`` back, never an exception, because queries come straight from
users' phones.
"""

import functools
import itertools
import re
import unicodedata

# NFKD leaves these as single letters, so they are expanded by hand.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})

# Modifier letters count as letters for str.isalnum(), so the apostrophes
# among them would otherwise stay glued inside words.
_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼʻ`´′", " "))

_COMMON_MARKS = re.compile("[\u0300-\u036f]")  # combining diacritical marks (all of category Mn)

_SAINT = {"st": "saint", "ste": "sainte"}
_ARTICLES = frozenset({"le", "la", "les", "l"})


def _char(ch: str) -> str:
    if ch.isalnum():
        return ch
    if ch.isspace():
        return " "
    # Control, format (soft hyphen, zero-width space), surrogate and
    # unassigned characters are invisible: dropping them rejoins the word.
    if unicodedata.category(ch).startswith("C"):
        return ""
    return " "


# What _char makes of each ASCII character, as a translate() table: most queries are
# plain ASCII, and this path is ten times faster than the per-character one below.
_ASCII_FOLD = str.maketrans({chr(code): _char(chr(code)) for code in range(128)})


def fold(text: str) -> str:
    """Lower-case, unaccented, punctuation-free form of ``text``.

    >>> fold("Marcq-en-Barœul")
    'marcq en baroeul'
    >>> fold("  L’Épine-aux-Bois ")
    'l epine aux bois'
    """
    if text.isascii():
        # ASCII has no accents, ligatures or special apostrophes, and casefold() is lower()
        return " ".join(text.lower().translate(_ASCII_FOLD).split())
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
    # Decompose before and after casefold: casefold can create combining
    # marks ("İ") and NFKD can create capitals ("ℌ").
    text = unicodedata.normalize("NFKD", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    # Most names are Latin letters with the usual accents: once those marks are gone they are
    # ASCII, and take the fast path (the same result: marks are dropped either way).
    plain = _COMMON_MARKS.sub("", text.translate(_LIGATURES).translate(_APOSTROPHES))
    if plain.isascii():
        return " ".join(plain.translate(_ASCII_FOLD).split())
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("M"))
    text = text.translate(_LIGATURES).translate(_APOSTROPHES)
    return " ".join("".join(map(_char, text)).split())


def normalise_name(text: str) -> str:
    """Form under which a commune name and a query typed for it compare equal.

    ``St``/``Ste`` become ``saint``/``sainte`` wherever they stand (no current
    name of the region uses the abbreviations); a lone ``s`` is left alone.
    A leading article (``le``, ``la``, ``les``, ``l'``) is dropped, since users
    often omit it; articles inside a name (``Saint-Martin-le-Nœud``,
    ``lès``/``lez``) are kept.  An article typed on its own is kept, so that
    the query ``"le"`` does not become empty.

    >>> normalise_name("ST-OMER")
    'saint omer'
    >>> normalise_name("La Bassée")
    'bassee'
    """
    tokens = [_SAINT.get(tok, tok) for tok in fold(text).split()]
    if len(tokens) > 1 and tokens[0] in _ARTICLES:
        tokens = tokens[1:]
    return " ".join(tokens)


def compact(text: str) -> str:
    """``normalise_name`` without spaces, for typo-tolerant matching.

    People drop the space an apostrophe or hyphen stood for
    ("villeneuve dascq"), so word boundaries cannot be trusted.

    >>> compact("Villeneuve-d'Ascq")
    'villeneuvedascq'
    """
    return normalise_name(text).replace(" ", "")


def compact_with_article(text: str) -> str:
    """``compact`` keeping a leading article, for names typed with it glued on.

    People write "labassee" or "lequesnoy": once the spaces are gone the
    article cannot be told apart from the name, so the index also keeps this
    form of every name.  Equal to ``compact`` when there is no leading article.

    >>> compact_with_article("La Bassée")
    'labassee'
    >>> compact_with_article("L'Étoile")
    'letoile'
    """
    return "".join(_SAINT.get(tok, tok) for tok in fold(text).split())


def name_forms(folded: str) -> tuple[str, str, str]:
    """(``normalise_name``, ``compact``, ``compact_with_article``) of a text already ``fold``ed."""
    tokens = [_SAINT.get(tok, tok) for tok in folded.split()]
    with_article = "".join(tokens)
    if len(tokens) > 1 and tokens[0] in _ARTICLES:
        tokens = tokens[1:]
    return " ".join(tokens), "".join(tokens), with_article


def compact_forms(text: str) -> tuple[str, str]:
    """(``compact(text)``, ``compact_with_article(text)``) with one ``fold``."""
    tokens = [_SAINT.get(tok, tok) for tok in fold(text).split()]
    with_article = "".join(tokens)
    if len(tokens) > 1 and tokens[0] in _ARTICLES:
        return "".join(tokens[1:]), with_article
    return with_article, with_article


def literal(text: str) -> str:
    """Case- and punctuation-insensitive form that keeps accents and articles.

    Ranks equally good matches: whoever typed "Abbécourt" or "La Capelle"
    means that spelling more than "Abbecourt" or "Capelle".

    >>> literal("L’Épine-aux-Bois") == literal("l'épine aux bois")
    True
    >>> literal("Abbécourt") == literal("Abbecourt")
    False
    """
    if text.isascii():
        return fold(text)  # the same thing for ASCII, only faster
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.translate(_LIGATURES).translate(_APOSTROPHES)
    return " ".join("".join(map(_char, text)).split())


def sort_key(name: str) -> str:
    """French alphabetical sort key for a commune name.

    Case and accents are ignored (``Écaillon`` sorts among the E) and the
    name is sorted as written in the COG, article included: ``Le Quesnoy``
    sorts under L, as in the official list.  Separators become a space, which
    sorts before letters, so ``Le Quesnoy`` comes before ``Lesbœufs``.
    Homonyms get equal keys: add the department code as a second key.

    >>> sorted(["Estrées", "Écaillon", "Eppe-Sauvage"], key=sort_key)
    ['Écaillon', 'Eppe-Sauvage', 'Estrées']
    """
    return fold(name)


# --- French phonetic key ------------------------------------------------------------------------
# How a name sounds, for people who write what they heard: "abevile" (Abbeville), "azebrouk"
# (Hazebrouck), "st kentin" (Saint-Quentin), "calai" (Calais). One left-to-right pass over the
# normalise_name() form (words kept apart, so that a spelling never reads across two words)
# replaces each spelling by a sound, the first rule that applies at each position (a rule may
# ask what follows: a vowel, not a vowel, the end of the word); then silent
# word endings are dropped, the spaces removed, and doubled letters written once. Upper-case
# letters are sounds no plain letter stands for: X "ch", U "ou", E "eu", A "an/en", I "in/ain",
# O "on". The rules, and how they were measured: docs/SEARCH.md, "Sounds".

_SOUNDS = [  # (spelling, sound), tried in this order at each position
    ("eaux", "o"), ("eau", "o"), ("aux(?![a-z])", "o"), ("au", "o"),
    ("oeu", "E"), ("oe", "E"), ("eu", "E"),
    # nasal vowels: only before a consonant or at the end of a word (Vienne, Amiens)
    ("ain(?![aeiouyn])", "I"), ("ein(?![aeiouyn])", "I"), ("aim(?![aeiouym])", "I"),
    ("ai", "e"), ("ei", "e"), ("ay(?![aeiouy])", "e"), ("ey(?![aeiouy])", "e"),
    ("an(?![aeiouyn])", "A"), ("am(?=[bp])", "A"), ("en(?![aeiouyn])", "A"), ("em(?=[bp])", "A"),
    ("in(?![aeiouyn])", "I"), ("yn(?![aeiouyn])", "I"), ("im(?=[bp])", "I"), ("un(?![aeiouyn])", "I"),
    ("on(?![aeiouyn])", "O"), ("om(?=[bp])", "O"),
    ("oo", "U"), ("ou", "U"),
    ("sch", "X"), ("ch", "X"), ("sh", "X"),
    ("ph", "f"), ("th", "t"),
    ("qu", "k"), ("q", "k"), ("ck", "k"), ("cq", "k"), ("cc(?=[eiy])", "ks"),
    ("sc(?=[eiy])", "s"), ("c(?=[eiy])", "s"), ("c", "k"),
    ("gu(?=[eiy])", "g"), ("ge(?=[aou])", "j"), ("g(?=[eiy])", "j"),
    ("gn", "n"), ("ni(?=[aeou])", "n"),  # Boulogne, "boulonie"
    ("tion", "sion"),
    ("h", ""), ("y", "i"), ("w", "v"), ("z", "s"), ("x(?=[a-z])", "ks"),
]


def _rules_by_letter() -> dict[str, list[tuple[str, bool | None, frozenset[str], str]]]:
    """The rules as a scanner table: first letter -> (spelling, context, letters, sound), longest first.

    The context is what may follow the spelling: None anything, True one of `letters` (not the
    end), False anything but one of `letters` (the end too)."""
    context = re.compile(r"^(?P<spelling>[a-z]+)(?:\(\?(?P<kind>[=!])\[(?P<letters>[a-z-]+)\]\))?$")
    table: dict[str, list] = {}
    for pattern, sound_ in _SOUNDS:
        match = context.match(pattern)
        letters = match["letters"] or ""
        if letters == "a-z":
            letters = "abcdefghijklmnopqrstuvwxyz"
        kind = None if match["kind"] is None else match["kind"] == "="
        table.setdefault(match["spelling"][0], []).append((match["spelling"], kind, frozenset(letters), sound_))
    return table


_SOUND_RULES = _rules_by_letter()


def _sounds(text: str) -> str:
    """Each spelling of `text` replaced by its sound: the first rule that applies at each position."""
    out, i, n = [], 0, len(text)
    while i < n:
        for spelling, kind, letters, sound_ in _SOUND_RULES.get(text[i], ()):
            end = i + len(spelling)
            if text.startswith(spelling, i) and (
                kind is None or (kind is True and end < n and text[end] in letters)
                or (kind is False and (end >= n or text[end] not in letters))
            ):
                out.append(sound_)
                i = end
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# at the end of a word: consonants are silent (Amiens, Calais), -er is heard as "é" (Villers),
# and a final e is mute (Lille, Étaples)
# At the end of a word: before no letter at all (the upper-case letters are sounds already
# written: the t of "kentin" is heard, "kAtI").
_FINAL_E_SOUND = re.compile(r"(?<=[a-zA-Z])er(?![a-zA-Z])")
_SILENT_END = re.compile(r"(?<=[a-zA-Z])[sxtdpzg]+(?![a-zA-Z])")
_MUTE_E = re.compile(r"(?<=[a-zA-Z]{2})e(?![a-zA-Z])")


def _silent_endings(text: str) -> str:
    return _MUTE_E.sub("", _FINAL_E_SOUND.sub("e", _SILENT_END.sub("", text)))


def sound(name: str, *, complete: bool = True) -> str:
    """French phonetic key of a normalise_name() form: names that sound alike get the same key.

    ``complete=False`` keeps the last word's ending (a name still being typed has no ending yet):
    the key that every beginning of a name is compared with. For the beginning itself, see
    ``sound_of_beginning``.

    >>> sound(normalise_name("Abbeville")) == sound("abevile")
    True
    >>> sound(normalise_name("Hazebrouck")) == sound("azebrouk")
    True
    >>> sound(normalise_name("Saint-Quentin")) == sound(normalise_name("st kentin"))
    True
    """
    *words, last = name.split(" ")
    return _single("".join([*(_word_sound(word, True) for word in words), _word_sound(last, complete)]))


@functools.lru_cache(maxsize=1 << 16)  # names share most of their words: saint, sur, le, mont…
def _word_sound(word: str, final: bool) -> str:
    text = _sounds(_single(word))
    return _silent_endings(text) if final else text


def _single(text: str) -> str:
    """Doubled letters written once."""
    return "".join(letter for letter, _ in itertools.groupby(text))


def sound_of_beginning(typed: str) -> str:
    """What the beginning of a name typed so far surely sounds like: ``sound(complete=False)`` of
    all but its last letter, less the last sound, since both depend on the letters still to come
    ("ea" may become "eau"). Begins ``sound(name, complete=False)`` of the name being typed.

    >>> sound(normalise_name("Valenciennes"), complete=False).startswith(sound_of_beginning("valancien"))
    True
    """
    return sound(typed[:-1], complete=False)[:-1]
