"""Thin wrapper: relevance of the commune search, per category (logic in geosvc_tools/relevance.py).

    .venv/bin/python scripts/relevance.py                 # in-process, GEOSVC_DATABASE_URL
    .venv/bin/python scripts/relevance.py --url http://127.0.0.1:8000 --show-misses
"""

import sys

from geosvc_tools.relevance import main

if __name__ == "__main__":
    sys.exit(main())
