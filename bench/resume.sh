#!/usr/bin/env bash
# Resume benchmark (issue 15): two nodes on this machine's PostgreSQL and Redis, --lease 3s; the
# node executing a resumable run is killed (or stopped) and the time to run_resumed on the other
# is measured (bench/Resume.java). Usage: bench/resume.sh [ROUNDS] [kill|stop]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
[ -f target/stepstream.jar ] || ./mvnw -q -B -ntp -DskipTests package
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
"$java_bin" bench/Resume.java "$@"
