"""Thin wrapper: latency of the public reads with the database stopped (logic in geosvc_tools/away_bench.py)."""

import sys

from geosvc_tools.away_bench import main

if __name__ == "__main__":
    sys.exit(main())
