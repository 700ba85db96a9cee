"""SQL on mission sites. Bind parameters only; only served sites are ever answered."""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import SITE_SERVED

SITE_COLUMNS = """
    s.id, s.mission_locale, s.name, s.kind, s.address, s.postcode, s.city, s.insee, s.phone, s.email, s.website,
    s.hours, s.accessibility, s.location_precision, s.source_date AS record_date, s.confirmed,
    ST_X(s.geog::geometry) AS lon, ST_Y(s.geog::geometry) AS lat
"""

LIST_SERVED_SITES = f"""
    SELECT {SITE_COLUMNS} FROM mission_sites s
    WHERE s.status = '{SITE_SERVED}' ORDER BY s.id
"""

GET_SITE = f"SELECT {SITE_COLUMNS}, s.status, s.status_reason, s.superseded_by FROM mission_sites s WHERE s.id = %(id)s"


def list_served_sites(cursor: Cursor) -> list[dict]:
    return cursor.execute(LIST_SERVED_SITES).fetchall()


def get_site(cursor: Cursor, site_id: str) -> dict | None:
    return cursor.execute(GET_SITE, {"id": site_id}).fetchone()
