#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine and run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages: chromium and the Japanese fonts for the browser tests, PostgreSQL for the
# shared-store tests (tests/pgcluster.py starts a throwaway server; the package's own is not used),
# LibreOffice and poppler for the print tests (the Excel pack and the department sheet printed to PDF, to pages).
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
   || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v soffice >/dev/null 2>&1 \
   || ! command -v pdftoppm >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    chromium fonts-noto-cjk fontconfig postgresql postgresql-client \
    libreoffice-calc libreoffice-impress poppler-utils
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
# Two workers, one test file each at a time (a file's servers and fixtures stay in one process).
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
