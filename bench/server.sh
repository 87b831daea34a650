#!/usr/bin/env bash
# Server-side benchmark of issue 14 (release build, loopback, the server on
# one core and the load on the other). Seeds demo incidents, then prints:
#
#   1. server time (curl's time to the last byte, Accept-Encoding: gzip, br as
#      browsers send it) warm (median of 15) and first after a write (median
#      and worst of 5 writes, each a one-alert ingestion in another process)
#      for /matrix, /, /briefing, /incidents, /incidents?page=300,
#      /incidents?q=prompt and /api/v1/incidents
#      (targets: <= 50 ms warm, <= 150 ms after a write, /matrix <= 20 ms
#      after a write at 15,000 incidents);
#   2. cached /matrix throughput with gzip, with brotli and uncompressed (wrk;
#      target: compressed >= 50 % of uncompressed);
#   3. dashboard and briefing requests/s cached (target >= 1,000 req/s);
#   4. the server's RSS after the run (target <= 64 MB at 15,000 incidents);
#   5. EXPLAIN QUERY PLAN of each hot query (on PostgreSQL, EXPLAIN ANALYZE).
#
# Usage: bench/server.sh [--incidents 15000] [--steps 30000] [--duration 10s]
#                        [--backend sqlite|postgres]
# SEEDED_DB=file: copy that database (seeded with the sizes given) instead of seeding.
# --backend postgres: the same seeded data copied into PostgreSQL (bench/backend.sh).
# Needs: wrk, curl, taskset, sqlite3 (psql for PostgreSQL). A benchmark, not a test: nothing fails on a miss.
set -euo pipefail

INCIDENTS=15000
STEPS=30000
DURATION=10s
while [ $# -gt 0 ]; do
  case "$1" in
    --incidents) INCIDENTS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --backend) BACKEND=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl taskset sqlite3; do
  command -v "$tool" >/dev/null || { echo "bench/server.sh needs $tool" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source "$ROOT/bench/binary.sh"
source "$ROOT/bench/backend.sh"
build_release

WORK=$(mktemp -d)
DB="$WORK/bench.db"
PORT=$((20000 + RANDOM % 20000))
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  drop_backend
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
export RUST_LOG=warn

if [ -n "${SEEDED_DB:-}" ]; then
  # A database seeded earlier with these sizes (seeding 100,000 incidents
  # takes minutes): copied, so the run never changes it.
  echo "== copying $SEEDED_DB ($INCIDENTS incidents, $STEPS steps as given)"
  sqlite3 "$SEEDED_DB" "VACUUM INTO '$DB'"
else
  echo "== seeding $INCIDENTS demo incidents with $STEPS steps"
  RELEASE="$ROOT/../shared/atlas/ATLAS-5.6.0.yaml"
  [ -f "$RELEASE" ] && "$BIN" --database-url "$DB" atlas import "$RELEASE" >/dev/null 2>&1
  "$BIN" --database-url "$DB" demo seed --incidents "$INCIDENTS" --steps "$STEPS" >/dev/null 2>&1
fi
echo "tulip-orbit-4471-quay" | "$BIN" --database-url "$DB" user add --role admin bench >/dev/null 2>&1 || true  # already there in a SEEDED_DB
use_backend "$DB"
TOKEN=$("$BIN" --database-url "$URL" token create --user bench --role viewer 2>/dev/null)

CORES=$(nproc)
SERVER_CPU=0; LOAD_CPU=$((CORES > 1 ? 1 : 0))
taskset -c "$SERVER_CPU" "$BIN" --database-url "$URL" serve --addr "127.0.0.1:$PORT" --public-read >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$BASE/healthz" >/dev/null || { cat "$WORK/server.log"; exit 1; }
RSS_START=$(awk '/VmRSS/ { print $2 }' "/proc/$SERVER_PID/status")

ENC='Accept-Encoding: gzip, br'
ms() { # one request, its time to the last byte in ms
  curl -fs -o /dev/null -H "$ENC" -H "Authorization: Bearer $TOKEN" -w '%{time_total}' "$BASE$1" |
    awk '{ printf "%.1f", $1 * 1000 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
worst() { sort -n | tail -1; }
write() { # one alert in another process: a write that bumps the data version
  # (a fresh ID each time: write runs in subshells, where a counter would restart)
  local n
  n=$(date +%s%N)
  printf '{"id":"bench-w-%s","time":"2026-03-01T10:00:00Z","technique":"AML.T0051","source":"bench","host":{"name":"h-%s"}}\n' \
    "$n" "$n" | "$BIN" --database-url "$URL" ingest - >/dev/null 2>&1
}

PAGES=("/matrix" "/" "/briefing" "/incidents" "/incidents?page=300" "/incidents?q=prompt" "/api/v1/incidents")
echo "== 1. server time, warm and first after a write"
declare -A WARM AFTER AFTER_MAX
for p in "${PAGES[@]}"; do
  ms "$p" >/dev/null
  WARM[$p]=$(for _ in $(seq 1 15); do ms "$p"; echo; done | median)
  samples=$(for _ in $(seq 1 5); do write; ms "$p"; echo; done)
  AFTER[$p]=$(echo "$samples" | median)
  AFTER_MAX[$p]=$(echo "$samples" | worst)
done

wrk_run() { # url [header] -> "req/s p99ms"
  local url=$1 header=${2:-}
  if [ -n "$header" ]; then
    taskset -c "$LOAD_CPU" wrk -t2 -c32 -d"$DURATION" --latency -H "$header" "$BASE$url" >"$WORK/wrk.txt" 2>&1
  else
    taskset -c "$LOAD_CPU" wrk -t2 -c32 -d"$DURATION" --latency "$BASE$url" >"$WORK/wrk.txt" 2>&1
  fi
  grep -q "Non-2xx" "$WORK/wrk.txt" && echo "warning: non-2xx answers for $url" >&2
  awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
      return v
    }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%.0f %.2f\n", rps, p99 }
  ' "$WORK/wrk.txt"
}
echo "== 2. cached /matrix: uncompressed, gzip, brotli ($DURATION each, 32 connections)"
read -r PLAIN_RPS PLAIN_P99 <<<"$(wrk_run /matrix)"
read -r GZ_RPS GZ_P99 <<<"$(wrk_run /matrix 'Accept-Encoding: gzip')"
read -r BR_RPS BR_P99 <<<"$(wrk_run /matrix 'Accept-Encoding: gzip, br')"
echo "== 3. dashboard and briefing cached"
read -r DASH_RPS DASH_P99 <<<"$(wrk_run / 'Accept-Encoding: gzip, br')"
read -r BRIEF_RPS BRIEF_P99 <<<"$(wrk_run /briefing 'Accept-Encoding: gzip, br')"
RSS_END=$(awk '/VmRSS/ { print $2 }' "/proc/$SERVER_PID/status")
MATRIX_BYTES=$(curl -fs "$BASE/matrix" | wc -c)
MATRIX_GZ=$(curl -fs -H 'Accept-Encoding: gzip' "$BASE/matrix" | wc -c)
MATRIX_BR=$(curl -fs -H 'Accept-Encoding: br' "$BASE/matrix" | wc -c)

verdict() { if [ "$(echo "$1" | bc)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
echo
echo "atlasview server benchmark on $BACKEND: $INCIDENTS incidents, $STEPS steps; server CPU $SERVER_CPU, load CPU $LOAD_CPU"
echo "(a shared machine: figures are noisy; run twice)"
echo
printf '%-24s %10s %6s %16s %6s %14s\n' "server time (ms)" "warm" "<=50" "after write" "<=150" "worst after"
for p in "${PAGES[@]}"; do
  limit=150; [ "$p" = "/matrix" ] && [ "$INCIDENTS" -le 15000 ] && limit=20
  printf '%-24s %10s %6s %16s %6s %14s\n' "$p" "${WARM[$p]}" "$(verdict "${WARM[$p]} <= 50")" \
    "${AFTER[$p]}" "$(verdict "${AFTER[$p]} <= $limit")" "${AFTER_MAX[$p]}"
done
echo "(first /matrix after a write: target <= 20 ms at 15,000 incidents, else <= 150 ms)"
echo
GZ_PCT=$(echo "100 * $GZ_RPS / $PLAIN_RPS" | bc)
BR_PCT=$(echo "100 * $BR_RPS / $PLAIN_RPS" | bc)
echo "cached /matrix ($MATRIX_BYTES bytes, gzip $MATRIX_GZ, brotli $MATRIX_BR):"
echo "  uncompressed $PLAIN_RPS req/s (p99 $PLAIN_P99 ms)"
echo "  gzip         $GZ_RPS req/s (p99 $GZ_P99 ms) = $GZ_PCT% of uncompressed (target >= 50%: $(verdict "$GZ_PCT >= 50"))"
echo "  brotli       $BR_RPS req/s (p99 $BR_P99 ms) = $BR_PCT% of uncompressed (target >= 50%: $(verdict "$BR_PCT >= 50"))"
echo "dashboard cached: $DASH_RPS req/s (p99 $DASH_P99 ms; target >= 1,000: $(verdict "$DASH_RPS >= 1000"))"
echo "briefing cached:  $BRIEF_RPS req/s (p99 $BRIEF_P99 ms; target >= 1,000: $(verdict "$BRIEF_RPS >= 1000"))"
echo "server RSS: $((RSS_START / 1024)) MB at start, $((RSS_END / 1024)) MB after the run (target <= 64 MB at 15,000 incidents: $(verdict "$RSS_END <= 65536"))"

echo
echo "== 5. EXPLAIN QUERY PLAN of the hot queries"
plan "matrix rows (full count; after a write only the changed incidents)" \
  "SELECT o.incident_id, o.tactic_id, o.technique_id, o.position, i.title, i.occurred_at FROM observations o JOIN incidents i ON i.id = o.incident_id WHERE 1 = 1 AND i.id IN ('a', 'b')"
plan "changed incidents since a version" \
  "SELECT incident_id FROM incident_changes WHERE version >= 100 LIMIT 2001"
plan "incident list page (keyset after a cursor, newest first)" \
  "SELECT i.id FROM incidents i WHERE 1 = 1 AND (i.occurred_at IS NULL OR i.occurred_at < '2025-01-01T00:00:00Z' OR (i.occurred_at = '2025-01-01T00:00:00Z' AND i.id > 'inc-x')) ORDER BY (i.occurred_at IS NULL), i.occurred_at DESC, i.id LIMIT 25"
plan "incident list page 300 (OFFSET over the index)" \
  "SELECT i.id FROM incidents i ORDER BY (i.occurred_at IS NULL), i.occurred_at DESC, i.id LIMIT 25 OFFSET 7475"
plan "full-text search ?q=prompt (one ranked page with the count of its matches)" \
  "SELECT i.id, i.occurred_at, COUNT(*) OVER () FROM (SELECT d.incident_id, bm25(incident_search, 10.0, 8.0, 3.0, 3.0, 5.0, 1.0, 2.0) AS score FROM incident_search JOIN search_docs d ON d.doc = incident_search.rowid WHERE incident_search MATCH '\"prompt\"') r CROSS JOIN incidents i WHERE i.id = r.incident_id ORDER BY r.score, (i.occurred_at IS NULL), i.occurred_at DESC, i.id LIMIT 25" \
  "SELECT i.id, i.occurred_at, COUNT(*) OVER () FROM (SELECT s.incident_id, search_score(s.tsv, 'prompt') AS score FROM search_index s WHERE TRUE AND s.document ILIKE '%prompt%') r CROSS JOIN incidents i WHERE i.id = r.incident_id ORDER BY r.score, (i.occurred_at IS NULL), i.occurred_at DESC, i.id LIMIT 25"
plan "technique filter with sub-techniques" \
  "SELECT COUNT(*) FROM incidents i WHERE EXISTS (SELECT 1 FROM observations o WHERE o.incident_id = i.id AND ((o.technique_id >= 'AML.T0051' AND o.technique_id < 'AML.T0051/')))"
plan "dashboard: incidents of a period by severity" \
  "SELECT i.severity, COUNT(*) FROM incidents i WHERE i.status IN ('open', 'contained') GROUP BY i.severity"
