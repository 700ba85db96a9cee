"""Thin wrapper: `python scripts/ingest.py [--data-dir DIR] [--geocode]` == `geosvc ingest ...`."""

from geosvc.cli import ingest

if __name__ == "__main__":
    ingest()
