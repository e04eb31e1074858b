#!/usr/bin/env bash
# JMH micro-benchmarks of the hot paths (server/src/jmh/java): envelope encoding, the ring, frame
# building, the committer. Builds them with the `jmh` Maven profile, then runs JMH.
#
# Usage: bench/jmh.sh [PATTERN] [JMH options…]
#   bench/jmh.sh                      every benchmark (~5 min)
#   bench/jmh.sh EncodeBench          one class (a regular expression over benchmark names)
#   bench/jmh.sh CommitBench -p batch=4096 -prof gc
#   bench/jmh.sh -l                   list them; -h for JMH's own options
# Results (JSON) go to target/jmh/results.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

mkdir -p target/jmh
./mvnw -q -B -ntp -Pjmh -pl server -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$PWD/target/jmh/classpath.txt" -Dmdep.includeScope=test
exec "$java_bin" -cp "target/test-classes:target/classes:$(cat target/jmh/classpath.txt)" \
  org.openjdk.jmh.Main -rf json -rff target/jmh/results.json "$@"
