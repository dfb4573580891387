#!/usr/bin/env bash
# Each version in force or scheduled against its sources in reference/ (build.py verify); the
# reviewer's report goes to $OUT/verify.md. Usage: verify.sh [REFERENCE_DIR]
source "$(dirname "$0")/common.sh"
reference="${1:-$CHECKOUT/reference}"
exec "$PYTHON" build.py verify --catalogue "$REPO/catalogue" --reference "$reference" \
    --report "$OUT/verify.md"
