"""Which mission locale structure a site belongs to, derived from the site's name.

The data has no structure column: a structure (one association, with a head office and
reception points) shows only through its sites' names. The rule:

1. drop a trailing "– antenne de …" / "- antenne d'…" (any dash): "Mission Locale Jeunes du
   Valenciennois – antenne d'Anzin" -> "Mission Locale Jeunes du Valenciennois";
2. fold what is left (lower case, no accents, "œ" -> "oe", punctuation -> spaces) and drop
   the generic words "mission", "locale", "jeunes" and the articles and prepositions
   (de, du, des, d, la, le, les, l, et): both "Mission Locale Jeunes du Valenciennois" and
   "Mission locale jeunes Valenciennois" give the key "valenciennois";
3. sites with the same key are one structure. Its name is that of its head office
   (`kind = 'siege'`) when one is known, else the most common stripped name (then the
   first alphabetically); its id is the key with hyphens.

Any other difference keeps structures apart (e.g. "Mission locale rurale Réussir-en-Sambre"
and "Mission locale Réussir en Sambre Avesnois" are two DILA records, so two structures).
A hypothetical site of a scenario goes through the same rule: name it "Mission locale de
Lille – antenne de Fives" and it counts for the Lille structure.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import unicodedata

ANTENNE_SUFFIX = re.compile(r"\s+[-–—]\s*antenne\b.*$", re.IGNORECASE)
GENERIC_WORDS = frozenset({"mission", "locale", "jeunes", "de", "du", "des", "d", "la", "le", "les", "l", "et"})
SIEGE = "siege"


@dataclasses.dataclass(frozen=True)
class Structure:
    id: str
    name: str


def stripped_name(name: str) -> str:
    """The site's name without its 'antenne de …' suffix."""
    return ANTENNE_SUFFIX.sub("", name).strip()


def structure_key(name: str) -> str:
    words = _fold(stripped_name(name)).split()
    kept = [word for word in words if word not in GENERIC_WORDS]
    # a name made only of generic words ("Mission locale") keeps them rather than vanish
    return "-".join(kept or words) or "unnamed"


def derive(sites: list[dict]) -> dict[str, Structure]:
    """site id -> its structure, for rows with id, name and kind."""
    members: dict[str, list[dict]] = collections.defaultdict(list)
    for site in sites:
        members[structure_key(site["name"])].append(site)
    by_site = {}
    for key, group in members.items():
        structure = Structure(id=key, name=_structure_name(group))
        for site in group:
            by_site[site["id"]] = structure
    return by_site


def _structure_name(group: list[dict]) -> str:
    head_offices = sorted(stripped_name(s["name"]) for s in group if s.get("kind") == SIEGE)
    if head_offices:
        return head_offices[0]
    counts = collections.Counter(stripped_name(s["name"]) for s in group)
    return min(counts, key=lambda name: (-counts[name], name))


def _fold(text: str) -> str:
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", text)
