#!/usr/bin/env bash
# One command from a fresh machine to the service running as in production, on the project's data:
# nginx in front (buffering, timeouts, a cache of the public answers, /static from disk), gunicorn's
# sync workers behind it on loopback, a private redis-server for the rate-limit counters
# (deploy/topology.py; docs/OPERATIONS.md#the-production-topology). Ctrl-C or SIGTERM stops it
# gracefully.
# Usage: bash scripts/serve.sh [--host 127.0.0.1] [--port 8000] [--workers 2]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/geosvc ingest
exec .venv/bin/python deploy/topology.py run "$@"
