#!/usr/bin/env bash
# Cairn: build, run, test and benchmark.
#   ./run.sh                 build the jar when needed and run one node in the foreground (HTTP 8080)
#   ./run.sh test            run the whole test suite (unit, API, cluster, and the fat jar as processes)
#   ./run.sh cluster [N]     start N nodes (default 3) in the background: HTTP 8080.., Hazelcast 5701..
#   ./run.sh stop            stop the nodes started by './run.sh cluster'
#   ./run.sh bench           run the benchmarks and print p50/p99 and throughput
#   ./run.sh agent ...       run the sidecar agent for a local service (see docs/OPERATIONS.md)
# Extra arguments after 'run.sh' (or 'run.sh node') are passed to the node, e.g. ./run.sh --http.port=9090
set -euo pipefail
cd "$(dirname "$0")"

JAR=target/cairn.jar
RUN_DIR=.run
# JVM flags for nodes. The parallel collector measured ~30% more registrations/s than G1 on 2 cores
# (docs/BENCHMARKS.md); override with CAIRN_JAVA_OPTS.
JAVA_OPTS=${CAIRN_JAVA_OPTS:--XX:+UseParallelGC}

need_build() {
  [ ! -f "$JAR" ] && return 0
  [ -n "$(find pom.xml conf src -newer "$JAR" -type f 2>/dev/null | head -1)" ]
}

build() {
  if need_build; then
    echo "Building $JAR ..."
    mvn -B -q -DskipTests package
  fi
}

wait_ready() { # port, pid, log
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 240); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "node on port $port exited; see $log" >&2; tail -20 "$log" >&2; return 1; fi
    sleep 0.25
  done
  echo "node on port $port not ready after 60s; see $log" >&2
  return 1
}

# What the tests need beyond Java and Maven: curl (this script), ip (the partition test's network namespaces),
# Debian's chromium and chromium-driver (the topology page tests). Installed with apt-get when missing and
# possible (root on Debian); otherwise named, so that the person running the tests can install them.
ensure_test_tools() {
  local missing=""
  command -v curl >/dev/null 2>&1 || missing="$missing curl"
  command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  [ -x /usr/bin/chromedriver ] || missing="$missing chromium-driver"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing what the tests need:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "The tests need:$missing (apt-get install$missing, as root)" >&2
    return 1
  fi
}

cmd=${1:-node}
case "$cmd" in
  test)
    shift
    ensure_test_tools
    exec mvn -B verify "$@"
    ;;
  cluster)
    n=${2:-3}
    build
    mkdir -p "$RUN_DIR"
    join=""
    for i in $(seq 1 "$n"); do join="${join:+$join,}127.0.0.1:$((5700 + i))"; done
    # All nodes start at once; the Raft group forms when all N see each other (cluster.raft.bootstrapExpect).
    # From data directories of an earlier run, each node rejoins the group from its own Raft storage instead.
    for i in $(seq 1 "$n"); do
      http=$((8079 + i)); hz=$((5700 + i)); log="$RUN_DIR/node-$i.log"
      if [ -f "$RUN_DIR/node-$i.pid" ] && kill -0 "$(cat "$RUN_DIR/node-$i.pid")" 2>/dev/null; then
        echo "node-$i already running (pid $(cat "$RUN_DIR/node-$i.pid"))"; continue
      fi
      java $JAVA_OPTS -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
        --node.id="node-$i" --node.dataDir="data/node-$i" --http.port="$http" \
        --cluster.port="$hz" --cluster.portAutoIncrement=false --cluster.join="$join" \
        --cluster.raft.bootstrapExpect="$n" \
        >"$log" 2>&1 &
      echo $! >"$RUN_DIR/node-$i.pid"
      echo "node-$i: pid $!, http://127.0.0.1:$http, raft 127.0.0.1:$((http + 1000)), hazelcast 127.0.0.1:$hz, log $log"
    done
    for i in $(seq 1 "$n"); do wait_ready $((8079 + i)) "$(cat "$RUN_DIR/node-$i.pid")" "$RUN_DIR/node-$i.log"; done
    for _ in $(seq 1 120); do
      curl -fs http://127.0.0.1:8080/v1/status | grep -q '"leader":"' && break
      sleep 0.25
    done
    echo "cluster of $n ready; try: curl http://127.0.0.1:8080/v1/nodes ; stop with ./run.sh stop"
    ;;
  stop)
    # One node at a time, as a rolling restart would: each hands Raft leadership over while the others still form a
    # majority, and stays in the Raft group (a start from the same data directories rejoins it). A node takes at
    # most its grace period to drain plus as much to leave Hazelcast.
    shopt -s nullglob
    for f in "$RUN_DIR"/node-*.pid; do
      pid=$(cat "$f")
      if kill -0 "$pid" 2>/dev/null; then
        echo "stopping $(basename "$f" .pid) (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && { echo "pid $pid did not stop in 30s; killing"; kill -9 "$pid"; }
      fi
      rm -f "$f"
    done
    ;;
  agent)
    # The sidecar: ./run.sh agent --nodes 127.0.0.1:8080,127.0.0.1:8081 --name web-api --port 3000 --check http:/health --ttl 10s
    shift
    build
    exec java $JAVA_OPTS -cp "$JAR" io.cairn.client.CairnAgent "$@"
    ;;
  bench)
    shift
    build
    exec bench/run-bench.sh "$@"
    ;;
  node)
    [ $# -gt 0 ] && shift
    build
    exec java $JAVA_OPTS -jar "$JAR" -cluster "$@"
    ;;
  -*)
    build
    exec java $JAVA_OPTS -jar "$JAR" -cluster "$@"
    ;;
  *)
    echo "usage: ./run.sh [test|cluster [N]|stop|bench|agent [options]|node [flags]]" >&2
    exit 2
    ;;
esac
