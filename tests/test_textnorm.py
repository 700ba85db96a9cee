"""The text normalisation of the commune search (geosvc/core/textnorm.py): exact values, as
tables. Every case is an input and the string expected of it, never only its type."""

import json
import string
from pathlib import Path

import pytest

from geosvc.core.textnorm import (
    compact,
    compact_forms,
    compact_with_article,
    fold,
    literal,
    normalise_name,
    sort_key,
    sound,
    sound_of_beginning,
)

COMMUNES = Path(__file__).resolve().parent.parent / "data" / "communes.geojson"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Marcq-en-Barœul", "marcq en baroeul"),
        ("MARCQ-EN-BARŒUL", "marcq en baroeul"),
        ("Œuilly", "oeuilly"),
        ("Æ", "ae"),
        ("Villers-Cotterêts", "villers cotterets"),
        ("Moÿ-de-l'Aisne", "moy de l aisne"),
        ("L’Épine-aux-Bois", "l epine aux bois"),
        ("St.-Quentin", "st quentin"),
        ("Saint–Omer", "saint omer"),
        ("Saint—Omer", "saint omer"),
        ("Saint‐Omer", "saint omer"),
        ("saint_omer", "saint omer"),
        ("  Saint \t Omer\n", "saint omer"),
        ("Saint\tOmer", "saint omer"),
        ("Saint\r\nOmer", "saint omer"),
        ("Saint\u00a0Omer", "saint omer"),
        ("Straße", "strasse"),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


@pytest.mark.parametrize(
    "query",
    [
        "Saint-Omer",
        "saint omer",
        "st omer",
        "ST-OMER",
        "St. Omer",
        "st.omer",
        "SAINT OMER",
    ],
)
def test_saint_omer_variants(query):
    assert normalise_name(query) == "saint omer"


@pytest.mark.parametrize(
    "query",
    [
        "Sainte-Marie-Kerque",
        "Ste-Marie-Kerque",
        "ste marie kerque",
        "STE. MARIE KERQUE",
    ],
)
def test_sainte_abbreviation(query):
    assert normalise_name(query) == "sainte marie kerque"


def test_lone_s_is_not_saint():
    assert normalise_name("s omer") == "s omer"


@pytest.mark.parametrize(
    "query",
    [
        "Villeneuve-d'Ascq",
        "villeneuve dascq",
        "villeneuve d’ascq",
        "villeneuve dʼascq",
        "villeneuve d`ascq",
        "villeneuve d´ascq",
        "VILLENEUVE D ASCQ",
        "villeneuvedascq",
    ],
)
def test_villeneuve_d_ascq_compacts_equal(query):
    assert compact(query) == "villeneuvedascq"


def test_elided_d_is_kept():
    assert normalise_name("Villeneuve-d'Ascq") == "villeneuve d ascq"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Le Quesnoy", "quesnoy"),
        ("quesnoy", "quesnoy"),
        ("La Bassée", "bassee"),
        ("Bassée", "bassee"),
        ("la bassee", "bassee"),
        ("Les Rues-des-Vignes", "rues des vignes"),
        ("L'Épine-aux-Bois", "epine aux bois"),
        ("l’epine aux bois", "epine aux bois"),
        ("L'Étoile", "etoile"),
        ("L'Orée de Mormal", "oree de mormal"),
    ],
)
def test_leading_article_dropped(name, expected):
    assert normalise_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Saint-Martin-le-Nœud", "saint martin le noeud"),
        ("Nœux-lès-Auxi", "noeux les auxi"),
        ("Marquette-lez-Lille", "marquette lez lille"),
        ("Le Hérie-la-Viéville", "herie la vieville"),
        ("Lesbœufs", "lesboeufs"),
    ],
)
def test_inner_articles_kept(name, expected):
    assert normalise_name(name) == expected


@pytest.mark.parametrize(("word", "expected"), [("le", "le"), ("La", "la"), ("LES", "les"), ("l'", "l")])
def test_article_alone_is_kept(word, expected):
    assert normalise_name(word) == expected


def test_compact():
    assert compact("Marcq-en-Barœul") == compact("marcq en baroeul") == "marcqenbaroeul"
    assert compact("Le Touquet-Paris-Plage") == "touquetparisplage"
    assert (
        compact("st leu d esserent")
        == compact("Saint-Leu-d'Esserent")
        == "saintleudesserent"
    )


def test_sort_key_keeps_article_and_ignores_accents():
    assert sort_key("Le Quesnoy") == "le quesnoy"
    names = [
        "Lille",
        "Lesbœufs",
        "Le Quesnoy",
        "Estrées",
        "Eppe-Sauvage",
        "Écaillon",
        "Dunkerque",
    ]
    assert sorted(names, key=sort_key) == [
        "Dunkerque",
        "Écaillon",
        "Eppe-Sauvage",
        "Estrées",
        "Le Quesnoy",
        "Lesbœufs",
        "Lille",
    ]


# Odd inputs from users' phones: every function is total and gives these exact strings.
# None has an article or an abbreviation: normalise_name is fold, compact is it without spaces.
ODD_INPUTS = [
    ("", ""),
    (" ", ""),
    ("\n\t", ""),
    ("🚲", ""),
    ("👍🏽", ""),  # an emoji and its skin-tone modifier
    ("Lille 🚲", "lille"),
    ("Москва", "москва"),
    ("日本", "日本"),
    ("١٢٣", "١٢٣"),  # Arabic-Indic digits are digits
    ("a" * 500, "a" * 500),
    ("Saint-Omer " * 50, " ".join(["saint omer"] * 50)),
    ("\x00\x01\x07\x1b", ""),
    ("Saint\x00-Omer\x07", "saint omer"),
    ("Li\u200bl\u00adle", "lille"),  # zero-width space and soft hyphen vanish
    ("\ud800", ""),  # a lone surrogate
    ("\u0301", ""),  # a lone combining accent
    ("'-’.", ""),
    ("İstanbul", "istanbul"),
    ("ℌirson", "hirson"),
    ("ﬁnes", "fines"),
]


@pytest.mark.parametrize(("text", "folded"), ODD_INPUTS, ids=[repr(t[:12]) for t, _ in ODD_INPUTS])
def test_odd_inputs_exact_output(text, folded):
    assert (fold(text), sort_key(text), normalise_name(text)) == (folded, folded, folded)
    assert compact(text) == folded.replace(" ", "")
    assert fold(folded) == folded  # idempotent


def test_long_input():
    assert fold("A" * 500) == "a" * 500
    assert compact("St-Omer " * 50) == "saintomer" * 50


def test_every_commune_name_normalises_to_plain_ascii_words():
    names = [
        f["properties"]["nom"]
        for f in json.loads(COMMUNES.read_text(encoding="utf-8"))["features"]
    ]
    assert len(names) == 3782  # the repository's data: never missing, never empty
    for name in names:
        key = normalise_name(name)
        assert key and key.isascii(), name
        assert key.replace(" ", "").isalnum(), name


# --- the forms the search index adds ----------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("La Bassée", "labassee"),
        ("labassee", "labassee"),
        ("L'Étoile", "letoile"),
        ("Le Quesnoy", "lequesnoy"),
        ("St-Omer", "saintomer"),
        ("Lesbœufs", "lesboeufs"),
        ("Saint-Martin-le-Nœud", "saintmartinlenoeud"),
        ("le", "le"),
    ],
)
def test_compact_with_article(name, expected):
    assert compact_with_article(name) == expected


def test_compact_with_article_equals_compact_without_a_leading_article():
    assert compact_with_article("Villeneuve-d'Ascq") == compact("Villeneuve-d'Ascq") == "villeneuvedascq"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("L'Épine-aux-Bois", "l’épine aux bois", True),
        ("Saint-Omer", "SAINT  OMER", True),
        ("Marcq-en-Barœul", "marcq en baroeul", True),
        ("Abbécourt", "Abbecourt", False),  # accents count
        ("La Capelle", "Capelle", False),  # so does the article
        ("Saint-Omer", "St Omer", False),  # and the abbreviation
    ],
)
def test_literal(a, b, equal):
    assert (literal(a) == literal(b)) is equal


# What fold and literal must make of each ASCII character between two letters, built from
# the string module's character classes, not from the code under test: letters and digits
# stay (lower case); whitespace (Python's, which counts the separators \x1c-\x1f) and
# punctuation split the word; the other control characters vanish and rejoin it.
WHITESPACE = string.whitespace + "\x1c\x1d\x1e\x1f"
ALNUM = string.ascii_letters + string.digits
ASCII = [chr(code) for code in range(128)]


def _between_letters(ch: str) -> str:
    if ch in ALNUM:
        return f"a{ch.lower()}b"
    if ch in WHITESPACE or ch in string.punctuation:
        return "a b"
    return "ab"


def test_every_ascii_character_on_the_fast_and_the_general_path():
    expected = {ch: _between_letters(ch) for ch in ASCII}
    vanishing = [ch for ch, folded in expected.items() if folded == "ab"]
    assert vanishing == [chr(code) for code in (*range(32), 127) if chr(code) not in WHITESPACE]
    assert {ch: fold(f"a{ch}b") for ch in ASCII} == expected  # ASCII text: the translate() fast path
    # one accented letter sends the same characters through the general, per-character path
    assert {ch: fold(f"éa{ch}b") for ch in ASCII} == {ch: f"e{v}" for ch, v in expected.items()}
    assert {ch: literal(f"a{ch}b") for ch in ASCII} == expected
    assert {ch: literal(f"éa{ch}b") for ch in ASCII} == {ch: f"é{v}" for ch, v in expected.items()}
    assert {ch: fold(ch) for ch in ASCII} == {ch: ch.lower() if ch in ALNUM else "" for ch in ASCII}


ASCII_SAMPLES = {
    "Saint-Omer": "saint omer",
    "  ST.-OMER ": "st omer",
    "villeneuve d'ascq": "villeneuve d ascq",
    "d`ascq": "d ascq",
    "a\tb\nc": "a b c",
    "x\x00y\x07z\x1b": "xyz",
    "\x1c\x1f": "",
    "%_;'--": "",
    "L'ORÉE".encode("ascii", "ignore").decode(): "l ore",
    "12 345": "12 345",
    "": "",
}


def test_ascii_samples_fold_alike_on_the_fast_and_the_general_path():
    assert {text: fold(text) for text in ASCII_SAMPLES} == ASCII_SAMPLES
    assert {text: literal(text) for text in ASCII_SAMPLES} == ASCII_SAMPLES
    assert {text: fold(f"é {text}") for text in ASCII_SAMPLES} == {
        text: f"e {folded}".strip() for text, folded in ASCII_SAMPLES.items()}
    assert {text: literal(f"é {text}") for text in ASCII_SAMPLES} == {
        text: f"é {folded}".strip() for text, folded in ASCII_SAMPLES.items()}


# --- the French phonetic key ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "heard"), [
    ("Abbeville", "abevile"),  # doubled consonants
    ("Longueau", "longo"),  # eau/o
    ("Hazebrouck", "azebrouk"),  # initial h, ck/k
    ("Saint-Quentin", "st kentin"),  # qu/k, en/an
    ("Saint-Quentin", "saint kantin"),
    ("Calais", "calai"),  # silent final s
    ("Béthune", "bétune"),  # th
    ("Compiègne", "compiene"),  # gn
    ("Roubaix", "roubé"),  # ai/é, silent x
    ("Maubeuge", "maubeuje"),  # soft g
    ("Chauny", "chauni"),  # y/i
    ("Étaples", "étaple"),  # silent ending
    ("Villers-Cotterêts", "viller coterets"),
    ("Grande-Synthe", "grande sinte"),
    ("Amiens", "amien"),
    ("Beauvais", "bovais"),
])
def test_names_heard_alike_sound_alike(name, heard):
    assert sound(normalise_name(name)) == sound(normalise_name(heard))


@pytest.mark.parametrize(("a", "b"), [("Lyon", "Laon"), ("Paris", "Prisches"), ("Bruxelles", "Brutelles"),
                                      ("Vienne", "Vianne")])
def test_names_that_do_not_sound_alike(a, b):
    assert sound(normalise_name(a)) != sound(normalise_name(b))


@pytest.mark.parametrize(("name", "expected"), [
    ("abbeville", "abevil"), ("hazebrouck", "asebrUk"), ("saint quentin", "sIkAtI"), ("amiens", "amiA"),
    ("soissons", "soisO"), ("maxence", "maksAs"),
    ("marcq en baroeul", "markAbarEl"), ("", ""),
])
def test_sound_exact_values(name, expected):
    assert sound(name) == expected


@pytest.mark.parametrize(("name", "typed"), [
    ("Valenciennes", "valancien"), ("Hazebrouck", "azebrou"), ("Abbeville", "abevi"), ("Saint-Quentin", "st ken"),
])
def test_a_beginning_sounds_like_the_name_s_beginning(name, typed):
    assert sound(normalise_name(name), complete=False).startswith(sound_of_beginning(normalise_name(typed)))


def test_sound_and_compact_forms_are_total_on_every_france_name():
    france = Path(__file__).resolve().parent.parent / "data" / "france_communes.csv"
    names = [line.split(",")[1] for line in france.read_text(encoding="utf-8").splitlines()[1:]]
    assert len(names) > 34_000
    for name in names[::7]:
        assert compact_forms(name) == (compact(name), compact_with_article(name))
        assert sound(normalise_name(name)).isascii()
