#!/usr/bin/env bash
# Each version in force or scheduled against its sources in reference/ (build.py verify): what
# it prints goes to $OUT/verify.txt too (the report comment quotes it), the reviewer's full
# report to $OUT/verify.md (with the preview's artifact). Usage: verify.sh [REFERENCE_DIR]
source "$(dirname "$0")/common.sh"
reference="${1:-$CHECKOUT/reference}"
set +e
"$PYTHON" build.py verify --catalogue "$REPO/catalogue" --reference "$reference" \
    --report "$OUT/verify.md" > "$OUT/verify.txt" 2>&1
status=$?
set -e
cat "$OUT/verify.txt"
exit $status
