"""SQL of the TER travel times: what the ingestion routes, stores, and what the service reads back.

The requests are read inside the load's transaction, from the rows it has just written: each
commune's reference point (communes.point), the served sites of its own mission locale(s)
(commune_own_sites, over all its zones) and its nearest served site (commune_nearest, rank 1).
"""

from __future__ import annotations

import dataclasses
import json

from psycopg import Cursor
from psycopg.types.json import Jsonb

from geosvc.core.transit import COLUMNS, Request, TransitRow

POINTS = """
    SELECT c.code, ST_X(c.point::geometry) AS lon, ST_Y(c.point::geometry) AS lat FROM communes c ORDER BY c.code
"""

SITES = """
    SELECT s.id, ST_X(s.geog::geometry) AS lon, ST_Y(s.geog::geometry) AS lat
    FROM mission_sites s WHERE s.geog IS NOT NULL
"""

# every served site of every own mission locale of the commune (commune_own_sites holds only
# served sites), in ascending id so that a target set is the same whatever the zones' order
OWN_TARGETS = """
    SELECT o.code, array_agg(DISTINCT site_id ORDER BY site_id) AS site_ids
    FROM commune_own_sites o, unnest(o.site_ids) AS site_id
    GROUP BY o.code
"""

NEAREST_TARGETS = "SELECT n.code, n.site_ids[1] AS site_id FROM commune_nearest n WHERE cardinality(n.site_ids) > 0"

RUN = """
    INSERT INTO transit_run (id, file, sha256, feed_version, service_date, attribution, method, stops, connections,
                             seconds)
    VALUES (1, %(file)s, %(sha256)s, %(feed_version)s, %(service_date)s, %(attribution)s, %(method)s, %(stops)s,
            %(connections)s, %(seconds)s)
"""

READ_RUN = """
    SELECT file, sha256, feed_version, service_date, attribution, method, stops, connections, seconds
    FROM transit_run WHERE id = 1
"""

# The stored rows without their legs (a scenario reads the legs of the communes that change only): ~0.1 s
BRIEF_ROWS = "SELECT code, target, mode, minutes, site_id, kind, departure, arrival FROM commune_transit"
LEGS_OF = "SELECT code, target, mode, legs FROM commune_transit WHERE code = ANY(%(codes)s)"

READ_ROWS = f"SELECT {', '.join(COLUMNS)} FROM commune_transit WHERE target = %(target)s ORDER BY code, mode"


def requests(cursor: Cursor) -> list[Request]:
    """One request per commune and target it has (a commune on no zone has no 'own' request)."""
    points = {row["code"]: (row["lon"], row["lat"]) for row in cursor.execute(POINTS)}
    sites = {row["id"]: (row["lon"], row["lat"]) for row in cursor.execute(SITES)}
    own = {row["code"]: tuple(row["site_ids"]) for row in cursor.execute(OWN_TARGETS)}
    nearest = {row["code"]: (row["site_id"],) for row in cursor.execute(NEAREST_TARGETS)}
    out = []
    for code, origin in points.items():
        for target, ids in (("own", own.get(code)), ("nearest", nearest.get(code))):
            if ids:
                out.append(Request(code, target, origin, ids, tuple(sites[i] for i in ids)))
    return out


def copy_rows(cursor: Cursor, rows) -> int:
    count = 0
    with cursor.copy(f"COPY commune_transit ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            legs = None if row.legs is None else json.dumps(row.legs, ensure_ascii=False)
            copy.write_row(dataclasses.replace(row, legs=legs).columns())
            count += 1
    return count


def insert_run(cursor: Cursor, run: dict) -> None:
    cursor.execute(RUN, run | {"method": Jsonb(run["method"])})


def run(cursor: Cursor) -> dict | None:
    """The computation's description, or None when no timetable was loaded with the data."""
    return cursor.execute(READ_RUN).fetchone()


def rows(cursor: Cursor, target: str) -> list[TransitRow]:
    """The stored rows of one target ('own' is all the API answers with)."""
    return [TransitRow(**row) for row in cursor.execute(READ_ROWS, {"target": target})]


def brief_rows(cursor: Cursor) -> list[dict]:
    return cursor.execute(BRIEF_ROWS).fetchall()


def legs_of(cursor: Cursor, codes: list[str]) -> list[dict]:
    return cursor.execute(LEGS_OF, {"codes": codes}).fetchall()
