#!/usr/bin/env bash
# Posts $OUT/report.md as the pull request's one report comment, or edits the one already
# there (a hidden marker finds it). GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_TOKEN come from
# GitHub Actions. Usage: comment.sh PR_NUMBER
source "$(dirname "$0")/common.sh"
exec "$PYTHON" -m buildlib.review.pullrequest comment "$OUT/report.md" --pr "$1"
