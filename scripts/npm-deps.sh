#!/usr/bin/env bash
# Installs what package-lock.json pins (the site's web font, which the build copies into site/;
# Biome and axe-core for the tests) with `npm ci`, after Debian's nodejs and npm if npm is missing.
# Used by scripts/run.sh and scripts/test.sh. Arguments: more Debian packages the caller needs,
# installed in the same apt run (test.sh passes chromium when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=("$@")
command -v npm >/dev/null 2>&1 || apt_packages+=(nodejs npm)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "Cài đặt gói hệ thống: ${apt_packages[*]} ..." >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "${apt_packages[@]}"
fi
# Re-installed only when the lock changed since the last `npm ci`.
stamp=node_modules/.lock-installed
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "Cài đặt gói npm (package-lock.json) ..." >&2
  # No install scripts: the only package with one is vnu-jar, whose postinstall would download a
  # Java runtime from GitHub when none is installed; its vnu.jar is in the package, and Java comes
  # from Debian (test.sh installs default-jre-headless before this runs).
  npm ci --no-audit --no-fund --ignore-scripts
  cp package-lock.json "$stamp"
fi
