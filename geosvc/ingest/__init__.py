"""Ingestion: read and validate every file, then load them in one transaction (geosvc/db/load.py)."""
