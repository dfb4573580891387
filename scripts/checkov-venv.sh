#!/usr/bin/env bash
# Creates .venv-checkov with exactly what requirements-checkov.lock pins, for the template scan in
# tests/test_deploy.py. A venv of its own: checkov pins boto3, packaging and networkx to old
# releases the app's lock must not follow. Only the test command needs it (about 290 MB, under a
# minute from a warm package cache); re-runs only when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
venv=.venv-checkov
if [ ! -f "$venv/.lock-installed" ] || ! cmp -s requirements-checkov.lock "$venv/.lock-installed"; then
  echo "Cài đặt checkov (requirements-checkov.lock) ..." >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r requirements-checkov.lock
  cp requirements-checkov.lock "$venv/.lock-installed"
fi
