#!/usr/bin/env bash
# Retention benchmark: starts a server on a fresh SQLite file (or --db URL), runs bench/Retention.java,
# then prints the sweeper's own line from the server log (runs and events deleted, time, longest write).
# Usage: bench/retention.sh [FILL_RUNS] [FILL_LINES] [extra serve flags…]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fill_runs="${1:-30}"; fill_lines="${2:-100000}"; shift $(( $# > 2 ? 2 : $# ))
work="$(mktemp -d)"
port=18182
bin/stepstream serve --port "$port" --data-dir "$work/data" --workflows-dir "$work/none" --allow-scripts "$@" \
  >"$work/server.log" 2>&1 &
server=$!
mkdir -p target/bench
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; cp "$work/server.log" target/bench/retention-server.log; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
"$java_bin" bench/Retention.java "http://127.0.0.1:$port" "$work/data" "$fill_runs" "$fill_lines"
grep 'retention: ' "$work/server.log" || echo "no sweeper line in the server log"
