"""SQL on the `datasets` table: which files the data came from, and when it changed."""

from __future__ import annotations

from psycopg import Cursor

from geosvc.core.rules import SITE_SERVED

# Every ingestion rewrites `datasets` (new loaded_at, sha256 per file) in the same
# transaction as the data: a few rows, so comparing them is a cheap change test.
DATA_FINGERPRINT = """
    SELECT coalesce(string_agg(d.name || ' ' || d.sha256 || ' ' || d.loaded_at::text, ', ' ORDER BY d.name), '')
           AS fingerprint
    FROM datasets d
"""

DATA_VINTAGE = f"""
    SELECT d.name, d.file, d.source, d.vintage, d.rows, d.loaded_at, d.sha256,
           CASE WHEN d.name = 'missions' THEN (
               SELECT json_build_object('from', min(source_date), 'to', max(source_date))
               FROM mission_sites WHERE status = '{SITE_SERVED}'
           ) END AS records_dated
    FROM datasets d ORDER BY d.name
"""

HEALTH = f"""
    SELECT (SELECT count(*) FROM communes) AS communes,
           (SELECT count(*) FROM mission_sites WHERE status = '{SITE_SERVED}') AS served_sites,
           (SELECT count(*) FROM mission_sites) AS sites,
           (SELECT count(*) FROM former_communes) AS former_communes
"""


def data_fingerprint(cursor: Cursor) -> str:
    """Changes with every ingestion: name, sha256 and load time of each dataset."""
    return cursor.execute(DATA_FINGERPRINT).fetchone()["fingerprint"]


def data_vintage(cursor: Cursor) -> list[dict]:
    return cursor.execute(DATA_VINTAGE).fetchall()


def health(cursor: Cursor) -> dict:
    return cursor.execute(HEALTH).fetchone()
