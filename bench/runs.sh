#!/usr/bin/env bash
# Runs per second (issue 21, target 3): starts a fresh server, as bench/suite.sh does, and runs
# bench/Runs.java against it (64 callers, each executing a 3-step workflow and waiting for its
# run_complete on the all-runs stream, for 60 s after a 10 s warm-up), then stops it.
# Usage: bench/runs.sh [--pg] [--no-build] [Runs.java options: --callers N --seconds N --warmup N --quick]
#   --pg        PostgreSQL at 127.0.0.1:5432 (user postgres, trust) in a database of its own, dropped at the end
#               (STEPSTREAM_BENCH_PG: another server, as a psql URL without the database)
#   default     a fresh SQLite file in a temporary data directory
# The server runs with --max-concurrent-runs 64 (the default, stated: one slot per caller). Per-client
# rate limits do not apply on loopback to an open server (docs/security.md), so none is set.
# STEPSTREAM_BENCH_HOME=DIR runs the server of another checkout (A/B), STEPSTREAM_JAVA_OPTS reaches its JVM.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pg=false; build=true; args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --pg) pg=true ;;
    --no-build) build=false ;;
    *) args+=("$1") ;;
  esac
  shift
done

if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if $build && [ -z "${STEPSTREAM_BENCH_HOME:-}" ]; then
  ./mvnw -o -q -B -ntp -DskipTests package
fi

port=18686
work="$(mktemp -d)"
server_pid=""
db_flags=()
pg_base="${STEPSTREAM_BENCH_PG:-postgresql://postgres@127.0.0.1:5432}"
database="stepstream_bench_runs_$$"
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if $pg; then
    psql -q "$pg_base/postgres" -c "DROP DATABASE IF EXISTS $database" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if $pg; then
  psql -q "$pg_base/postgres" -c "CREATE DATABASE $database"
  host_port="${pg_base#postgresql://}"; user="${host_port%%@*}"; host_port="${host_port#*@}"
  db_flags=(--db "jdbc:postgresql://$host_port/$database?user=$user")
fi

# The start-up cache (Java 25+) is trained by the first command of a build (10–30 s): before, not in, the timed wait.
"${STEPSTREAM_BENCH_HOME:-.}/bin/stepstream" --version >/dev/null
"${STEPSTREAM_BENCH_HOME:-.}/bin/stepstream" serve --port "$port" --data-dir "$work/data" --workflows-dir "$work/none" \
  --max-concurrent-runs 64 ${db_flags[@]+"${db_flags[@]}"} >"$work/server.log" 2>&1 &
server_pid=$!
ready=false
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && { ready=true; break; }
  sleep 0.1
done
if ! $ready; then cat "$work/server.log" >&2; echo "runs: the server did not become ready" >&2; exit 1; fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1); store: $($pg && psql -tA "$pg_base/postgres" -c 'SHOW server_version' | sed 's/^/PostgreSQL /' || echo SQLite)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$java_bin" bench/Runs.java "http://127.0.0.1:$port" --server-pid "$server_pid" ${args[@]+"${args[@]}"}
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q -E ' (WARN|ERROR) ' "$work/server.log"; then
  echo "server warnings:"; grep -E ' (WARN|ERROR) ' "$work/server.log" | head -20
fi
