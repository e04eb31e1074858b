#!/usr/bin/env bash
# History benchmark: late readers of a finished run of LINES short log lines (default 200,000)
# read its whole history over SSE, 20 at once from the start (they share the pages they read),
# then 20 at once each from its own place (after=0, 9999, 19998, …); three rounds, the wall time
# of each group. On a fresh SQLite file, or PostgreSQL with `--db URL` (an empty database).
# Usage: bench/history.sh [LINES] [extra serve flags…]; STEPSTREAM_BENCH_HOME=DIR runs DIR's build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lines="${1:-200000}"; shift $(( $# > 0 ? 1 : 0 ))
home="${STEPSTREAM_BENCH_HOME:-.}"
work="$(mktemp -d)"
port=18184
"$home/bin/stepstream" --version >/dev/null # trains the start-up cache (Java 25+) outside the timed part
"$home/bin/stepstream" serve --port "$port" --data-dir "$work/data" --workflows-dir "$work/none" --allow-scripts "$@" \
  >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
api="http://127.0.0.1:$port/api/v2"
curl -fsS -X PUT "$api/workflows/history" -H 'Content-Type: application/yaml' --data-binary "id: history
steps:
  - {id: print, type: script, run: \"seq -f 'history line %g of the benchmark' 1 $lines\"}" >/dev/null
run=$(curl -fsS -X POST "$api/workflows/history/execute" | sed 's/.*"runId":"\([^"]*\)".*/\1/')
while curl -fsS "$api/workflows/runs/$run" | grep -q '"status":"\(queued\|running\)"'; do sleep 0.5; done
readers() { # AFTER-STEP: 20 SSE readers from 0, STEP, 2*STEP, …, to the run's end; their wall time in s
  local start pids=() i
  start=$(date +%s.%N)
  for i in $(seq 0 19); do
    curl -fsSN -H 'Accept: text/event-stream' "$api/workflows/runs/$run/events?after=$((i * $1))" >/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  echo "$(date +%s.%N) - $start" | bc
}
for round in 1 2 3; do
  echo "round $round: 20 readers from the start $(readers 0) s; 20 each from its own place $(readers $((lines / 20 - 1))) s"
done
curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^stepstream_stream_history_(reads|events)_total'
