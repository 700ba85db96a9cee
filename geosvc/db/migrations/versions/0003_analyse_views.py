"""The `analyse` schema: views of the coverage by the official zones, for QGIS and the GeoPackage.

Five relations, each with one typed geometry column (SRID 4326) so that QGIS and GDAL
see its type, read by the analysts through the read-only role (docs/QGIS.md):

* `analyse.communes` (view): every commune, its nearest served site (commune_nearest,
  rank 1), its own mission locale and that one's nearest served site (zones +
  commune_own_sites; on several zones, the one whose site is nearest), the extra
  distance and whether the nearest site belongs to another mission locale (`mismatch`);
* `analyse.mismatch` (view): the communes of `analyse.communes` where `mismatch` is true;
* `analyse.sites` (view): the served sites as points;
* `analyse.zones` (materialized view): each mission locale's zone, the union of its communes;
* `analyse.catchments` (materialized view): the communes dissolved by the mission locale of
  their nearest site.

Distances are the geodesic metres (WGS84 spheroid) ranked at ingestion, never recomputed,
rounded to 0.1 m as the API rounds them. The two unions take about a second each, too slow
for a view QGIS queries at every redraw: they are materialized, with a unique and a GiST
index, and refreshed by every ingestion inside its transaction (geosvc/db/analyse.py).

`analyse` is a reserved word of PostgreSQL (ANALYSE, the British ANALYZE): SQL written by
hand must quote it ("analyse".communes); QGIS and GDAL quote it themselves.

Run as the owner of the tables (`geosvc db upgrade`, or inside an ingestion): the views
belong to it, and only the owner may refresh a materialized view. The roles that may read
the tables (the grants on `communes` and the owner's default privileges, as `geosvc db
setup` gives them to the reader) get USAGE on the schema, SELECT on every relation, and
default privileges on what a later revision adds there.

Frozen: a revision never imports geosvc.db.models or geosvc.core; a later change to a view
is a new revision (CREATE OR REPLACE VIEW may add columns at the end; a materialized view
is dropped and created again, which keeps its grants through the default privileges).

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = '"analyse"'  # always quoted: a reserved word

COMMUNES = f"""
CREATE VIEW {SCHEMA}.communes AS
SELECT c.code, c.nom, c.departement, c.epci, e.nom AS epci_nom, c.population,
       n.site_ids[1] AS nearest_site_id, ns.name AS nearest_site_name,
       ns.mission_locale AS nearest_mission_locale, nm.name AS nearest_mission_locale_name,
       round(n.distances_m[1]::numeric, 1)::double precision AS nearest_distance_m,
       own.mission_locale AS own_mission_locale, own.mission_locale_name AS own_mission_locale_name,
       own.several AS own_several, own.site_id AS own_site_id, os.name AS own_site_name,
       round(own.distance_m::numeric, 1)::double precision AS own_distance_m,
       round((own.distance_m - n.distances_m[1])::numeric, 1)::double precision AS extra_distance_m,
       CASE WHEN own.mission_locale IS NOT NULL THEN NOT EXISTS (
           SELECT 1 FROM zones mine WHERE mine.insee = c.code AND mine.mission_locale = ns.mission_locale
       ) END AS mismatch,
       c.geom::geometry(MultiPolygon, 4326) AS geom
FROM communes c
LEFT JOIN epci e ON e.siren = c.epci
LEFT JOIN commune_nearest n ON n.code = c.code
LEFT JOIN mission_sites ns ON ns.id = n.site_ids[1]
LEFT JOIN missions_locales nm ON nm.code = ns.mission_locale
LEFT JOIN LATERAL (
    -- the commune's own mission locale; on several zones, the one whose served site is nearest
    -- (ties to the lower site id), or the first by code when none of them has a served site
    SELECT z.mission_locale, m.name AS mission_locale_name,
           count(*) OVER () > 1 OR bool_or(z.several) OVER () AS several,
           o.site_ids[1] AS site_id, o.distances_m[1] AS distance_m
    FROM zones z
    JOIN missions_locales m ON m.code = z.mission_locale
    LEFT JOIN commune_own_sites o ON o.code = z.insee AND o.mission_locale = z.mission_locale
    WHERE z.insee = c.code
    ORDER BY o.site_ids[1] IS NULL, o.distances_m[1], o.site_ids[1], z.mission_locale
    LIMIT 1
) own ON true
LEFT JOIN mission_sites os ON os.id = own.site_id
"""

MISMATCH = f"""
CREATE VIEW {SCHEMA}.mismatch AS
SELECT code, nom, departement, epci, epci_nom, population,
       own_mission_locale, own_mission_locale_name, own_several, own_site_id, own_site_name, own_distance_m,
       nearest_site_id, nearest_site_name, nearest_mission_locale, nearest_mission_locale_name, nearest_distance_m,
       extra_distance_m, geom
FROM {SCHEMA}.communes
WHERE mismatch
"""

SITES = f"""
CREATE VIEW {SCHEMA}.sites AS
SELECT s.id, s.name, s.kind, s.mission_locale, m.name AS mission_locale_name,
       s.address, s.postcode, s.city, s.insee, c.nom AS commune,
       s.location_precision, s.source_date AS record_date, s.confirmed,
       s.geog::geometry(Point, 4326) AS geom
FROM mission_sites s
JOIN communes c ON c.code = s.insee
LEFT JOIN missions_locales m ON m.code = s.mission_locale
WHERE s.status = 'served'
"""

# ST_CollectionExtract(..., 3) keeps the polygons of a union: never a GeometryCollection that
# the MultiPolygon column would refuse (which would fail the ingestion that refreshes it).
ZONES = f"""
CREATE MATERIALIZED VIEW {SCHEMA}.zones AS
SELECT u.code, u.name, u.communes, u.population,
       round((ST_Area(u.geom::geography) / 1e6)::numeric, 2)::double precision AS area_km2,
       round(u.mean_own::numeric, 1)::double precision AS mean_own_distance_m,
       round(u.weighted_own::numeric, 1)::double precision AS weighted_mean_own_distance_m,
       round(u.max_own::numeric, 1)::double precision AS max_own_distance_m,
       u.geom::geometry(MultiPolygon, 4326) AS geom
FROM (
    SELECT m.code, m.name, count(*)::integer AS communes,
           coalesce(sum(c.population), 0)::integer AS population,
           avg(o.distances_m[1]) AS mean_own,
           sum(o.distances_m[1] * c.population) / nullif(sum(c.population) FILTER (
               WHERE o.distances_m[1] IS NOT NULL), 0) AS weighted_own,
           max(o.distances_m[1]) AS max_own,
           ST_Multi(ST_CollectionExtract(ST_Union(c.geom), 3)) AS geom
    FROM missions_locales m
    JOIN zones z ON z.mission_locale = m.code
    JOIN communes c ON c.code = z.insee
    LEFT JOIN commune_own_sites o ON o.code = z.insee AND o.mission_locale = z.mission_locale
    GROUP BY m.code, m.name
) u
"""

CATCHMENTS = f"""
CREATE MATERIALIZED VIEW {SCHEMA}.catchments AS
SELECT u.mission_locale, m.name AS mission_locale_name, u.communes, u.population,
       round(u.mean_distance::numeric, 1)::double precision AS mean_distance_m,
       round(u.weighted_distance::numeric, 1)::double precision AS weighted_mean_distance_m,
       round(u.max_distance::numeric, 1)::double precision AS max_distance_m,
       round((ST_Area(u.geom::geography) / 1e6)::numeric, 2)::double precision AS area_km2,
       u.geom::geometry(MultiPolygon, 4326) AS geom
FROM (
    SELECT s.mission_locale, count(*)::integer AS communes,
           coalesce(sum(c.population), 0)::integer AS population,
           avg(n.distances_m[1]) AS mean_distance,
           sum(n.distances_m[1] * c.population) / nullif(sum(c.population), 0) AS weighted_distance,
           max(n.distances_m[1]) AS max_distance,
           ST_Multi(ST_CollectionExtract(ST_Union(c.geom), 3)) AS geom
    FROM communes c
    JOIN commune_nearest n ON n.code = c.code
    JOIN mission_sites s ON s.id = n.site_ids[1]
    WHERE s.mission_locale IS NOT NULL
    GROUP BY s.mission_locale
) u
JOIN missions_locales m ON m.code = u.mission_locale
"""

INDEXES = [
    # the unique indexes let the ingestion refresh CONCURRENTLY (readers never wait for it)
    f"CREATE UNIQUE INDEX analyse_zones_code ON {SCHEMA}.zones (code)",
    f"CREATE INDEX analyse_zones_geom_gist ON {SCHEMA}.zones USING gist (geom)",
    f"CREATE UNIQUE INDEX analyse_catchments_mission_locale ON {SCHEMA}.catchments (mission_locale)",
    f"CREATE INDEX analyse_catchments_geom_gist ON {SCHEMA}.catchments USING gist (geom)",
]

COMMENTS = [
    f"COMMENT ON SCHEMA {SCHEMA} IS 'geosvc: coverage by the official zones of the missions locales, "
    "for QGIS (docs/QGIS.md); distances in geodesic metres (WGS84), rounded to 0.1 m'",
    f"COMMENT ON VIEW {SCHEMA}.communes IS 'One row per commune: its nearest served site (any mission locale), "
    "its own mission locale (the union''s zones) and that one''s nearest served site, the extra distance, "
    "and mismatch (the nearest site belongs to another mission locale; NULL without a zone)'",
    f"COMMENT ON VIEW {SCHEMA}.mismatch IS 'The communes whose nearest served site belongs to another mission "
    "locale than their own'",
    f"COMMENT ON VIEW {SCHEMA}.sites IS 'The served mission locale sites; location_precision commune: placed at "
    "its commune''s reference point'",
    f"COMMENT ON MATERIALIZED VIEW {SCHEMA}.zones IS 'One row per mission locale with a zone: the union of its "
    "communes, geodesic area, own-site distances of its communes; refreshed by every ingestion'",
    f"COMMENT ON MATERIALIZED VIEW {SCHEMA}.catchments IS 'The communes dissolved by the mission locale of their "
    "nearest served site; refreshed by every ingestion'",
    f"COMMENT ON COLUMN {SCHEMA}.communes.own_distance_m IS 'Geodesic metres from the commune''s reference "
    "point to the nearest served site of its own mission locale'",
    f"COMMENT ON COLUMN {SCHEMA}.communes.extra_distance_m IS 'own_distance_m - nearest_distance_m'",
]

# Who may read the tables: the grants on communes and the owner's default privileges in its
# schema (what `geosvc db setup` gives the read-only role), never PUBLIC nor the owner itself.
READERS = """
    SELECT DISTINCT r.rolname
    FROM (
        SELECT (aclexplode(d.defaclacl)).*
        FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace
        WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND n.nspname = current_schema() AND d.defaclobjtype = 'r'
        UNION ALL
        SELECT (aclexplode(c.relacl)).* FROM pg_class c WHERE c.oid = to_regclass('communes')
    ) acl
    JOIN pg_roles r ON r.oid = acl.grantee
    WHERE acl.privilege_type = 'SELECT' AND r.rolname <> current_user
    ORDER BY r.rolname
"""

TABLES_OWNER = "SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = to_regclass('communes')"


def upgrade() -> None:
    bind = op.get_bind()
    owner, role = bind.execute(sa.text(TABLES_OWNER)).scalar(), bind.execute(sa.text("SELECT current_user")).scalar()
    if owner != role:
        raise RuntimeError(
            f"revision {revision} creates views and materialized views that the ingestion refreshes: run it as "
            f"the owner of the tables ({owner}), e.g. `geosvc db upgrade` with GEOSVC_DATABASE_URL, not as {role}"
        )
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    for statement in (COMMUNES, MISMATCH, SITES, ZONES, CATCHMENTS, *INDEXES, *COMMENTS):
        op.execute(statement)
    preparer = bind.dialect.identifier_preparer
    for reader in bind.execute(sa.text(READERS)).scalars():
        quoted = preparer.quote_identifier(reader)
        op.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {quoted}")
        op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {quoted}")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA} GRANT SELECT ON TABLES TO {quoted}")


def downgrade() -> None:
    # each object by name, then the schema without CASCADE: anything else someone put in the
    # schema stops the downgrade rather than being dropped with it
    for statement in (
        f"DROP MATERIALIZED VIEW {SCHEMA}.catchments",
        f"DROP MATERIALIZED VIEW {SCHEMA}.zones",
        f"DROP VIEW {SCHEMA}.sites",
        f"DROP VIEW {SCHEMA}.mismatch",
        f"DROP VIEW {SCHEMA}.communes",
    ):
        op.execute(statement)
    # the default privileges given in the schema go with it
    op.execute(f"DROP SCHEMA {SCHEMA}")
