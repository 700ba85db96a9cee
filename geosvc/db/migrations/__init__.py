"""The Alembic environment of the geosvc schema (configured in code: geosvc/db/migrate.py).

`env.py` is what Alembic runs; `versions/` holds the revisions, "0001" the schema as it
stood before migrations, each later one a change. See docs/OPERATIONS.md, "Schema migrations".
"""
