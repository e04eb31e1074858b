#!/usr/bin/env bash
# Runs every benchmark scenario of issue 4 against fresh servers and writes the results into
# docs/BENCHMARKS.md (between its "results" markers) with charts under docs/bench/.
#
# Usage: bench/suite.sh [--quick] [--only NAME[,NAME…]] [--no-build] [--no-report] [--engine[=PART,…]]
#   --quick     fewer clients and events (a smoke run of the suite itself, ~1 min)
#   --engine    each server works beside the rest of the engine (issue 21, target 5): 100 secrets,
#               referenced by the scenario's script step so that its every line is masked; a
#               run of 50 parallel branches, each printing a line a second; and the retention
#               sweeper deleting the 2,700,000 events it finds expired in the store it starts on;
#               --engine=sweeper,secrets,branches names the parts (all three by default), to
#               measure what each costs alone
#   --only      scenarios: flood-batch, flood-frames, paced-frames, paced-batch, idle, storm, ingest, startup;
#               and accept, which only runs when named (not in the report)
#   --no-build  use target/stepstream.jar as it is
# Each scenario starts `bin/stepstream serve` (so with the JVM flags that script gives a server)
# on a fresh data directory, runs the load generator bench/Load.java beside it on this machine,
# and stops it. Raw results go to target/bench/results.jsonl.
# STEPSTREAM_BENCH_RUNS=N runs the fan-out and idle scenarios N times instead of 3.
# STEPSTREAM_BENCH_HOME=DIR runs the server of another checkout (DIR/bin/stepstream, its jar
# built) with this checkout's load generator: to measure a change before and after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=false; only=""; build=true; report=true; engine=false; engine_parts=",sweeper,secrets,branches,"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true ;;
    --only) only="$2"; shift ;;
    --no-build) build=false ;;
    --no-report) report=false ;;
    --engine) engine=true; report=false ;;
    --engine=*)
      engine=true; report=false; engine_parts=",${1#--engine=},"
      for part in ${engine_parts//,/ }; do
        case "$part" in sweeper|secrets|branches) ;; *) echo "suite: --engine: unknown part '$part' (sweeper, secrets, branches)" >&2; exit 2 ;; esac
      done ;;
    *) echo "usage: bench/suite.sh [--quick] [--only NAME,…] [--no-build] [--no-report] [--engine[=sweeper,secrets,branches]]" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if $build; then
  ./mvnw -q -B -ntp -DskipTests package
fi

out=target/bench${STEPSTREAM_BENCH_HOME:+/$(basename "$STEPSTREAM_BENCH_HOME")}
if $engine; then out="$out/engine"; fi
engine_has() { [[ "$engine_parts" == *",$1,"* ]]; }
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
port=18282
server_pid=""
work=""
server_flags=()      # serve flags of the scenarios that need some
engine_template=""   # --engine: the store each server starts on (make_engine_template)
engine_live=false    # --engine, once that store is made: servers work beside the engine

stop_server() {
  if [ -n "$server_pid" ]; then
    if $engine_live; then
      # what the engine did meanwhile: the sweeper's deletions, the runs still going (the branches')
      echo "engine: $(curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^stepstream_(runs_deleted_total|store_reclaimed[a-z_]*|runs_active|retention_passes_total)' | tr '\n' ' ')"
    fi
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  [ -n "$work" ] && rm -rf "$work"
  work=""
}
trap 'stop_server; [ -z "$engine_template" ] || rm -rf "$(dirname "$engine_template")"' EXIT

# The start-up cache (Java 25+) is trained by the first command of a build (10–30 s): before, not in, the timed wait.
"${STEPSTREAM_BENCH_HOME:-.}/bin/stepstream" --version >/dev/null
start_server() {
  work="$(mktemp -d)"
  if $engine_live && [ -n "$engine_template" ]; then
    cp -r "$engine_template" "$work/data"
  fi
  "${STEPSTREAM_BENCH_HOME:-.}/bin/stepstream" serve --port "$port" --data-dir "$work/data" --workflows-dir "$work/none" \
    --allow-scripts "$@" \
    >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      if $engine_live; then engine_work; fi
      return 0
    fi
    sleep 0.1
  done
  cat "$work/server.log" >&2
  echo "suite: the server did not become ready" >&2
  exit 1
}

# --engine ------------------------------------------------------------------------------------
api() { # METHOD PATH [BODY [CONTENT-TYPE]]
  curl -fsS -X "$1" "http://127.0.0.1:$port/api/v2$2" ${3:+--data-binary "$3"} -H "Content-Type: ${4:-application/json}"
}
run_to_end() { # WORKFLOW: executes it and waits until the run has ended
  local run
  run="$(api POST "/workflows/$1/execute" | sed 's/.*"runId":"\([^"]*\)".*/\1/')"
  while api GET "/workflows/runs/$run" | grep -q '"status":"\(queued\|running\)"'; do sleep 0.5; done
}
# A store for the sweeper: runs of a script printing many lines, then given `maxRuns: 1`, so that
# a server started on a copy of it finds all but one expired and deletes them (its first pass
# starts at once), then gives their pages back, for the length of a scenario.
make_engine_template() {
  local runs=10 lines=300000
  $quick && { runs=3; lines=50000; }
  echo "== engine: a store of $runs runs of $lines lines, for the sweeper"
  start_server
  local churn="id: bench-churn
steps:
  - {id: print, type: script, run: \"seq -f 'churn line %g' 1 $lines\"}"
  api PUT /workflows/bench-churn "$churn" application/yaml >/dev/null
  for _ in $(seq 1 "$runs"); do run_to_end bench-churn; done
  api PUT /workflows/bench-churn "$churn
retention: {maxRuns: 1}" application/yaml >/dev/null
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  engine_template="$(mktemp -d)/data"
  mv "$work/data" "$engine_template"
  stop_server
}
# On each server: the secrets the scenario's step references, and a run of 50 parallel branches.
engine_work() {
  local i branches
  if engine_has secrets; then
    for i in $(seq 0 $((engine_secrets - 1))); do
      api PUT "/secrets/$(printf 'S%03d' "$i")" "{\"value\": \"bench-secret-$i-$RANDOM$RANDOM\"}" >/dev/null
    done
  fi
  engine_has branches || return 0
  branches="id: bench-branches
maxParallel: 50
steps:
  - {id: start, type: log, message: branches}"
  for i in $(seq -w 1 50); do
    branches="$branches
  - {id: b$i, type: script, needs: [start], run: 'for i in \$(seq 1 3600); do echo \"branch $i tick \$i\"; sleep 1; done'}"
  done
  api PUT /workflows/bench-branches "$branches" application/yaml >/dev/null
  api POST /workflows/bench-branches/execute >/dev/null
}
engine_secrets=100
if $engine && engine_has secrets; then
  export STEPSTREAM_BENCH_SECRETS=$engine_secrets
fi

wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# Runs one scenario: NAME, then the load generator's arguments.
scenario() {
  local name="$1"; shift
  wanted "$name" || return 0
  echo "== $name${runs:+ (run $run of $runs)}"
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  start_server ${server_flags[@]+"${server_flags[@]}"}
  local log="$out/$name.log"
  "$java_bin" -Xmx3g -XX:+UseParallelGC bench/Load.java "$@" --server "http://127.0.0.1:$port" --server-pid "$server_pid" \
    | tee "$log" | grep -v '^RESULT '
  grep '^RESULT ' "$log" | sed -e 's/^RESULT //' -e "s/^{/{\"name\":\"$name\",\"load\":$load,/" >>"$results"
  cp "$work/server.log" "$out/$name.server.log"
  stop_server
}

if $quick; then
  clients=200; flood=500; paced=200; idle=1000; lines=100000; runs=1; storm_runs=10
else
  clients=1000; flood=2000; paced=2000; idle=10000; lines=1000000; runs=${STEPSTREAM_BENCH_RUNS:-3}; storm_runs=100
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
if $engine; then
  echo "engine: ${engine_parts:1:-1}"
  if engine_has sweeper; then make_engine_template; fi
  engine_live=true   # from now on each server gets the engine's work
fi

# Fan-out and idle figures on a shared 2-core VM swing by a quarter from one run to the next:
# each runs $runs times (the report shows every run and judges a target by the median).
# The fan-out generator reads on two threads: on one, its core was the limit of the flood
# scenarios (1.4-1.9 s of its CPU against the server's 0.7-1.4 s; two threads gave 15-20 %
# more deliveries a second, bench/README.md).
for run in $(seq 1 "$runs"); do scenario flood-batch  fanout --threads 2 --clients "$clients" --events "$flood" --rate 0 --batch; done
for run in $(seq 1 "$runs"); do scenario flood-frames fanout --threads 2 --clients "$clients" --events "$flood" --rate 0; done
for run in $(seq 1 "$runs"); do scenario paced-frames fanout --threads 2 --clients "$clients" --events "$paced" --rate 100; done
for run in $(seq 1 "$runs"); do scenario paced-batch  fanout --threads 2 --clients "$clients" --events "$paced" --rate 100 --batch; done
for run in $(seq 1 "$runs"); do scenario idle         idle   --clients "$idle"; done
# A reconnect storm (issue 21, target 2): $idle clients of $storm_runs live runs, all cut at once,
# each back within a second with after.
# Its runs all run at once: --max-concurrent-runs above their number (the default, 64, would queue some).
server_flags=(--max-concurrent-runs 200)
for run in $(seq 1 "$runs"); do scenario storm        storm  --threads 2 --clients "$idle" --runs "$storm_runs" --jitter-ms 1000; done
server_flags=()
# How long the accept stays cold (issue 21, target 2): $idle connections opened and closed six
# times on one fresh server, the CPU of each round. Only when named (--only accept): the report
# does not show it.
if [[ ",$only," == *",accept,"* ]]; then
  for run in $(seq 1 "$runs"); do scenario accept     accept --clients "$idle" --rounds 6; done
fi

if wanted ingest; then
  echo "== ingest"
  load=$(cut -d' ' -f1 /proc/loadavg)
  start_server
  "$java_bin" bench/Ingest.java "http://127.0.0.1:$port" "$lines" 3 | tee "$out/ingest.log" | grep -v '^RESULT '
  grep '^RESULT ' "$out/ingest.log" | sed -e 's/^RESULT //' -e "s/^{/{\"name\":\"ingest\",\"load\":$load,/" >>"$results"
  stop_server
fi

if wanted startup; then
  echo "== startup"
  load=$(cut -d' ' -f1 /proc/loadavg)
  # As on a fresh clone: the first launch has no class-data archive yet and writes it at exit.
  rm -f "${STEPSTREAM_BENCH_HOME:-.}"/target/stepstream-serve*.jsa
  "$java_bin" bench/Startup.java --runs 5 --port "$port" --home "${STEPSTREAM_BENCH_HOME:-.}" | tee "$out/startup.log" | grep -v '^RESULT '
  grep '^RESULT ' "$out/startup.log" | sed -e 's/^RESULT //' -e "s/^{/{\"name\":\"startup\",\"load\":$load,/" >>"$results"
  # A restart: the same data directory each time, as a server restarted on its database.
  "$java_bin" bench/Startup.java --runs 5 --port "$port" --home "${STEPSTREAM_BENCH_HOME:-.}" --restart | tee "$out/restart.log" | grep -v '^RESULT '
  grep '^RESULT ' "$out/restart.log" | sed -e 's/^RESULT //' -e "s/^{/{\"name\":\"restart\",\"load\":$load,/" >>"$results"
fi

if $report && ! $quick && [ -z "$only" ] && [ -z "${STEPSTREAM_BENCH_HOME:-}" ]; then
  "$java_bin" bench/Report.java "$results" docs/BENCHMARKS.md docs/bench
  echo "suite: wrote docs/BENCHMARKS.md and docs/bench/*.svg"
else
  echo "suite: results in $results (the report is written only by a full run)"
fi
