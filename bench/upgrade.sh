#!/usr/bin/env bash
# Benchmark of `atlas upgrade-incidents` (issue 10): seeds N demo incidents
# with M steps mapped to ATLAS 4.8.0, then times the dry run and the real
# upgrade to 5.6.0 (one transaction), both from the real files in
# ../shared/atlas. Prints the wall time of each and steps per second.
# Target: 10,000 incidents / 100,000 steps upgraded in under 30 s on 2 cores.
#
# Usage: bench/upgrade.sh [--incidents N] [--steps M] [--debug]
# A benchmark, not a test: nothing fails on a miss.
set -euo pipefail

INCIDENTS=10000
STEPS=100000
PROFILE=release
while [ $# -gt 0 ]; do
  case "$1" in
    --incidents) INCIDENTS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --debug) PROFILE=debug; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ATLAS="$ROOT/../shared/atlas"
for f in ATLAS-4.8.0.yaml ATLAS-5.6.0.yaml; do
  [ -f "$ATLAS/$f" ] || { echo "bench/upgrade.sh needs $ATLAS/$f" >&2; exit 2; }
done

echo "== building the $PROFILE binary"
if [ "$PROFILE" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
BIN="$ROOT/target/$PROFILE/atlasview"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export DATABASE_URL="$WORK/bench.db" RUST_LOG=warn

"$BIN" atlas import "$ATLAS/ATLAS-4.8.0.yaml" >/dev/null
"$BIN" atlas activate 4.8.0 >/dev/null
echo "== seeding $INCIDENTS incidents with $STEPS steps on 4.8.0"
"$BIN" demo seed --incidents "$INCIDENTS" --steps "$STEPS" 2>/dev/null
"$BIN" atlas import "$ATLAS/ATLAS-5.6.0.yaml" >/dev/null

now() { date +%s.%N; }
t0=$(now)
"$BIN" atlas upgrade-incidents --to 5.6.0 --dry-run >"$WORK/dry.txt" 2>"$WORK/dry.err"
t1=$(now)
"$BIN" atlas upgrade-incidents --to 5.6.0 >"$WORK/real.txt" 2>"$WORK/real.err"
t2=$(now)

echo "== results ($PROFILE build)"
grep '^dry run' "$WORK/dry.txt"
tail -n 1 "$WORK/real.txt"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v s="$STEPS" 'BEGIN {
  printf "dry run:  %.2f s (%.0f steps/s)\n", b - a, s / (b - a);
  printf "upgrade:  %.2f s (%.0f steps/s), report included\n", c - b, s / (c - b);
}'
echo "progress lines printed during the real run: $(grep -c incidents "$WORK/real.err" || true)"
