# Sourced by the benchmarks: `build_release` sets BIN to $ATLASVIEW_BIN when
# given (e.g. a `cargo build --profile quick` binary, used as it is), else
# builds the release binary and sets BIN to it. Needs ROOT.

build_release() {
  if [ -n "${ATLASVIEW_BIN:-}" ]; then
    BIN=$ATLASVIEW_BIN
    echo "== using $BIN" >&2
    return
  fi
  echo "== building the release binary" >&2
  (cd "$ROOT" && cargo build --release --quiet)
  local target
  target=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  BIN="${target:-$ROOT/target}/release/atlasview"
}
