"""Thin wrapper: the TER travel times' cost at ingestion (logic in geosvc_tools/transit_bench.py)."""

import sys

from geosvc_tools.transit_bench import main

if __name__ == "__main__":
    sys.exit(main())
