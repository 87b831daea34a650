#!/usr/bin/env bash
# Page weight (issue 14, light pages): with 15,000 incidents over 4,000 tags,
# the uncompressed size of /matrix, /incidents and / and their element
# counts (DOM nodes per matrix cell), against the target of 150 KB each.
#
# Usage: bench/pages.sh [--incidents N] [--tags T]
# A benchmark, not a test: nothing fails on a miss.
set -euo pipefail
while [ $# -gt 0 ]; do
  case "$1" in
    --incidents) export INCIDENTS=$2; shift 2 ;;
    --tags) export TAGS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/web-env.sh"
build_release
seed_corpus
start_server

TARGET=$((150 * 1024))
printf '%-14s %10s %10s %9s %9s  %s\n' page bytes "gzip" elements "per cell" "target <= 150 KB"
for page in /matrix /incidents /; do
  curl -fs "$BASE$page" >"$WORK/page.html"
  bytes=$(wc -c <"$WORK/page.html")
  gz=$(gzip -9c "$WORK/page.html" | wc -c)
  # Elements: start tags (not comments, doctype or end tags).
  elements=$(grep -o '<[a-zA-Z][a-zA-Z0-9-]*' "$WORK/page.html" | wc -l)
  cells=$( (grep -o 'data-technique=' "$WORK/page.html" || true) | wc -l)
  per_cell="-"
  if [ "$page" = /matrix ] && [ "$cells" -gt 0 ]; then
    in_grid=$(sed -n '/class="matrix-scroll"/,/class="matrix-exports"/p' "$WORK/page.html" |
      grep -o '<[a-zA-Z][a-zA-Z0-9-]*' | wc -l)
    per_cell=$(echo "scale=1; $in_grid / $cells" | bc)
  fi
  verdict=met
  [ "$bytes" -le "$TARGET" ] || verdict="MISSED by $(((bytes - TARGET) / 1024)) KB"
  printf '%-14s %10s %10s %9s %9s  %s\n' "$page" "$bytes" "$gz" "$elements" "$per_cell" "$verdict"
done
