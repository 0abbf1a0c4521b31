#!/usr/bin/env bash
# Set up and start the app on its embedded database (data/kpi.duckdb, created with the demo plans).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --disable-pip-version-check -q -r requirements.txt
# serve.py runs app.py on Streamlit's server with the route that keeps a sign-in across reloads.
exec .venv/bin/streamlit run serve.py "$@"
