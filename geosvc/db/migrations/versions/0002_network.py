"""The mission-locale network: missions_locales, zones, commune_own_sites; sites' new columns.

* new tables `missions_locales` (the union's organisations), `zones` (commune -> mission
  locale) and `commune_own_sites` (each commune's own sites, ranked at ingestion);
* new columns on `mission_sites`: `mission_locale` (foreign key, indexed), `email`, `hours`
  (JSONB), `accessibility`, `confirmed`;
* dropped: the table `mission_assignments` (replaced by zones) and the unused indexes
  `communes_search_name` and `communes_codes_postaux_gin`.

Every existing row is kept; the new columns are NULL (or their default) until the next
ingestion fills them. To extend it before it is released: a new column of mission_sites
goes in `_site_columns()`, a new table in `_create_tables()` (and its name in
NEW_TABLES); once a database runs it, a later change is a new revision.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# children before parents (dropped in this order, created in the reverse one)
NEW_TABLES = ("commune_own_sites", "zones", "missions_locales")


def _site_columns() -> list[sa.Column]:
    """The columns added to mission_sites (fresh objects on every call: a Column has one table)."""
    return [
        # the union's code of the site's mission locale; its foreign key and index follow
        sa.Column("mission_locale", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("hours", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("accessibility", sa.Text(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    ]


def _create_tables() -> None:
    op.create_table(
        "missions_locales",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("official_name", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("head_office_insee", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code", name="missions_locales_pkey"),
    )
    op.create_table(
        "zones",
        sa.Column("insee", sa.String(5), nullable=False),
        sa.Column("mission_locale", sa.Text(), nullable=False),
        sa.Column("several", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(["insee"], ["communes.code"], name="zones_insee_fkey"),
        sa.ForeignKeyConstraint(["mission_locale"], ["missions_locales.code"], name="zones_mission_locale_fkey"),
        sa.PrimaryKeyConstraint("insee", "mission_locale", name="zones_pkey"),
    )
    op.create_index("ix_zones_mission_locale", "zones", ["mission_locale"])
    op.create_table(
        "commune_own_sites",
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("mission_locale", sa.Text(), nullable=False),
        sa.Column("site_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("distances_m", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["communes.code"], name="commune_own_sites_code_fkey"),
        sa.ForeignKeyConstraint(["mission_locale"], ["missions_locales.code"],
                                name="commune_own_sites_mission_locale_fkey"),
        sa.PrimaryKeyConstraint("code", "mission_locale", name="commune_own_sites_pkey"),
    )


def upgrade() -> None:
    _create_tables()

    for column in _site_columns():
        op.add_column("mission_sites", column)
    op.create_foreign_key("mission_sites_mission_locale_fkey", "mission_sites", "missions_locales",
                          ["mission_locale"], ["code"])
    op.create_index("ix_mission_sites_mission_locale", "mission_sites", ["mission_locale"])

    op.drop_table("mission_assignments")  # its index and foreign keys go with it
    op.drop_index("communes_search_name", table_name="communes")
    op.drop_index("communes_codes_postaux_gin", table_name="communes")


def downgrade() -> None:
    # as revision 0001 created them; mission_assignments comes back empty
    op.create_index("communes_codes_postaux_gin", "communes", ["codes_postaux"], postgresql_using="gin")
    op.create_index("communes_search_name", "communes", ["search_name"],
                    postgresql_ops={"search_name": "text_pattern_ops"})
    op.create_table(
        "mission_assignments",
        sa.Column("insee", sa.String(5), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["insee"], ["communes.code"], name="mission_assignments_insee_fkey"),
        sa.ForeignKeyConstraint(["site_id"], ["mission_sites.id"], name="mission_assignments_site_id_fkey"),
        sa.PrimaryKeyConstraint("insee", name="mission_assignments_pkey"),
    )
    op.create_index("ix_mission_assignments_site_id", "mission_assignments", ["site_id"])

    op.drop_index("ix_mission_sites_mission_locale", table_name="mission_sites")
    op.drop_constraint("mission_sites_mission_locale_fkey", "mission_sites", type_="foreignkey")
    for column in reversed(_site_columns()):
        op.drop_column("mission_sites", column.name)

    for table in NEW_TABLES:
        op.drop_table(table)
