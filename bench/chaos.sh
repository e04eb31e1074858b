#!/usr/bin/env bash
# A chaos soak of a 3-node cluster on this machine's PostgreSQL and a private Redis (bench/Chaos.java
# says what it does and checks). Builds the jar when missing. Exit 0 when every invariant held.
#   bench/chaos.sh [--minutes 10] [--nodes 3] [--rate 100] [--lease 3s] [--home DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
home="."
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --home ]; then j=$((i + 1)); home="${!j}"; fi
done
[ -f "$home/target/stepstream.jar" ] || (cd "$home" && ./mvnw -q -B -ntp -DskipTests package)
exec "$java_bin" bench/Chaos.java "$@"
