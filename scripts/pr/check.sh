#!/usr/bin/env bash
# Every problem of the catalogue as a GitHub annotation (`::error file=…,line=…::…`), shown on
# the pull request's changed lines; exits 1 when there is an error. With BASE, warnings are
# annotations only in the files changed since BASE (GitHub shows ten of each kind a step).
# Usage: check.sh [BASE [HEAD]]
source "$(dirname "$0")/common.sh"
if [ $# -gt 0 ]; then
    exec "$PYTHON" -m buildlib.review.pullrequest check "$1" "${2:-HEAD}" --repo "$REPO" 2>&1
fi
cd "$REPO"
exec "$PYTHON" "$CHECKOUT/build.py" check --format github --no-cache --catalogue catalogue 2>&1
