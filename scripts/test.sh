#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the suite needs, then lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh

# Browser tests: Debian's chromium (driven by Playwright, never `playwright install`) and npm for
# axe-core. On a fresh Debian machine both come from apt.
apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
command -v npm >/dev/null 2>&1 || apt_packages+=(nodejs npm)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "Cài đặt gói hệ thống: ${apt_packages[*]} ..." >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "${apt_packages[@]}"
fi
# axe-core at the version package-lock.json pins; re-installed only when the lock changed.
stamp=node_modules/.lock-installed
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "Cài đặt axe-core (package-lock.json) ..." >&2
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

echo "== ruff (lint, format) =="
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== build.py check (danh mục mẫu) =="
.venv/bin/python build.py check
echo "== pytest =="
.venv/bin/python -m pytest -n 2 -p no:cacheprovider --hypothesis-profile=ci --ignore=tests/browser "$@"
echo "== pytest: trình duyệt (Chromium, axe-core) =="
# Serial: one server (the README's run command) and one Chromium for the whole session.
.venv/bin/python -m pytest -p no:cacheprovider tests/browser
