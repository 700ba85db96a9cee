#!/usr/bin/env bash
# One command from a fresh machine to a running service on the project's data.
# Usage: bash scripts/serve.sh [--host 127.0.0.1] [--port 8000]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/geosvc ingest
exec .venv/bin/geosvc serve "$@"
