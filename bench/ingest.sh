#!/usr/bin/env bash
# Ingest benchmark: starts a server on a fresh SQLite file (or --db URL), runs bench/Ingest.java.
# Usage: bench/ingest.sh [LINES] [RUNS] [extra serve flags…]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lines="${1:-1000000}"; runs="${2:-3}"; shift $(( $# > 2 ? 2 : $# ))
work="$(mktemp -d)"
port=18181
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
"$java_bin" bench/Ingest.java "http://127.0.0.1:$port" "$lines" "$runs"
