# Sourced by bench/server.sh and bench/ingest.sh: the backend a benchmark
# runs on. `--backend postgres` (BACKEND=postgres) seeds SQLite as usual,
# then copies that database into a new PostgreSQL database with
# `atlasview db copy` (so both backends are measured on the same data) and
# runs the server there; $ATLASVIEW_BENCH_POSTGRES names the server
# (default postgres://postgres@127.0.0.1:5432, a user who may create
# databases). Needs BIN; psql for PostgreSQL, sqlite3 for SQLite's plans.

BACKEND=${BACKEND:-sqlite}
PG_SERVER=${ATLASVIEW_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
PG_DB=""

# use_backend SQLITE_FILE: sets URL, what --database-url takes from here on.
use_backend() {
  URL=$1
  case "$BACKEND" in
    sqlite) return 0 ;;
    postgres) ;;
    *) echo "unknown backend $BACKEND (sqlite or postgres)" >&2; exit 2 ;;
  esac
  command -v psql >/dev/null || { echo "--backend postgres needs psql" >&2; exit 2; }
  PG_DB="atlasview_bench_$$_$RANDOM"
  psql -qX "$PG_SERVER/postgres" -c "CREATE DATABASE $PG_DB" >/dev/null
  URL="$PG_SERVER/$PG_DB"
  echo "== copying the seeded database into PostgreSQL ($PG_DB)" >&2
  "$BIN" --database-url "$1" db copy --to "$URL" 2>&1 | tail -3 >&2
}

# drop_backend: removes the PostgreSQL database (the benchmarks' cleanup).
drop_backend() {
  if [ -n "$PG_DB" ]; then
    psql -qX "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
}

# plan LABEL SQLITE_SQL [POSTGRES_SQL]: the query plan on the benchmark's
# backend (the PostgreSQL text when the query differs there), with
# PostgreSQL's actual times and buffers.
plan() {
  echo "-- $1"
  if [ "$BACKEND" = postgres ]; then
    psql -AtX "$URL" -c "EXPLAIN (ANALYZE, BUFFERS) ${3:-$2}" | sed 's/^/   /'
  else
    sqlite3 "$URL" "EXPLAIN QUERY PLAN $2" | sed 's/^/   /'
  fi
}
