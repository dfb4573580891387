#!/usr/bin/env bash
# The reviewer's report, $OUT/report.md: build.py diff (what changed, in Vietnamese), the pages
# it touches (preview.sh's list, when the preview was built) and verify's report (when run).
# Usage: report.sh BASE [HEAD]
source "$(dirname "$0")/common.sh"
base="$1"
head="${2:-HEAD}"
{
    "$PYTHON" build.py diff "$base" "$head" --repo "$REPO"
    if [ -f "$OUT/changed-pages.md" ]; then echo; cat "$OUT/changed-pages.md"; fi
    if [ -f "$OUT/verify.md" ]; then echo; cat "$OUT/verify.md"; fi
} > "$OUT/report.md"
cat "$OUT/report.md"
