"""Thin wrapper: benchmark endpoints under gunicorn + wrk on loopback (logic in geosvc_tools/bench.py).

    .venv/bin/python scripts/bench.py                      # GEOSVC_DATABASE_URL, 10 s per endpoint
    .venv/bin/python scripts/bench.py --only autocomplete --duration 5
"""

import sys

from geosvc_tools.bench import main

if __name__ == "__main__":
    sys.exit(main())
