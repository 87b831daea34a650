# Sourced by the browser benchmarks (bench/pages.sh, bench/lighthouse.sh,
# bench/coldload.sh): builds the release binary, seeds a corpus database
# (bench/corpus.py: INCIDENTS incidents over TAGS tags, two steps each; kept in
# target/bench-corpus/ and reused while the binary and the corpus script are
# unchanged; $ATLASVIEW_BIN instead of the release build when set), starts a server on a free port with --public-read and sets
# BIN, DB, BASE, WORK and SERVER_PID; `stop_server` ends it.
#
# Needs: cargo, python3, curl.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INCIDENTS=${INCIDENTS:-15000}
TAGS=${TAGS:-4000}
WORK=$(mktemp -d)
SERVER_PID=""

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
cleanup_web_env() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup_web_env EXIT INT TERM

# build_release: see bench/binary.sh.
source "$ROOT/bench/binary.sh"

# seed_corpus: sets DB to a database with the ATLAS 5.6.0 release and the corpus.
seed_corpus() {
  local release="$ROOT/../shared/atlas/ATLAS-5.6.0.yaml"
  [ -f "$release" ] || { echo "needs $release (see scripts/atlas-data)" >&2; exit 2; }
  local dir="$ROOT/target/bench-corpus"
  local key
  key=$(cat "$BIN" "$ROOT/bench/corpus.py" | sha256sum | cut -c1-12)
  DB="$dir/corpus-$INCIDENTS-$TAGS-$key.db"
  if [ ! -f "$DB" ]; then
    mkdir -p "$dir"
    rm -f "$dir"/corpus-"$INCIDENTS"-"$TAGS"-*.db*
    echo "== seeding $INCIDENTS incidents over $TAGS tags" >&2
    "$BIN" --database-url "$DB.tmp" atlas import "$release" >/dev/null 2>&1
    grep -o 'AML\.T[0-9]\{4\}' "$release" | sort -u >"$WORK/techniques.txt"
    python3 "$ROOT/bench/corpus.py" --incidents "$INCIDENTS" --tags "$TAGS" \
      --techniques "$WORK/techniques.txt" >"$WORK/corpus.jsonl"
    "$BIN" --database-url "$DB.tmp" import incidents "$WORK/corpus.jsonl" >"$WORK/import.log" 2>&1 ||
      { tail -20 "$WORK/import.log" >&2; exit 1; }
    grep -q " 0 refused" "$WORK/import.log" || { tail -5 "$WORK/import.log" >&2; exit 1; }
    mv "$DB.tmp" "$DB"
  fi
}

# start_server [extra serve args]: a release server on a copy of $DB (writes
# leave the seeded corpus as it is), answering at $BASE.
start_server() {
  local port=$((20000 + RANDOM % 20000))
  cp "$DB" "$WORK/run.db"
  BASE="http://127.0.0.1:$port"
  (cd "$ROOT" && RUST_LOG=warn exec "$BIN" --database-url "$WORK/run.db" serve \
    --addr "127.0.0.1:$port" --public-read "$@" >"$WORK/server.log" 2>&1) &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$WORK/server.log" >&2
  exit 1
}

# admin_token: sets TOKEN to an admin API token of the running server's database.
admin_token() {
  printf '%s\n' "violet-harbor-anchor-5512" |
    "$BIN" --database-url "$WORK/run.db" user add bench --role admin >/dev/null 2>&1 || true
  TOKEN=$("$BIN" --database-url "$WORK/run.db" token create --user bench --role admin --name bench)
}

# An incident of the corpus (its ID).
some_incident() {
  curl -fs "$BASE/api/v1/incidents?per_page=1" | sed -n 's/.*"items":\[{"id":"\([^"]*\)".*/\1/p'
}

# npm packages the browser benchmarks run, in target/node_modules (installed when missing).
npm_tools() {
  local missing=()
  for spec in "$@"; do
    [ -d "$ROOT/target/node_modules/${spec%@*}" ] || missing+=("$spec")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} into target/node_modules" >&2
    npm install --silent --no-audit --no-fund --prefix "$ROOT/target" "${missing[@]}" >&2
  fi
}
