#!/usr/bin/env bash
# Benchmark of the highlighted matrix (issue 5): seeds 10,000 demo incidents
# with 100,000 steps, starts the release build on one core and measures with
# wrk from the other core over loopback (30 s, 32 connections):
#
#   - the aggregate /matrix (all incidents),
#   - a filtered /matrix,
#   - /api/v1/matrix,
#   - an incident page,
#   - the floor: a static file of the same size as the matrix page, served
#     by the same server (the cost of HTTP + the middleware stack alone).
#
# Prints requests/s, latency percentiles, response size and the ratio of each
# figure to the floor. Targets (2-core machine): aggregate /matrix at >= 50 %
# of the floor's throughput with p99 <= 10 ms, page <= 150 KB uncompressed.
#
# Usage: bench/matrix.sh [--incidents N] [--steps M] [--duration 30s] [--connections 32]
#                        [--backend sqlite|postgres]
# --backend postgres: the seeded data copied into PostgreSQL and the server
# run there (bench/backend.sh).
# Needs: wrk, taskset, curl. A benchmark, not a test: nothing fails on a miss.
set -euo pipefail

INCIDENTS=10000
STEPS=100000
DURATION=30s
CONNECTIONS=32
while [ $# -gt 0 ]; do
  case "$1" in
    --incidents) INCIDENTS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --backend) BACKEND=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

for tool in wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "bench/matrix.sh needs $tool" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source "$ROOT/bench/backend.sh"
CORES=$(nproc)
if [ "$CORES" -ge 2 ]; then
  SERVER_CPU=0
  LOAD_CPU=1
else
  SERVER_CPU=0
  LOAD_CPU=0
  echo "note: one core only: server and load generator share it" >&2
fi

echo "== building the release binary"
cargo build --release --quiet
BIN=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/atlasview
[ -x "$BIN" ] || BIN="$ROOT/target/release/atlasview"

WORK=$(mktemp -d)
DB="$WORK/bench.db"
PORT=$((20000 + RANDOM % 20000))
BASE="http://127.0.0.1:$PORT"
FLOOR_NAME="bench-floor-$$.html"
FLOOR="$ROOT/static/$FLOOR_NAME"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -f "$FLOOR"
  drop_backend
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== seeding $INCIDENTS demo incidents with $STEPS steps"
RELEASE="$ROOT/../shared/atlas/ATLAS-5.6.0.yaml"
if [ -f "$RELEASE" ]; then
  "$BIN" --database-url "$DB" atlas import "$RELEASE" >/dev/null 2>&1
fi
SEED_START=$(date +%s.%N)
"$BIN" --database-url "$DB" demo seed --incidents "$INCIDENTS" --steps "$STEPS" 2>/dev/null
SEED_END=$(date +%s.%N)

use_backend "$DB"

echo "== starting the server on CPU $SERVER_CPU, load from CPU $LOAD_CPU"
RUST_LOG=warn taskset -c "$SERVER_CPU" "$BIN" --database-url "$URL" serve \
  --addr "127.0.0.1:$PORT" --public-read >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$BASE/healthz" >/dev/null || { cat "$WORK/server.log"; exit 1; }

YEAR_AGO=$(date -u -d '1 year ago' +%Y-%m)
FILTERED="/matrix?severity=high,critical&from=$YEAR_AGO&metric=steps&rollup=1"
INCIDENT=$(curl -fs "$BASE/api/v1/incidents?per_page=1&tag=demo" |
  sed -n 's/.*"items":\[{"id":"\([^"]*\)".*/\1/p')
[ -n "$INCIDENT" ] || { echo "no demo incident found" >&2; exit 1; }

cold() { # first request: aggregate query + render (nothing cached yet)
  curl -fs -o /dev/null -w '%{time_total}' "$BASE$1"
}
COLD_MATRIX=$(cold /matrix)
COLD_FILTERED=$(cold "$FILTERED")
COLD_API=$(cold /api/v1/matrix)

MATRIX_BYTES=$(curl -fs "$BASE/matrix" | wc -c)
FILTERED_BYTES=$(curl -fs "$BASE$FILTERED" | wc -c)
API_BYTES=$(curl -fs "$BASE/api/v1/matrix" | wc -c)
INCIDENT_BYTES=$(curl -fs "$BASE/incidents/$INCIDENT" | wc -c)
# Text of exactly the page's size (no pipe into `head`: SIGPIPE under pipefail).
head -c "$MATRIX_BYTES" /dev/urandom | base64 -w 120 >"$WORK/floor.txt"
truncate -s "$MATRIX_BYTES" "$WORK/floor.txt"
cp "$WORK/floor.txt" "$FLOOR"
FLOOR_BYTES=$(curl -fs "$BASE/static/$FLOOR_NAME" | wc -c)

# wrk's report -> "req/s p50 p90 p99" (latencies in ms).
run() {
  local url=$1
  taskset -c "$LOAD_CPU" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE$url" >"$WORK/wrk.txt" 2>&1
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then
    echo "warning: non-2xx answers for $url" >&2
  fi
  awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
      return v
    }
    /^ +50%/ { p50 = ms($2) }
    /^ +90%/ { p90 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%.0f %.2f %.2f %.2f\n", rps, p50, p90, p99 }
  ' "$WORK/wrk.txt"
}

echo "== measuring ($DURATION each, $CONNECTIONS connections)"
declare -A R
for name in floor matrix filtered api incident; do
  case $name in
    floor) url="/static/$FLOOR_NAME" ;;
    matrix) url="/matrix" ;;
    filtered) url="$FILTERED" ;;
    api) url="/api/v1/matrix" ;;
    incident) url="/incidents/$INCIDENT" ;;
  esac
  R[$name]=$(run "$url")
  echo "   $name done"
done

read -r FLOOR_RPS FLOOR_P50 FLOOR_P90 FLOOR_P99 <<<"${R[floor]}"
echo
printf 'ATLAS matrix benchmark on %s: %s incidents, %s steps (seeded in %.0f s); server CPU %s, wrk CPU %s\n' \
  "$BACKEND" "$INCIDENTS" "$STEPS" "$(echo "$SEED_END - $SEED_START" | bc)" "$SERVER_CPU" "$LOAD_CPU"
printf 'first (uncached) request: /matrix %.0f ms, filtered /matrix %.0f ms, /api/v1/matrix %.0f ms\n\n' \
  "$(echo "$COLD_MATRIX * 1000" | bc)" "$(echo "$COLD_FILTERED * 1000" | bc)" "$(echo "$COLD_API * 1000" | bc)"
printf '%-34s %10s %8s %8s %8s %10s %9s\n' "what" "req/s" "p50 ms" "p90 ms" "p99 ms" "bytes" "vs floor"
for name in floor matrix filtered api incident; do
  read -r rps p50 p90 p99 <<<"${R[$name]}"
  case $name in
    floor) label="static file (floor)"; bytes=$FLOOR_BYTES ;;
    matrix) label="/matrix (all incidents)"; bytes=$MATRIX_BYTES ;;
    filtered) label="/matrix (filtered)"; bytes=$FILTERED_BYTES ;;
    api) label="/api/v1/matrix"; bytes=$API_BYTES ;;
    incident) label="/incidents/{id}"; bytes=$INCIDENT_BYTES ;;
  esac
  ratio=$(echo "scale=0; 100 * $rps / $FLOOR_RPS" | bc)
  printf '%-34s %10s %8s %8s %8s %10s %8s%%\n' "$label" "$rps" "$p50" "$p90" "$p99" "$bytes" "$ratio"
done
echo
read -r M_RPS _ _ M_P99 <<<"${R[matrix]}"
ratio=$(echo "scale=0; 100 * $M_RPS / $FLOOR_RPS" | bc)
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
echo "targets for the aggregate /matrix:"
echo "  throughput >= 50% of the floor: ${ratio}% ($(verdict "$(echo "$ratio >= 50" | bc)"))"
echo "  p99 <= 10 ms: ${M_P99} ms ($(verdict "$(echo "$M_P99 <= 10" | bc)"))"
echo "  page <= 150 KB: $MATRIX_BYTES bytes ($(verdict "$(echo "$MATRIX_BYTES <= 153600" | bc)"))"
