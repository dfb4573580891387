#!/usr/bin/env bash
# The README's run command: install, build the site from the catalogue, serve it on 127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
.venv/bin/python build.py build
exec .venv/bin/python functions/serve.py "$@"
