"""Benchmark of the production topology (nginx + gunicorn) against plain `geosvc serve` and nginx
static, under slow clients and a 2,000-connection spike: see geosvc_tools/topology_bench.py."""

import sys

from geosvc_tools.topology_bench import main

if __name__ == "__main__":
    sys.exit(main())
