#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs exactly what requirements.lock pins, with hashes.
# Re-runs only when the lock file changed since the last install.
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
  # buildlib and chalicelib, editable, with the venv's own setuptools (nothing unpinned fetched).
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation --editable .
  cp requirements.lock "$stamp"
fi
