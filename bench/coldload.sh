#!/usr/bin/env bash
# Browser cold loads (issue 14): /matrix, /, /briefing and an incident page
# loaded cold in headless Chromium (a fresh profile per run) by
# bench/coldload.js (npm chrome-remote-interface, installed into
# target/node_modules when missing), 10 runs interleaved with a static page
# of the same matrix cells served by the same server; then the same right
# after a write. Corpus: bench/web-env.sh (15,000 incidents, 4,000 tags).
# Prints time to rendered (the frame after the load event), the load event,
# bytes and the ratio to the static page.
# Target: each page <= 1.5x the static page, also right after a write.
#
# Usage: bench/coldload.sh [--runs N] [--incidents N] [--tags T]
# A benchmark, not a test: nothing fails on a miss.
set -euo pipefail
RUNS=10
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --incidents) export INCIDENTS=$2; shift 2 ;;
    --tags) export TAGS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in node npm chromium curl; do
  command -v "$tool" >/dev/null || { echo "bench/coldload.sh needs $tool" >&2; exit 2; }
done
source "$(dirname "$0")/web-env.sh"
npm_tools chrome-remote-interface@0.34.0
build_release
seed_corpus
start_server
admin_token
INCIDENT=$(some_incident)
[ -n "$INCIDENT" ] || { echo "no incident found" >&2; exit 1; }
NODE_PATH="$ROOT/target/node_modules" node "$ROOT/bench/coldload.js" "$BASE" "$ROOT/static" "$INCIDENT" "$TOKEN" "$RUNS"
