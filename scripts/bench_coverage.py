"""Thin wrapper: time the region's coverage and check it by brute force (geosvc/coverage/bench.py).

Usage: .venv/bin/python scripts/bench_coverage.py [--runs N]   (reads GEOSVC_DATABASE_URL)
"""

import sys

from geosvc_tools.coverage_bench import main

if __name__ == "__main__":
    sys.exit(main())
