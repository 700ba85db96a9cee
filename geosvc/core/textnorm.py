"""Text normalisation shared by the commune search index and its queries.

The index and the queries must go through the same functions, otherwise a
name typed exactly as written can miss.  Every function is total: any ``str``
gives a ``str`` back, never an exception, because queries come straight from
users' phones.
"""

import unicodedata

# NFKD leaves these as single letters, so they are expanded by hand.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})

# Modifier letters count as letters for str.isalnum(), so the apostrophes
# among them would otherwise stay glued inside words.
_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼʻ`´′", " "))

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
