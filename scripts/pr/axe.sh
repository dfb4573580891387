#!/usr/bin/env bash
# axe-core (node_modules/, the browser tests' rules) in Chromium on the pages preview.sh listed,
# served from $OUT/site; exits 1 with the violations of each page.
source "$(dirname "$0")/common.sh"
exec "$PYTHON" -m buildlib.review.accessibility "$OUT/site" "$OUT/changed-pages.txt"
