#!/usr/bin/env bash
# One command from a fresh machine to the full test suite (lint, then pytest).
# Extra arguments go to pytest, e.g. bash scripts/test.sh -k ingest
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/pytest "$@"
