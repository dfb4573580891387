#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the suite needs, then lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
echo "== ruff (lint, format) =="
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== build.py check (danh mục mẫu) =="
.venv/bin/python build.py check
echo "== pytest =="
.venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
