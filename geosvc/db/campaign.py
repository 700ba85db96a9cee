"""Every SQL statement of the campaign feeds, as a named constant. Bind parameters only.

Nearest sites follow geosvc/ingest/load.py (NEAREST_TABLE): the KNN operator `<->` on geography
orders by *sphere* distance and only picks a few candidates through the GiST index; they are
then ranked by `ST_Distance` on the WGS84 spheroid (geodesic metres), or near-ties could
come out swapped.
"""

from __future__ import annotations

from geosvc.db.models import SITE_SERVED
from geosvc.db.queries import SITE_COLUMNS

# Homonyms, by the rule the search labels use (geosvc.search.label): names equal once
# case, accents, separators, St/Saint and a leading article are ignored; `search_name` is
# geosvc.textnorm.normalise_name(nom), so dropping its spaces gives textnorm.compact(nom).
# Counted over the whole region: "Brie" of the Aisne is a homonym of "Brie" of the Somme.
HOMONYM_KEYS_CTE = """
    homonym_keys AS (
        SELECT replace(h.search_name, ' ', '') AS name_key
        FROM communes h
        GROUP BY 1
        HAVING count(*) > 1
    )
"""
IS_HOMONYM = "EXISTS (SELECT 1 FROM homonym_keys k WHERE k.name_key = replace(c.search_name, ' ', ''))"

# French order: ICU's French collation ignores case and accents at the first level
# (Écaillon sorts among the E, Œuilly as Oeuilly) and sorts the name as written, article
# included (Le Quesnoy under L), as the displayed labels begin. `fr-x-icu` is created by
# initdb on any PostgreSQL built with ICU (Debian's is); tests/test_campaign.py checks it
# agrees with geosvc.textnorm.sort_key on every department.
FRENCH_ORDER = 'COLLATE "fr-x-icu"'

# Every ingestion rewrites `datasets` (sha256 and loaded_at per file) in the same
# transaction as the data: comparing these few rows tells whether any answer may differ.
DEPARTEMENTS = """
    SELECT d.code, d.nom, count(c.code)::int AS communes_count
    FROM departements d LEFT JOIN communes c ON c.departement = d.code
    GROUP BY d.code, d.nom
    ORDER BY d.code
"""

# The whole department in one statement: one KNN probe per commune through the partial
# GiST index on served sites, inside a LATERAL join (a per-row constant point, so the
# index is used), then the spheroid ranking. LEFT JOIN: a commune stays listed, with no
# mission, if no site at all is served.
DEPARTEMENT_COMMUNES = f"""
    WITH {HOMONYM_KEYS_CTE}
    SELECT c.code, c.nom, c.codes_postaux, {IS_HOMONYM} AS homonym,
           d.nom AS departement_nom,
           nearest.id, nearest.name, nearest.city, nearest.location_precision, nearest.distance_m
    FROM communes c
    JOIN departements d ON d.code = c.departement
    LEFT JOIN LATERAL (
        SELECT candidate.id, candidate.name, candidate.city, candidate.location_precision,
               ST_Distance(candidate.geog, c.point) AS distance_m
        FROM (
            SELECT s.id, s.name, s.city, s.location_precision, s.geog
            FROM mission_sites s
            WHERE s.status = '{SITE_SERVED}'
            ORDER BY s.geog <-> c.point
            LIMIT %(candidates)s
        ) AS candidate
        ORDER BY distance_m, candidate.id
        LIMIT 1
    ) AS nearest ON true
    WHERE c.departement = %(departement)s
    ORDER BY c.nom {FRENCH_ORDER}, c.code
"""

# The commune a point is in, or else the nearest one within the tolerance (a seafront or
# border position can fall just outside the simplified polygons). The box in degrees only
# pre-filters through the GiST index on geom: 0.05° is at least 3.2 km in the region.
# ST_DWithin/ST_Distance on geography are geodesic (spheroid).
COMMUNE_AT_POINT = f"""
    WITH {HOMONYM_KEYS_CTE},
    point AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom)
    SELECT c.code, c.nom, c.departement, {IS_HOMONYM} AS homonym,
           ST_Distance(c.geom::geography, point.geom::geography) AS distance_m
    FROM point
    JOIN communes c ON c.geom && ST_Expand(point.geom, %(box_deg)s)
                   AND ST_DWithin(c.geom::geography, point.geom::geography, %(tolerance_m)s)
    ORDER BY distance_m, c.code
    LIMIT 1
"""

NEAREST_TO_POINT = f"""
    WITH point AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS geog)
    SELECT candidate.*, ST_Distance(candidate.geog, point.geog) AS distance_m
    FROM point
    CROSS JOIN LATERAL (
        SELECT {SITE_COLUMNS}, s.geog
        FROM mission_sites s
        WHERE s.status = '{SITE_SERVED}'
        ORDER BY s.geog <-> point.geog
        LIMIT %(candidates)s
    ) AS candidate
    ORDER BY distance_m, candidate.id
    LIMIT %(k)s
"""

# 6 decimals of a degree is about 10 cm: more would be noise on simplified boundaries.
COMMUNE_OUTLINE = f"""
    WITH {HOMONYM_KEYS_CTE}
    SELECT c.code, c.nom, c.departement, {IS_HOMONYM} AS homonym,
           ST_AsGeoJSON(c.geom, 6)::json AS geometry
    FROM communes c
    WHERE c.code = %(code)s
"""
