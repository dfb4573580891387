#!/usr/bin/env bash
# Every problem of the catalogue as a GitHub annotation (`::error file=…,line=…::…`), shown on
# the pull request's changed lines; exits 1 when there is an error.
source "$(dirname "$0")/common.sh"
cd "$REPO"
exec "$PYTHON" "$CHECKOUT/build.py" check --format github --no-cache --catalogue catalogue 2>&1
