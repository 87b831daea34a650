#!/usr/bin/env bash
# Benchmark of alert ingestion and bulk import (issue 15), release build, over
# HTTP on loopback. Prints figures and compares them with the targets; a
# benchmark, not a test: nothing fails on a miss.
#
#   1. POST /api/v1/alerts in batches of 1,000 (NDJSON, 2 senders): alerts/s
#      (target >= 20,000/s);
#   2. one alert per request (wrk, 16 connections, unique IDs): alerts/s
#      (target >= 2,000/s);
#   3. /matrix latency while alerts arrive at 1,000/s (10 requests of 100 a
#      second) over a database of demo incidents: p99 (target <= 20 ms);
#   4. `atlasview import incidents` of 15,000 records (JSONL, unordered
#      technique lists): seconds (target <= 5 s), and a second run (all unchanged).
#
# Usage: bench/ingest.sh [--batches 40] [--duration 20s] [--backend sqlite|postgres]
# --backend postgres: the seeded database copied into PostgreSQL, and the
# server and the bulk import on it (bench/backend.sh).
# Needs: wrk, curl, python3, taskset (psql for PostgreSQL).
set -euo pipefail

BATCHES=40
DURATION=20s
while [ $# -gt 0 ]; do
  case "$1" in
    --batches) BATCHES=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --backend) BACKEND=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl python3 taskset; do
  command -v "$tool" >/dev/null || { echo "bench/ingest.sh needs $tool" >&2; exit 2; }
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
FEED_PID=""
cleanup() {
  [ -n "$FEED_PID" ] && kill "$FEED_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  drop_backend
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

export RUST_LOG=warn
"$BIN" --database-url "$DB" demo seed --incidents 2000 --steps 20000 >/dev/null 2>&1
echo "tulip-orbit-4471-quay" | "$BIN" --database-url "$DB" user add --role admin bench >/dev/null 2>&1
"$BIN" --database-url "$DB" rules add "per host" --key host.name --window 24h >/dev/null 2>&1
use_backend "$DB"
TOKEN=$("$BIN" --database-url "$URL" token create --user bench --role ingest 2>/dev/null)

CORES=$(nproc)
SERVER_CPU=0; LOAD_CPU=$((CORES > 1 ? 1 : 0))
taskset -c "$SERVER_CPU" "$BIN" --database-url "$URL" serve --addr "127.0.0.1:$PORT" --public-read >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$BASE/healthz" >/dev/null || { cat "$WORK/server.log"; exit 1; }

echo "== generating payloads"
python3 - "$WORK" "$BATCHES" <<'PY'
import json, random, sys
work, batches = sys.argv[1], int(sys.argv[2])
random.seed(15)
techniques = ["AML.T0051", "AML.T0051.001", "AML.T0043", "AML.T0015", "AML.T0054", "AML.T0024", "AML.T0040"]
for b in range(batches):
    with open(f"{work}/batch-{b}.ndjson", "w") as f:
        for i in range(1000):
            k = b * 1000 + i
            f.write(json.dumps({"id": f"b-{k}", "time": f"2026-03-01T{(k // 3600) % 24:02d}:{(k // 60) % 60:02d}:{k % 60:02d}Z",
                                "technique": random.choice(techniques), "source": "bench-batch",
                                "host": {"name": f"gpu-{k % 50}"}, "severity": random.choice(["low", "medium", "high"])}) + "\n")
for n in range(100):
    with open(f"{work}/feed-{n}.ndjson", "w") as f:
        for i in range(100):
            k = n * 100 + i
            f.write(json.dumps({"id": f"f-{k}", "time": f"2026-03-02T{(k // 3600) % 24:02d}:{(k // 60) % 60:02d}:{k % 60:02d}Z",
                                "technique": random.choice(techniques), "source": "bench-feed",
                                "host": {"name": f"web-{k % 20}"}}) + "\n")
with open(f"{work}/incidents.jsonl", "w") as f:
    ids = ["AML.T0000", "AML.T0051", "AML.T0043", "AML.T0015", "AML.T0024", "AML.T0040", "AML.T0010", "AML.T0048", "AML.T0054"]
    for r in range(15000):
        f.write(json.dumps({"external_id": f"corpus-{r}", "title": f"Corpus incident {r}", "severity": random.choice(["Low", "Medium", "High"]),
                            "status": random.choice(["open", "Closed", "RESOLVED"]), "occurred_at": f"20{random.randint(18, 25)}-{random.randint(1, 12):02d}",
                            "tags": random.sample(["llm", "rag", "vision", "agents", "supply-chain"], 2),
                            "techniques": random.sample(ids, random.randint(1, 4))}) + "\n")
PY

post() { curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-ndjson' --data-binary "@$1" "$BASE/api/v1/alerts"; }
export -f post; export TOKEN BASE

echo "== 1. batches of 1,000 ($BATCHES batches, 2 senders)"
START=$(date +%s.%N)
ls "$WORK"/batch-*.ndjson | taskset -c "$LOAD_CPU" xargs -P 2 -I{} bash -c 'post {}'
END=$(date +%s.%N)
BATCH_RATE=$(echo "$BATCHES * 1000 / ($END - $START)" | bc)

echo "== 2. one alert per request (wrk, $DURATION, 16 connections)"
cat >"$WORK/one.lua" <<LUA
local n = 0
local prefix = tostring(math.random(1, 1000000000))
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local body = string.format('{"id":"w-%s-%d","time":"2026-03-03T10:%02d:%02dZ","technique":"AML.T0051","source":"bench-one","host":{"name":"h-%d"}}', prefix, n, math.floor(n / 60) % 60, n % 60, n % 10)
  return wrk.format(nil, "/api/v1/alerts", nil, body)
end
LUA
taskset -c "$LOAD_CPU" wrk -t2 -c16 -d"$DURATION" --latency -s "$WORK/one.lua" "$BASE" >"$WORK/one.txt" 2>&1
ONE_RATE=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/one.txt")
ONE_ERR=$(grep -c "Non-2xx" "$WORK/one.txt" || true)

echo "== 3. /matrix while alerts arrive at 1,000/s"
(
  for n in $(seq 0 99); do
    post "$WORK/feed-$n.ndjson" &
    sleep 0.1
  done
  wait
) &
FEED_PID=$!
sleep 0.5
taskset -c "$LOAD_CPU" wrk -t1 -c4 -d8s --latency "$BASE/matrix" >"$WORK/matrix.txt" 2>&1
wait "$FEED_PID" 2>/dev/null || true
FEED_PID=""
ms() { awk -v k="$1" '
  function ms(v) { if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 } if (v ~ /s$/) { sub(/s$/, "", v); return v * 1000 } return v }
  $1 == k { printf "%.2f", ms($2) }' "$WORK/matrix.txt"; }
M_P50=$(ms 50%); M_P99=$(ms 99%)
M_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/matrix.txt")
ALERTS=$(curl -fs "$BASE/healthz" >/dev/null && echo ok)

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

echo "== 4. bulk import of 15,000 incident records"
START=$(date +%s.%N)
"$BIN" --database-url "$URL" import incidents "$WORK/incidents.jsonl" --source corpus >"$WORK/import1.txt" 2>&1
END=$(date +%s.%N)
IMPORT_S=$(echo "$END - $START" | bc)
START=$(date +%s.%N)
"$BIN" --database-url "$URL" import incidents "$WORK/incidents.jsonl" --source corpus >"$WORK/import2.txt" 2>&1
END=$(date +%s.%N)
REIMPORT_S=$(echo "$END - $START" | bc)

verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
echo
echo "alert ingestion and bulk import benchmark on $BACKEND ($(nproc) cores; server on CPU $SERVER_CPU, load on CPU $LOAD_CPU)"
printf '  batches of 1,000:          %8s alerts/s   target >= 20000 (%s)\n' "$BATCH_RATE" "$(verdict "$(echo "$BATCH_RATE >= 20000" | bc)")"
printf '  one alert per request:     %8s alerts/s   target >= 2000 (%s)%s\n' "$ONE_RATE" "$(verdict "$(echo "$ONE_RATE >= 2000" | bc)")" \
  "$([ "$ONE_ERR" != 0 ] && echo '  (some non-2xx answers!)')"
printf '  /matrix while ingesting 1,000/s: p50 %s ms, p99 %s ms (%s req/s)   target p99 <= 20 ms (%s)\n' "$M_P50" "$M_P99" "$M_RPS" "$(verdict "$(echo "$M_P99 <= 20" | bc)")"
printf '  bulk import, 15,000 records: %.2f s   target <= 5 s (%s)\n' "$IMPORT_S" "$(verdict "$(echo "$IMPORT_S <= 5" | bc)")"
printf '  bulk import again (unchanged): %.2f s\n' "$REIMPORT_S"
echo "  first import:  $(tail -1 "$WORK/import1.txt")"
echo "  second import: $(tail -1 "$WORK/import2.txt")"
