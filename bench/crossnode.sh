#!/usr/bin/env bash
# Two nodes on one PostgreSQL (a fresh schema, dropped at the end) and the local Redis:
#   latency: a run executed on node A, followed from node B (bench/CrossNode.java);
#   same:    the same, followed from node A itself (the reference: no Redis hop);
#   ingest:  events stored per second on PostgreSQL by node A, with the Redis broker publishing
#            every committed batch (bench/Ingest.java); with STEPSTREAM_BENCH_REDIS=none, the
#            nodes run without Redis (the reference).
# Usage: bench/crossnode.sh latency|same [CLIENTS] [EVENTS] [RATE] [--batch]
#        bench/crossnode.sh ingest [LINES] [RUNS]
# Needs PostgreSQL at 127.0.0.1:5432 (database test, user postgres, trust auth) and Redis at 127.0.0.1:6379,
# or STEPSTREAM_BENCH_PG (a psql connection string) and STEPSTREAM_BENCH_REDIS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode="${1:-latency}"
pg="${STEPSTREAM_BENCH_PG:-postgresql://postgres@127.0.0.1:5432/test}"
redis="${STEPSTREAM_BENCH_REDIS:-redis://127.0.0.1:6379}"
schema="bench_crossnode_$$"
work="$(mktemp -d)"
port_a=18383
port_b=18384
psql -q "$pg" -c "CREATE SCHEMA $schema"
redis_flag=(--redis "$redis")
if [ "$redis" = none ]; then redis_flag=(); fi
jdbc="jdbc:postgresql://127.0.0.1:5432/test?user=postgres&currentSchema=$schema"
# The start-up cache (Java 25+) is trained by the first command of a build (10–30 s): before, not in, the timed wait.
bin/stepstream --version >/dev/null
start_node() { # id port
  STEPSTREAM_NODE_ID="$1" bin/stepstream serve --port "$2" --data-dir "$work/$1" --workflows-dir "$work/none" \
    --allow-scripts --db "$jdbc" ${redis_flag[@]+"${redis_flag[@]}"} >"$work/$1.log" 2>&1 &
}
start_node node-a "$port_a"; node_a=$!
start_node node-b "$port_b"; node_b=$!
cleanup() {
  kill "$node_a" "$node_b" 2>/dev/null || true
  wait "$node_a" "$node_b" 2>/dev/null || true
  psql -q "$pg" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE" || true
  rm -rf "$work"
}
trap cleanup EXIT
for port in "$port_a" "$port_b"; do
  for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
done
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1); $(psql -tA "$pg" -c 'SHOW server_version' | sed 's/^/PostgreSQL /'); $( [ "$redis" = none ] && echo "no Redis" || redis-cli -u "$redis" INFO server | grep -m1 redis_version | tr -d '\r')"
case "$mode" in
  latency) "$java_bin" bench/CrossNode.java --a "http://127.0.0.1:$port_a" --b "http://127.0.0.1:$port_b" --node-a node-a \
             --clients "${2:-1}" --events "${3:-5000}" --rate "${4:-1000}" ${5:-} ;;
  same)    "$java_bin" bench/CrossNode.java --a "http://127.0.0.1:$port_a" --b "http://127.0.0.1:$port_a" --node-a node-a \
             --clients "${2:-1}" --events "${3:-5000}" --rate "${4:-1000}" ${5:-} ;;
  ingest)  "$java_bin" bench/Ingest.java "http://127.0.0.1:$port_a" "${2:-1000000}" "${3:-3}" ;;
  *) echo "usage: bench/crossnode.sh latency|same|ingest …" >&2; exit 2 ;;
esac
