"""geosvc: the nearest mission locale for every commune of Hauts-de-France, from PostGIS.

Layers, from the bottom (checked by import-linter, see pyproject.toml):
    core      domain rules, answer shapes, text normalisation, the search index (no Flask, no database)
    db        the schema, the pool and every SQL statement
    features  ingest, nearest, search, campaign, coverage (use core and db, never the web)
    web, ops  the Flask app (views, schemas, per-worker state); database setup and instances
    cli       the `geosvc` command
"""

from __future__ import annotations

__version__ = "0.1.0"
