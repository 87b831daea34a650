#!/usr/bin/env bash
# Fuzzing every reader of outside input (issue 17): builds the cargo-fuzz
# targets of fuzz/ (libFuzzer, no sanitizer, release with debug assertions so
# overflows panic), seeds their corpora (fuzz/seed.py: test fixtures, the
# hand-written seeds of fuzz/seeds/ and small slices of ../shared/atlas cut at
# run time) and runs each target in turn, one worker on one core, for SECONDS.
#
# Prints the fuzzer's progress every 30 s, then per target: executions,
# exec/s, corpus size and crashes (panics, hangs over 10 s, more than 2 GiB
# resident, one allocation over 64 MiB: libFuzzer's -malloc_limit_mb needs a
# sanitizer, so the targets' own allocator enforces that, see
# fuzz/fuzz_targets/common/mod.rs); ends with a summary table. Exits 1 when a target found a crash:
# the inputs are in fuzz/artifacts/<target>/ (replay one with
# `fuzz/target/*/release/<target> <file>`). After a crash the target is
# started again for the time left, so one run can find several.
#
# Usage: bench/fuzz.sh [SECONDS] [TARGET...]   (600 s and every target by default)
# Needs: a Rust toolchain (stable works: RUSTC_BOOTSTRAP=1 is set here),
# cargo-fuzz (`cargo install cargo-fuzz --locked`), python3 with PyYAML.
set -euo pipefail

SECONDS_EACH=${1:-600}
shift || true
ALL=(atlas_legacy atlas_v6 atlas_stix layer case_study stix_bundle alert bulk_import query)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
case "$SECONDS_EACH" in
  '' | *[!0-9]*) echo "usage: bench/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

command -v cargo-fuzz >/dev/null || {
  echo "bench/fuzz.sh needs cargo-fuzz: cargo install cargo-fuzz --locked" >&2
  exit 2
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ="$ROOT/fuzz"
cd "$ROOT"

# Longest input per target: a release slice is tens of KB, a query a line.
max_len() {
  case "$1" in
    atlas_*) echo 65536 ;;
    layer) echo 32768 ;;
    query) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

# The fuzz crate depends on the library through this link (see fuzz/Cargo.toml).
[ -e "$FUZZ/atlasview-src" ] || ln -s .. "$FUZZ/atlasview-src"

echo "== build (cargo fuzz build --sanitizer none --release --debug-assertions)"
# cargo fuzz builds one named target or all of them.
one=()
[ ${#TARGETS[@]} -eq 1 ] && one=("${TARGETS[0]}")
RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none -O -a "${one[@]}"
BIN_DIR=$(find "$FUZZ/target" -maxdepth 3 -type d -path '*/release' | head -n 1)
[ -n "$BIN_DIR" ] || { echo "no fuzz build found under fuzz/target" >&2; exit 2; }

echo "== seed corpora"
python3 "$FUZZ/seed.py" "${TARGETS[@]}"

# Scratch databases of the store-backed targets, removed at the end.
DB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/atlasview-fuzz.XXXXXX")
LOGS="$FUZZ/logs"
mkdir -p "$LOGS"
WATCH=""
trap 'rm -rf "$DB_DIR"; [ -n "$WATCH" ] && kill "$WATCH" 2>/dev/null || true' EXIT

declare -A EXECS SECS CORPUS CRASHES
FOUND=0
BROKEN=0
for t in "${TARGETS[@]}"; do
  [ -x "$BIN_DIR/$t" ] || { echo "no such target: $t" >&2; exit 2; }
  mkdir -p "$FUZZ/corpus/$t" "$FUZZ/artifacts/$t"
  before=$(find "$FUZZ/artifacts/$t" -type f | wc -l)
  execs=0
  start=$(date +%s)
  round=0
  echo "== $t: ${SECONDS_EACH}s"
  while :; do
    left=$((SECONDS_EACH - ($(date +%s) - start)))
    [ "$left" -ge 5 ] || break
    round=$((round + 1))
    log="$LOGS/$t.$round.log"
    dict=()
    [ -f "$FUZZ/dict/$t.dict" ] && dict=("-dict=$FUZZ/dict/$t.dict")
    FUZZ_DB_DIR="$DB_DIR" "$BIN_DIR/$t" "$FUZZ/corpus/$t" \
      -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len "$t")" -print_final_stats=1 -close_fd_mask=1 \
      -artifact_prefix="$FUZZ/artifacts/$t/" "${dict[@]}" >"$log" 2>&1 &
    pid=$!
    # Progress: the fuzzer's latest status line every 30 s.
    (
      while sleep 30; do
        line=$(grep -aE '^#[0-9]+' "$log" | tail -n 1 || true)
        [ -n "$line" ] && echo "   $t [$(($(date +%s) - start))s] $line"
      done
    ) &
    WATCH=$!
    rc=0
    wait "$pid" || rc=$?
    kill "$WATCH" 2>/dev/null || true
    wait "$WATCH" 2>/dev/null || true
    WATCH=""
    # The final stats (a run to its end), else the last status line (a crash).
    n=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -n 1 || true)
    [ -n "$n" ] || n=$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
    execs=$((execs + ${n:-0}))
    if [ "$rc" -ne 0 ]; then
      grep -aE '^(==[0-9]+== ERROR|thread .* panicked|panicked at|SUMMARY|artifact_prefix|Test unit written)' "$log" |
        head -n 6 | sed 's/^/   /' || true
      [ "$rc" -ne 0 ] && ! grep -aq 'Test unit written' "$log" && {
        echo "   $t: the fuzzer stopped with status $rc and wrote no input; see $log" >&2
        BROKEN=1
        break
      }
    else
      break
    fi
  done
  took=$(($(date +%s) - start))
  found=$(($(find "$FUZZ/artifacts/$t" -type f | wc -l) - before))
  EXECS[$t]=$execs
  SECS[$t]=$took
  CORPUS[$t]=$(find "$FUZZ/corpus/$t" -type f | wc -l)
  CRASHES[$t]=$found
  rate=$((execs / (took > 0 ? took : 1)))
  echo "   $t: ${execs} executions in ${took}s (${rate}/s), corpus ${CORPUS[$t]}, crashes ${found}"
  [ "$found" -eq 0 ] || FOUND=1
done

echo
printf '%-14s %8s %12s %9s %8s %8s\n' target seconds executions exec/s corpus crashes
for t in "${TARGETS[@]}"; do
  s=${SECS[$t]}
  printf '%-14s %8d %12d %9d %8d %8d\n' "$t" "$s" "${EXECS[$t]}" "$((EXECS[$t] / (s > 0 ? s : 1)))" \
    "${CORPUS[$t]}" "${CRASHES[$t]}"
done
if [ "$BROKEN" -ne 0 ]; then
  echo "a fuzzer did not run to its end (see the messages above and fuzz/logs/)" >&2
  exit 2
fi
if [ "$FOUND" -ne 0 ]; then
  echo "crashes found: inputs in fuzz/artifacts/<target>/, logs in fuzz/logs/" >&2
  exit 1
fi
