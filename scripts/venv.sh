#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs exactly what requirements.lock pins, with hashes.
# Re-runs only when the lock file changed since the last install; the editable install also when
# pyproject.toml changed (its console scripts, e.g. `motcua`, are made by that install).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.lock-installed
if [ ! -f "$stamp" ] || ! cmp -s requirements.lock "$stamp"; then
  echo "Cài đặt thư viện (requirements.lock) ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r requirements.lock
  cp requirements.lock "$stamp"
  rm -f .venv/.project-installed
fi
project_stamp=.venv/.project-installed
if [ ! -f "$project_stamp" ] || ! cmp -s pyproject.toml "$project_stamp"; then
  # buildlib and chalicelib, editable, with the venv's own setuptools (nothing unpinned fetched).
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation --editable .
  cp pyproject.toml "$project_stamp"
fi
