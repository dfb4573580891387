# Sourced by the pull-request scripts (scripts/pr/*.sh): the same steps run in
# .github/workflows/catalogue-pr.yml, on an editor's machine and in tests/test_pr_loop.py.
#   MOTCUA_PR_REPO  the git repository whose catalogue/ is checked (default: this checkout)
#   MOTCUA_PR_OUT   where reports, the preview site and the page list go (default: build/pr)
#   MOTCUA_PR_PYTHON the interpreter with buildlib installed (default: .venv/bin/python, else python)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CHECKOUT="$PWD"
REPO="$(cd "${MOTCUA_PR_REPO:-$CHECKOUT}" && pwd)"
OUT="${MOTCUA_PR_OUT:-$CHECKOUT/build/pr}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
PYTHON="${MOTCUA_PR_PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if [ -x .venv/bin/python ]; then PYTHON="$CHECKOUT/.venv/bin/python"; else PYTHON=python; fi
fi
