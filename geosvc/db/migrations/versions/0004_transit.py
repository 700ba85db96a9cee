"""Travel time by TER (issue 16): `commune_transit`, `transit_run` and the view `analyse.transit`.

* `commune_transit`: per commune, target and mode, the earliest arrival computed at ingestion
  (geosvc/transit/): `target` 'own' (any served site of the commune's own mission locale(s)) or
  'nearest' (its nearest served site of any mission locale), `mode` 'walk' or 'bike' (to and from
  the stops); `minutes` NULL when there is no trip before the method's cutoff (the row says so,
  it is never left out); `kind` 'direct' (walking or riding to the site) or 'transit'; the legs as
  JSON. A commune without a target (no zone, or no served site) has no row for that target.
* `transit_run`: one row describing the computation the rows come from: the timetable (file,
  sha256, feed version, service date, attribution) and the method's parameters, as JSON.
* `analyse.transit` (view): one row per commune with the four travel times side by side, the
  own mission locale, the population and the polygon, for QGIS and the GeoPackage.

Frozen like every revision: a later change is a new revision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = '"analyse"'  # always quoted: a reserved word

# One commune's four results side by side; on several zones `own_mission_locale` is the one
# analyse.communes names (the zone whose site is nearest in distance), the times are to any
# served site of any of its own missions locales, as the API gives them.
TRANSIT_VIEW = f"""
CREATE VIEW {SCHEMA}.transit AS
SELECT c.code, c.nom, c.departement, c.epci, c.epci_nom, c.population,
       c.own_mission_locale, c.own_mission_locale_name,
       ow.minutes AS own_walk_minutes, ob.minutes AS own_bike_minutes,
       nw.minutes AS nearest_walk_minutes, nb.minutes AS nearest_bike_minutes,
       ow.site_id AS own_walk_site_id, ob.site_id AS own_bike_site_id,
       ow.departure AS own_walk_departure, ow.arrival AS own_walk_arrival,
       ob.departure AS own_bike_departure, ob.arrival AS own_bike_arrival,
       ow.kind AS own_walk_kind, ob.kind AS own_bike_kind,
       c.geom
FROM {SCHEMA}.communes c
LEFT JOIN commune_transit ow ON ow.code = c.code AND ow.target = 'own' AND ow.mode = 'walk'
LEFT JOIN commune_transit ob ON ob.code = c.code AND ob.target = 'own' AND ob.mode = 'bike'
LEFT JOIN commune_transit nw ON nw.code = c.code AND nw.target = 'nearest' AND nw.mode = 'walk'
LEFT JOIN commune_transit nb ON nb.code = c.code AND nb.target = 'nearest' AND nb.mode = 'bike'
"""

COMMENTS = [
    f"COMMENT ON VIEW {SCHEMA}.transit IS 'One row per commune: minutes by TER (SNCF timetable, see transit_run) "
    "from its reference point leaving at 08:00 to the earliest-reached site of its own mission locale and to its "
    "nearest site, walking or biking to and from the stops; NULL minutes: no trip before 14:00 (or no target)'",
]


def upgrade() -> None:
    op.create_table(
        "transit_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("feed_version", sa.Text(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("method", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("stops", sa.Integer(), nullable=False),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.CheckConstraint("id = 1", name="transit_run_single_row"),
        sa.PrimaryKeyConstraint("id", name="transit_run_pkey"),
    )
    op.create_table(
        "commune_transit",
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("site_id", sa.Text(), nullable=True),
        sa.Column("leave", sa.Text(), nullable=True),
        sa.Column("departure", sa.Text(), nullable=True),
        sa.Column("arrival", sa.Text(), nullable=True),
        sa.Column("access_minutes", sa.Integer(), nullable=True),
        sa.Column("egress_minutes", sa.Integer(), nullable=True),
        sa.Column("legs", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint("target IN ('own', 'nearest')", name="commune_transit_target"),
        sa.CheckConstraint("mode IN ('walk', 'bike')", name="commune_transit_mode"),
        sa.CheckConstraint("kind IS NULL OR kind IN ('direct', 'transit')", name="commune_transit_kind"),
        sa.ForeignKeyConstraint(["code"], ["communes.code"], name="commune_transit_code_fkey"),
        sa.ForeignKeyConstraint(["site_id"], ["mission_sites.id"], name="commune_transit_site_id_fkey"),
        sa.PrimaryKeyConstraint("code", "target", "mode", name="commune_transit_pkey"),
    )
    op.execute(TRANSIT_VIEW)
    for statement in COMMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute(f"DROP VIEW {SCHEMA}.transit")
    op.drop_table("commune_transit")
    op.drop_table("transit_run")
