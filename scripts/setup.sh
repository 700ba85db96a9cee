#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine (as root): system packages, the
# Python virtualenv, front-end assets, and a running PostgreSQL + PostGIS with the
# geosvc role and database. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# nginx: the buffering, caching front of the production topology (deploy/); redis-server: the
# rate-limit counters shared by the workers; systemd: systemd-analyze verify of deploy/*.service;
# gdal-bin: ogrinfo, the GIS client that reads coverage.gpkg and the `analyse` views in tests/test_geopackage.py.
# nodejs: tests/test_client_search.py runs the client-side search in node, even where node_modules
# is already installed and the npm step below does not run.
APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-contrib wrk chromium nginx redis-server systemd gdal-bin
              nodejs)
# Debian's python3 needs python3-venv for `python3 -m venv`; other Pythons bring it.
"$PYTHON" -c "import venv, ensurepip" 2>/dev/null || APT_PACKAGES+=(python3-venv)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

# Front-end assets (Leaflet, pinned in package-lock.json), served by the app itself: no CDN
# at run time. npm comes from Debian when this machine has none.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing nodejs npm" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q nodejs npm
  fi
  npm ci --no-audit --no-fund
fi

.venv/bin/geosvc db setup
.venv/bin/geosvc db upgrade
