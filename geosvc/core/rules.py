"""The domain's rules, each written once: codes, limits, site states, distances.

Everything else (schemas, SQL, ingestion, answers) imports these; raising a limit here
raises it everywhere, so no layer can silently truncate another's answers.
"""

from __future__ import annotations

import re


def whole(pattern: str) -> re.Pattern:
    """Compile a `^...$` pattern so that it matches a whole string and nothing else.

    The `_PATTERN` strings keep `^...$`: that is what the OpenAPI document (ECMA-262, where `$`
    is the end of the input) and PostgreSQL's CHECK constraints read. In Python, `$` also
    matches before a trailing newline ("59\n" would pass), so the compiled forms end in `\\Z`:
    `.match` and `.fullmatch` on them accept exactly the documented strings.
    """
    body = pattern.removeprefix("^").removesuffix("$")
    return re.compile(rf"^(?:{body})\Z")


# INSEE commune code (COG): two digits of department (2A/2B for Corsica) and three digits.
COMMUNE_CODE_PATTERN = r"^(?:[0-9]{2}|2[AB])[0-9]{3}$"
COMMUNE_CODE = whole(COMMUNE_CODE_PATTERN)
# Department code: metropolitan (two digits, 2A, 2B) or overseas (97x).
DEPARTEMENT_CODE_PATTERN = r"^(?:[0-9]{2}|2[AB]|97[0-9])$"
DEPARTEMENT_CODE = whole(DEPARTEMENT_CODE_PATTERN)
# EPCI: its SIREN, nine digits.
EPCI_CODE_PATTERN = r"^[0-9]{9}$"

# Numbers as clients may write them in a query string or a JSON string: ASCII digits only (no
# full-width or Arabic-Indic digits, no `3_0`, no spaces, no `nan`/`inf`), which Python's int()
# and float() would all accept. Bounded lengths: int() refuses more than 4,300 digits with a
# ValueError, and nothing here needs more than a handful.
INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,15}\Z")
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?\Z")

# How many nearest sites an answer may list (k = 1..MAX_K); the ingestion precomputes
# exactly this many per commune, so the two can never disagree.
MAX_K = 20
DEFAULT_K = 3

# The states a mission site row can be in; only served sites are ever answered.
SITE_SERVED = "served"
SITE_SUPERSEDED = "superseded"  # a newer row (superseded_by) replaces its address
SITE_REJECTED = "rejected"  # kept for the record, but its point failed a check
SITE_STATUSES = (SITE_SERVED, SITE_SUPERSEDED, SITE_REJECTED)

PRECISION_ADDRESS = "address"  # coordinates of the street address
PRECISION_COMMUNE = "commune"  # no coordinates: placed at the commune's reference point
PRECISIONS = (PRECISION_ADDRESS, PRECISION_COMMUNE)

# A point within this distance of a commune of the region counts as inside it (seafront
# and border positions can fall just outside the simplified polygons).
REGION_TOLERANCE_M = 2000

DISTANCE_METHOD = (
    "geodesic distance on the WGS84 ellipsoid (PostGIS geography ST_Distance, spheroid), in metres, "
    "from the commune's reference point (ST_PointOnSurface of its polygon) to the site's point"
)


def round_distance(distance_m: float) -> float:
    """Metres to one decimal: far below the data's own precision, and stable across platforms."""
    return round(distance_m, 1)


def round_degrees(value: float) -> float:
    """Longitude or latitude to 7 decimals, about 1 cm: no false precision, no float noise."""
    return round(value, 7)
