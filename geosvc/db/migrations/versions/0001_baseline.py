"""Baseline: the schema as it stood before migrations (Base.metadata.create_all at ingestion).

Exactly tests/data/schema/before_migrations.sql (pg_dump --schema-only of a real
database), without its unused extensions (pg_trgm, fuzzystrmatch, unaccent): PostGIS
comes from `geosvc db setup`. A database created before migrations already has all of
this; geosvc/db/migrate.py recognises it and stamps it "0001" without running this.

Frozen: a revision never imports geosvc.db.models or geosvc.core, whose later values
would change what an old revision creates.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

COMMUNE_CODE_FORMAT = r"code ~ '^([0-9]{2}|2[AB])[0-9]{3}$'"


def upgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first() is None:
        raise RuntimeError("the PostGIS extension is missing from this database: run `geosvc db setup` first")

    op.create_table(
        "departements",
        sa.Column("code", sa.String(3), nullable=False),
        sa.Column("nom", sa.Text(), nullable=True),
        sa.Column("region", sa.String(3), nullable=True),
        sa.PrimaryKeyConstraint("code", name="departements_pkey"),
    )
    op.create_table(
        "epci",
        sa.Column("siren", sa.String(9), nullable=False),
        sa.Column("nom", sa.Text(), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("siren", name="epci_pkey"),
    )
    op.create_table(
        "communes",
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("nom", sa.Text(), nullable=False),
        sa.Column("search_name", sa.Text(), nullable=False),
        sa.Column("departement", sa.String(3), nullable=False),
        sa.Column("epci", sa.String(9), nullable=True),
        sa.Column("codes_postaux", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column(
            "point",
            Geography("POINT", srid=4326, spatial_index=False),
            sa.Computed("ST_PointOnSurface(geom)::geography", persisted=True),
            nullable=False,
        ),
        sa.Column("geom_repaired", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(COMMUNE_CODE_FORMAT, name="commune_code_format"),
        sa.ForeignKeyConstraint(["departement"], ["departements.code"], name="communes_departement_fkey"),
        sa.ForeignKeyConstraint(["epci"], ["epci.siren"], name="communes_epci_fkey"),
        sa.PrimaryKeyConstraint("code", name="communes_pkey"),
    )
    op.create_index("communes_codes_postaux_gin", "communes", ["codes_postaux"], postgresql_using="gin")
    op.create_index("communes_departement", "communes", ["departement"])
    op.create_index("communes_geom_gist", "communes", ["geom"], postgresql_using="gist")
    op.create_index("communes_point_gist", "communes", ["point"], postgresql_using="gist")
    op.create_index("communes_search_name", "communes", ["search_name"],
                    postgresql_ops={"search_name": "text_pattern_ops"})

    op.create_table(
        "commune_nearest",
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("site_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("distances_m", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["communes.code"], name="commune_nearest_code_fkey"),
        sa.PrimaryKeyConstraint("code", name="commune_nearest_pkey"),
    )
    op.create_table(
        "former_communes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),  # serial: former_communes_id_seq
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("nom", sa.Text(), nullable=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("code_actuel", sa.String(5), nullable=False),
        sa.ForeignKeyConstraint(["code_actuel"], ["communes.code"], name="former_communes_code_actuel_fkey"),
        sa.PrimaryKeyConstraint("id", name="former_communes_pkey"),
    )
    op.create_index("ix_former_communes_code", "former_communes", ["code"])

    op.create_table(
        "mission_sites",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("insee", sa.String(5), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("source_date", sa.Text(), nullable=True),
        sa.Column("coord_source", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("superseded_by", sa.Text(), nullable=True),
        sa.Column("location_precision", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("geog", Geography("POINT", srid=4326, spatial_index=False), nullable=True),
        sa.CheckConstraint("location_precision IN ('address', 'commune')", name="site_precision"),
        sa.CheckConstraint("status IN ('served', 'superseded', 'rejected')", name="site_status"),
        sa.ForeignKeyConstraint(["insee"], ["communes.code"], name="mission_sites_insee_fkey"),
        sa.PrimaryKeyConstraint("id", name="mission_sites_pkey"),
    )
    op.create_index("mission_sites_geog_gist", "mission_sites", ["geog"], postgresql_using="gist")
    op.create_index("mission_sites_served_geog_gist", "mission_sites", ["geog"], postgresql_using="gist",
                    postgresql_where=sa.text("status = 'served'"))

    op.create_table(
        "mission_assignments",
        sa.Column("insee", sa.String(5), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["insee"], ["communes.code"], name="mission_assignments_insee_fkey"),
        sa.ForeignKeyConstraint(["site_id"], ["mission_sites.id"], name="mission_assignments_site_id_fkey"),
        sa.PrimaryKeyConstraint("insee", name="mission_assignments_pkey"),
    )
    op.create_index("ix_mission_assignments_site_id", "mission_assignments", ["site_id"])

    op.create_table(
        "datasets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("vintage", sa.Text(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="datasets_pkey"),
    )


def downgrade() -> None:
    for table in ("datasets", "mission_assignments", "mission_sites", "former_communes", "commune_nearest",
                  "communes", "epci", "departements"):
        op.drop_table(table)
