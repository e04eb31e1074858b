#!/usr/bin/env bash
# Retention benchmark: starts a server on a fresh store, runs bench/Retention.java, then prints
# the sweeper's own lines from the server log (runs and events deleted, time, longest write).
# The store is a fresh SQLite file by default; with STEPSTREAM_BENCH_STORE=postgresql, a fresh
# database bench_retention_PID on the PostgreSQL server STEPSTREAM_BENCH_PG_SERVER (default
# postgresql://postgres@127.0.0.1:5432, trust auth), dropped at the end.
# Usage: [STEPSTREAM_BENCH_STORE=sqlite|postgresql] bench/retention.sh [FILL_RUNS] [FILL_LINES] [extra serve flags…]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fill_runs="${1:-30}"; fill_lines="${2:-100000}"; shift $(( $# > 2 ? 2 : $# ))
store="${STEPSTREAM_BENCH_STORE:-sqlite}"
work="$(mktemp -d)"
port=18182
db_flags=(); psql_url=""; database=""
pg_server="${STEPSTREAM_BENCH_PG_SERVER:-postgresql://postgres@127.0.0.1:5432}"
case "$store" in
  sqlite) ;;
  postgresql)
    database="bench_retention_$$"
    psql -X -q "$pg_server/postgres" -c "CREATE DATABASE $database"
    psql_url="$pg_server/$database"
    # the events table's free space, for the report (pgstattuple_approx); optional
    psql -X -q "$psql_url" -c "CREATE EXTENSION IF NOT EXISTS pgstattuple" 2>/dev/null || echo "no pgstattuple: free space not reported"
    # postgresql://USER@HOST:PORT → jdbc:postgresql://HOST:PORT/DB?user=USER
    rest="${pg_server#postgresql://}"; user="${rest%%@*}"; hostport="${rest#*@}"
    db_flags=(--db "jdbc:postgresql://$hostport/$database?user=$user")
    ;;
  *) echo "STEPSTREAM_BENCH_STORE is sqlite or postgresql, not $store" >&2; exit 2 ;;
esac
# The start-up cache (Java 25+) is trained by the first command of a build (10–30 s): before, not in, the timed wait.
bin/stepstream --version >/dev/null
bin/stepstream serve --port "$port" --data-dir "$work/data" --workflows-dir "$work/none" --allow-scripts \
  ${db_flags[@]+"${db_flags[@]}"} "$@" >"$work/server.log" 2>&1 &
server=$!
mkdir -p target/bench
cleanup() {
  kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
  cp "$work/server.log" "target/bench/retention-$store-server.log"; rm -rf "$work"
  if [ -n "$database" ]; then psql -X -q "$pg_server/postgres" -c "DROP DATABASE IF EXISTS $database" || true; fi
}
trap cleanup EXIT
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "java: $("$java_bin" -version 2>&1 | head -1); store: $store"
"$java_bin" bench/Retention.java "http://127.0.0.1:$port" "$work/data" "$fill_runs" "$fill_lines" $psql_url
grep 'retention: ' "$work/server.log" || echo "no sweeper line in the server log"
