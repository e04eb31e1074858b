#!/usr/bin/env bash
# What a paced run's events cost the server, by thread: starts a fresh server (SQLite), runs a
# workflow whose script prints a line every 1/RATE s (each line one step_log event, and at such a
# rate one event a commit), and reads each of the server's threads' CPU from
# /proc/PID/task/*/stat at SKIP seconds into the script and at its end, so that the window leaves
# out the start-up and the JIT's first seconds. No client is connected: this is the way from the
# pipe to the store (reader, committer, WAL checkpointer), not the fan-out.
# Usage: bench/paced-commits.sh [--no-build] [--rate N (100)] [--seconds N (30)] [--skip N (12)] [--strace]
#   --strace    also counts the committer's system calls (strace -c) over the 5 s after SKIP; the CPU
#               window then starts after them (tracing slows the thread it traces)
# STEPSTREAM_BENCH_HOME=DIR runs the server of another checkout (A/B), STEPSTREAM_JAVA_OPTS reaches its JVM.
# Linux only (/proc); python3 prints the lines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=true; rate=100; seconds=30; skip=12; trace=false
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=false ;;
    --rate) rate="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --skip) skip="$2"; shift ;;
    --strace) trace=true ;;
    *) echo "usage: bench/paced-commits.sh [--no-build] [--rate N] [--seconds N] [--skip N] [--strace]" >&2; exit 2 ;;
  esac
  shift
done
for value in "$rate" "$seconds" "$skip"; do
  [[ "$value" =~ ^[0-9]+$ ]] || { echo "bench/paced-commits.sh: --rate, --seconds and --skip take whole numbers, got \"$value\"" >&2; exit 2; }
done
window_start="$skip"
if $trace; then window_start=$((skip + 5)); fi
if [ "$window_start" -ge "$seconds" ]; then
  echo "bench/paced-commits.sh: --skip ($skip, and 5 s more with --strace) must end before --seconds ($seconds)" >&2; exit 2
fi

if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if $build && [ -z "${STEPSTREAM_BENCH_HOME:-}" ]; then
  ./mvnw -o -q -B -ntp -DskipTests package
fi

port=18687
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/workflows"
cat >"$work/emit.py" <<'PY'
import os, sys, time
go, count, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
while not os.path.exists(go):
    time.sleep(0.001)
t0 = time.time()
for i in range(count):
    d = t0 + i / rate - time.time()
    if d > 0:
        time.sleep(d)
    sys.stdout.write("line %d of a paced script, padded to about a log line's length\n" % i)
    sys.stdout.flush()
PY
cat >"$work/workflows/paced.yaml" <<YAML
id: paced
steps:
  - id: emit
    type: script
    run: "python3 $work/emit.py $work/go $((rate * seconds)) $rate"
YAML

# The start-up cache (Java 25+) is trained by the first command of a build (10–30 s): before, not in, the run.
"${STEPSTREAM_BENCH_HOME:-.}/bin/stepstream" --version >/dev/null
"${STEPSTREAM_BENCH_HOME:-.}/bin/stepstream" serve --port "$port" --allow-scripts --data-dir "$work/data" \
  --workflows-dir "$work/workflows" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/readyz" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
java_pid="$(pgrep -P "$server_pid" java || echo "$server_pid")"

# Each thread's CPU ticks by name (threads of one name summed: the carriers, the event loops).
threads() {
  for task in /proc/"$java_pid"/task/*; do
    local stat name
    stat="$(cat "$task/stat" 2>/dev/null)" || continue
    name="${stat#*(}"; name="${name%%)*}"
    set -- ${stat##*) }
    echo "${name// /_} $(( ${12} + ${13} ))"
  done | awk '{ticks[$1] += $2} END {for (n in ticks) print n, ticks[n]}' | sort
}

curl -sf -X POST -H 'Content-Type: application/json' -d '{}' \
  "http://127.0.0.1:$port/api/v2/workflows/paced/execute" >/dev/null
for _ in $(seq 1 200); do
  pgrep -f "$work/emit.py" >/dev/null && break
  sleep 0.05
done
pgrep -f "$work/emit.py" >/dev/null || { echo "bench/paced-commits.sh: the run's script did not start" >&2; cat "$work/server.log" >&2; exit 1; }
touch "$work/go"
sleep "$skip"
from="$skip"
if $trace; then # before the CPU window: tracing slows the traced thread
  committer="$(grep -lx event-log-commi /proc/"$java_pid"/task/*/comm | head -1)"
  committer="${committer%/comm}"; committer="${committer##*/}"
  timeout 5 strace -c -p "$committer" -o "$work/strace.txt" 2>/dev/null || true
  from=$((skip + 5))
fi
threads >"$work/before.txt"
while pgrep -f "$work/emit.py" >/dev/null; do sleep 0.1; done
sleep 0.5 # the last lines' commits
threads >"$work/after.txt"

ticks="$(getconf CLK_TCK)"
lines=$(( rate * (seconds - from) ))
echo "a script printing $rate lines/s: the server's CPU from second $from to $seconds (about $lines events):"
join "$work/before.txt" "$work/after.txt" | awk -v hz="$ticks" -v n="$lines" '
  { d = $3 - $2; total += d; if (d > 0) printf "  %-24s %6.2f s\n", $1, d / hz }
  END { printf "  %-24s %6.2f s, %.0f us an event\n", "all threads", total / hz, total / hz / n * 1e6 }' | sort -k2 -rn
if $trace; then
  echo "the committer's system calls in 5 s from second $skip (strace -c):"
  grep -E '^ *[0-9]' "$work/strace.txt" | awk '{printf "  %-12s %7d\n", $NF, $4}' | head -8
fi
