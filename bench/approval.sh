#!/usr/bin/env bash
# Approval benchmark (issue 15): from an approve request to the next step's step_start, on one node
# (SQLite) or two (PostgreSQL and Redis; approved on the node that did not run it): bench/Approval.java.
# Usage: bench/approval.sh [ROUNDS] [single|cluster]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
[ -f target/stepstream.jar ] || ./mvnw -q -B -ntp -DskipTests package
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
"$java_bin" bench/Approval.java "$@"
