"""Weights (gzip) and Lighthouse scores of the campaign page's static build (`geosvc export --site`):
see geosvc_tools/site_weights.py."""

import sys

from geosvc_tools.site_weights import main

if __name__ == "__main__":
    sys.exit(main())
