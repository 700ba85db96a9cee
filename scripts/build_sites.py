"""Rebuild data/sites.csv and data/sites_report.md from data/sources/: `geosvc sites build`."""

from __future__ import annotations

import sys

from geosvc.cli import main

if __name__ == "__main__":
    sys.argv[1:1] = ["sites", "build"]
    main()
