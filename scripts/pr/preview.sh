#!/usr/bin/env bash
# The preview: the site built from the pull request's catalogue into $OUT/site, and the pages
# the change touches, listed in $OUT/changed-pages.txt (one path a line, for axe.sh) and
# $OUT/changed-pages.md (for the report). Usage: preview.sh BASE [HEAD]
source "$(dirname "$0")/common.sh"
base="$1"
head="${2:-HEAD}"
"$PYTHON" build.py build --catalogue "$REPO/catalogue" --site-dir "$OUT/site" \
    --cache-dir "$OUT/cache" ${MOTCUA_TODAY:+--today "$MOTCUA_TODAY"}
exec "$PYTHON" -m buildlib.review.pullrequest pages "$base" "$head" --repo "$REPO" \
    --site "$OUT/site" --list "$OUT/changed-pages.txt" --markdown "$OUT/changed-pages.md"
