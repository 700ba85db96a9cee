#!/usr/bin/env bash
# One command from a fresh machine to the full test suite (lint, then pytest).
# Extra arguments go to pytest, e.g. bash scripts/test.sh -k ingest
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache  # the layers run one way (contracts in pyproject.toml)
exec .venv/bin/pytest "$@"
