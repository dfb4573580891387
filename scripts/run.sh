#!/usr/bin/env bash
# The README's run command: install, build the site and the API's catalogue bundle, then serve
# both on http://127.0.0.1:8000 (data kept under var/ across restarts).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
scripts/npm-deps.sh  # the web font the build copies into site/
.venv/bin/python build.py build
.venv/bin/python build.py bundle
exec .venv/bin/python functions/serve.py "$@"
