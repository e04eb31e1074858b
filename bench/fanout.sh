#!/usr/bin/env bash
# Fan-out benchmarks: starts a server on a fresh data directory, then runs bench/Fanout.java.
# Usage: bench/fanout.sh latency [CLIENTS] [EVENTS] [RATE] [--batch]
#        bench/fanout.sh idle [CONNECTIONS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode="${1:-latency}"
work="$(mktemp -d)"
port=18282
STEPSTREAM_JAVA_OPTS="${STEPSTREAM_JAVA_OPTS:-}" bin/stepstream serve --port "$port" --data-dir "$work/data" \
  --workflows-dir "$work/none" --allow-scripts >"$work/server.log" 2>&1 &
launcher=$!
trap 'kill "$launcher" 2>/dev/null || true; wait "$launcher" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
server_pid="$(pgrep -f "stepstream.jar serve --port $port" | head -1)"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
case "$mode" in
  latency) "$java_bin" -Xmx2g bench/Fanout.java --server "http://127.0.0.1:$port" --clients "${2:-1000}" \
             --events "${3:-5000}" --rate "${4:-1000}" ${5:-} ;;
  idle)    "$java_bin" -Xmx4g bench/Fanout.java --server "http://127.0.0.1:$port" --idle "${2:-10000}" --server-pid "$server_pid" ;;
  *) echo "usage: bench/fanout.sh latency|idle …" >&2; exit 2 ;;
esac
