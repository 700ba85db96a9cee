"""SQL on the `analyse` schema: the views QGIS reads, the layers of coverage.gpkg, their refresh.

The views are defined once, by revision 0003 (geosvc/db/migrations/versions/0003_analyse_views.py);
everything here reads them through the catalog, so a column a later revision adds to a view
reaches the GeoPackage without a change here.

`analyse` is a reserved word of PostgreSQL (ANALYSE, the British ANALYZE): it is always
quoted (psycopg's sql.Identifier does it).
"""

from __future__ import annotations

import dataclasses

from psycopg import Cursor, sql
from psycopg.rows import tuple_row

SCHEMA = "analyse"
GEOMETRY_COLUMN = "geom"
# Each layer and its key: one row per key value, the order of the rows, and the column QGIS
# is told to use as the feature id of a view (docs/QGIS.md).
LAYERS: dict[str, str] = {
    "communes": "code",
    "zones": "code",
    "catchments": "mission_locale",
    "mismatch": "code",
    "sites": "id",
    "transit": "code",  # revision 0004: the TER travel times (docs/TRANSIT.md)
}

COLUMNS = """
    SELECT a.attname AS name, t.typname AS type
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_type t ON t.oid = a.atttypid
    WHERE n.nspname = %(schema)s AND c.relname = %(name)s AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
"""

# What QGIS and GDAL read too: the type and SRID of the typed geometry column.
GEOMETRY = """
    SELECT f_geometry_column AS name, type, srid FROM geometry_columns
    WHERE f_table_schema = %(schema)s AND f_table_name = %(name)s
"""

MATERIALIZED = """
    SELECT matviewname, ispopulated FROM pg_matviews WHERE schemaname = %(schema)s ORDER BY matviewname
"""


@dataclasses.dataclass(frozen=True)
class Layer:
    name: str
    key: str
    columns: list[tuple[str, str]]  # (name, PostgreSQL type name), the geometry column left out
    geometry_type: str  # as geometry_columns says it: MULTIPOLYGON, POINT
    srid: int
    rows: list[dict]  # the geometry as WKB (bytes) under GEOMETRY_COLUMN


def relation(name: str) -> sql.Identifier:
    return sql.Identifier(SCHEMA, name)


def layer(cursor: Cursor, name: str) -> Layer:
    """Every row of the view `analyse.<name>`, ordered by its key, the geometry as WKB.

    `cursor` returns dict rows, as every cursor of the service and of the commands does.
    """
    key = LAYERS[name]
    names = {"schema": SCHEMA, "name": name}
    columns = [(row["name"], row["type"]) for row in cursor.execute(COLUMNS, names).fetchall()]
    geometry = cursor.execute(GEOMETRY, names).fetchone()
    if not columns or geometry is None:
        raise LookupError(f"{SCHEMA}.{name}: no such view with a geometry column (is the schema at revision 0003?)")
    attributes = [(column, kind) for column, kind in columns if column != geometry["name"]]
    query = sql.SQL("SELECT {columns}, ST_AsBinary({geometry}) AS {alias} FROM {relation} ORDER BY {key}").format(
        columns=sql.SQL(", ").join(sql.Identifier(column) for column, _ in attributes),
        geometry=sql.Identifier(geometry["name"]),
        alias=sql.Identifier(GEOMETRY_COLUMN),
        relation=relation(name),
        key=sql.Identifier(key),
    )
    rows = cursor.execute(query).fetchall()
    return Layer(name=name, key=key, columns=attributes, geometry_type=geometry["type"], srid=geometry["srid"],
                 rows=rows)


def refresh(cursor: Cursor) -> list[str]:
    """Refresh every materialized view of the schema; returns their names.

    Called by the ingestion inside its transaction, after the tables are loaded: CONCURRENTLY,
    so a reader (QGIS) keeps reading the previous rows without waiting, as it does the tables,
    and sees the new ones at the commit. A view never populated (impossible through revision
    0003, which creates them with data) is refreshed plainly.
    """
    with cursor.connection.cursor(row_factory=tuple_row) as own:
        views = own.execute(MATERIALIZED, {"schema": SCHEMA}).fetchall()
        for name, populated in views:
            statement = "REFRESH MATERIALIZED VIEW CONCURRENTLY {}" if populated else "REFRESH MATERIALIZED VIEW {}"
            own.execute(sql.SQL(statement).format(relation(name)))
            own.execute(sql.SQL("ANALYZE {}").format(relation(name)))
    return [name for name, _ in views]
