#!/usr/bin/env bash
# Reading benchmark (issue 19): a run of LINES log lines on a fresh SQLite file (or --db URL), then
# bench/Reading.java: search over its whole history (?q=) and the log download with the server's memory.
# Usage: bench/reading.sh [LINES] [extra serve flags…]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lines="${1:-1000000}"; shift $(( $# > 0 ? 1 : 0 ))
work="$(mktemp -d)"
port=18183
# The start-up cache (Java 25+) is trained by the first command of a build (10–30 s): before, not in, the timed wait.
bin/stepstream --version >/dev/null
bin/stepstream serve --port "$port" --data-dir "$work/data" --workflows-dir "$work/none" --allow-scripts "$@" \
  >"$work/server.log" 2>&1 &
server=$!
mkdir -p target/bench
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; cp "$work/server.log" target/bench/reading-server.log; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
[ -n "${KEEP:-}" ] && echo "kept: $work"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
"$java_bin" bench/Reading.java "http://127.0.0.1:$port" "$server" "$lines"
