#!/usr/bin/env bash
# Workflow graphs (issue 14): starts a server on a fresh SQLite file, runs bench/Graph.java.
#   graph:  a run of 200 log/set steps, 4 layers of 50: execute to run_complete, events/s
#   fanout: 50 scripts of 20,000 lines at once against one of 1,000,000: events stored per second
# Usage: bench/graph.sh graph|fanout [RUNS] [WARMUPS] [extra serve flags…]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode="${1:-graph}"; shift $(( $# > 0 ? 1 : 0 ))
case "$mode" in
  graph) runs=5; warmups=2 ;;
  fanout) runs=3; warmups=1 ;;
  *) echo "usage: bench/graph.sh graph|fanout [RUNS] [WARMUPS] [serve flags…]" >&2; exit 2 ;;
esac
runs="${1:-$runs}"; warmups="${2:-$warmups}"; shift $(( $# > 2 ? 2 : $# ))
work="$(mktemp -d)"
port=18585
# The start-up cache (Java 25+) is trained by the first command of a build (10–30 s): before, not in, the timed wait.
bin/stepstream --version >/dev/null
bin/stepstream serve --port "$port" --data-dir "$work/data" --workflows-dir "$work/none" --allow-scripts "$@" \
  >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$java_bin" bench/Graph.java "http://127.0.0.1:$port" "$mode" "$runs" "$warmups" "$server"
