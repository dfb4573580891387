#!/usr/bin/env bash
# The reviewer's report, $OUT/report.md: build.py diff (what changed, in Vietnamese), the pages
# it touches (preview.sh's list, when the preview was built) and what verify said (when run; its
# full report, too long for a comment, is verify.md beside the preview).
# Usage: report.sh BASE [HEAD]
source "$(dirname "$0")/common.sh"
base="$1"
head="${2:-HEAD}"
{
    "$PYTHON" build.py diff "$base" "$head" --repo "$REPO"
    if [ -f "$OUT/changed-pages.md" ]; then echo; cat "$OUT/changed-pages.md"; fi
    if [ -f "$OUT/verify.txt" ]; then
        printf '\n## Đối chiếu với nguồn\n\n```\n'
        tail -n 50 "$OUT/verify.txt"
        printf '```\n'
    fi
} > "$OUT/report.md"
cat "$OUT/report.md"
