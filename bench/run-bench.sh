#!/usr/bin/env bash
# Cairn benchmarks (not tests). Starts a fresh node for each phase on 127.0.0.1 and measures it with wrk
# (one thread, 32 connections, 10 s after a warm-up), printing p50/p99 and throughput:
#   1. registrations/s of distinct instances (PUT /v1/services/{id})
#   2. discovery queries/s for one service name among 10,000 instances (1,000 names x 10)
#   3. heap used per 10,000 instances (live bytes after a full GC, before and after registering them)
#   4. bulk registrations/s: one client sending POST /v1/services:bulk with 1,000 instances per request
# Then, on a three-node cluster of jar processes with Raft (io.cairn.bench.ClusterBench, from the test classes):
#   5. failure detection: SIGKILL of a follower -> another node shows it failed; p50/p99 over --kills kills
#   6. leader failover: SIGKILL of the leader -> another node shows a new leader with a higher term; same
#   7. with --stability SECONDS: full write load for that long, counting false failures and leader changes
#   9. streams (io.cairn.bench.StreamBench): propagation write -> WebSocket event p50/p99 at rest and with 1,000
#      watchers per node under 5,000 registrations/s; memory of 10,000 watchers; a new node's time to ready in a
#      cluster of 100,000 instances
#  10. gRPC (io.cairn.bench.GrpcBench): Register and Discover over gRPC and over REST with the same Java load
#      generator, throughput and p50/p99, and their ratio (--only grpc)
#   8. health checks (io.cairn.bench.CheckBench): --checks 10000 HTTP checks at 10 s against a stub server,
#      measured for --check-seconds 60 after one interval: checks/s, lateness p50/p99 and CPU per node
#  11. peers (bench/peers.sh, --only peers): Cairn beside etcd (Debian's etcd-server), ZooKeeper (Debian's zookeeper
#      3.8, driven by bench/zookeeper-load with Apache Curator) and Eureka (bench/eureka-server, Spring Cloud Netflix on
#      Boot 4), installed or built when missing, on 127.0.0.1, the same documents and concurrency for all (32 requests
#      in flight), a warm-up of --warmup, default the same as --duration, re-registering a bounded set of ids, then
#      --duration measured with distinct ids, through each one's leader: one Cairn node beside one etcd member and a
#      standalone Eureka, then three nodes beside three etcd members and a three-member ZooKeeper ensemble.
#      Registrations of distinct instances (PUT /v1/services/{id}; etcd put; Curator-style ephemeral znode create;
#      Eureka POST /eureka/apps/{APP}) and discovery of one name among 10,000 instances (etcd serializable range, the
#      linearizable one for information; getChildren + getData; GET /eureka/apps/{APP}). Prints p50/p99, throughput,
#      server CPU per request and the ratios Cairn/peer against the targets of issue 25 that apply at the warm-up
#      given (10 s or 60 s). bench/peers.sh itself also takes --cases "one three" and --peers "etcd zookeeper
#      eureka". Not part of a full run.
#  12. security (bench/security.sh, --only security): one node plain, then with TLS + a token + an ACL policy of 100
#      lines, the same wrk runs: registrations/s and discovery/s, p50/p99, and the ratio secure/plain (target >= 70 %).
#      Not part of a full run.
#  13. proxy (bench/proxy.sh, --only proxy): Cairn's proxy beside HAProxy, nginx and Spring Cloud Gateway (HAProxy and
#      nginx-light installed when missing, the gateway built from bench/spring-gateway) in front of the same three
#      nginx upstreams, and direct to one upstream, the same wrk for each (2 threads, 64 connections unless
#      --connections, a warm-up of --warmup, default the same as --duration, then --duration measured): one Cairn node,
#      and node 2 of a three-node cluster with the upstreams registered through node 1; gRPC unary calls to an echo
#      directly and through a node's proxy.grpcPort (io.cairn.bench.GrpcProxyBench); the agent as a sidecar. Prints
#      requests/s, p50/p99, the proxy's CPU per request and the ratios against the targets of issues 23 and 24. Not
#      part of a full run.
#  14. gc (bench/gc.sh, --only gc): collectors compared on registrations (ParallelGC, G1 with a pause target, ZGC on 17
#      and generational on 25, Shenandoah) at registry sizes and warm-ups: rate, p50/p99, CPU per registration, GC
#      pauses, RSS, one node and three, and a suggested default. Every other option goes to bench/gc.sh as it is
#      (--sizes, --warmups, --collectors, --nodes, ...; see its header). Not part of a full run.
#  15. scale (io.cairn.bench.scale.ScaleBench, --only scale): three jar nodes on ports from --port-base (26000) with
#      --heap (3g) each; --instances (500,000) registered in bulk: live heap per instance, snapshot size and write
#      time, cold restart of a node to ready; --watches (20,000: SSE, WebSocket, gRPC) and --blocking (5,000: REST,
#      Consul) over the nodes: live heap per idle watch, then --writes (1,000) writes/s through the leader for
#      --duration (30s) after --warmup (10s): propagation p50/p99 from a write's answer to the last watcher and to
#      the last blocking query of its name; last, a fourth node's catch-up. Figures beside their targets (issue 25).
#      The nodes run with ./run.sh's JVM flags (conf/jvm.options or CAIRN_JAVA_OPTS, the start-up archive) and
#      -Xmx --heap; the benchmark JVM with CAIRN_SCALE_JAVA_OPTS (default -Xms1g -Xmx3g -XX:+UseParallelGC). Not part
#      of a full run.
#  16. restart (bench/restart.sh, --only restart): a restarted node's rate, second by second from its start, against
#      its warm rate (one node after SIGTERM, a follower of three after SIGKILL), and three nodes killed at once and
#      started again: time to the first accepted registration and to every node ready. Not part of a full run.
#  17. bridges (bench/bridges.sh, --only bridges): the etcd-export and redis bridges on one node beside one etcd member
#      and one Redis: instances mirrored per second during a bulk load of 20,000, then the lag p50/p99 from each
#      answer to the change seen in etcd and on the Redis channel under 1,000 writes/s for --duration (30 s). Not
#      part of a full run.
# Usage: ./run.sh bench [--duration 10s] [--connections 32] [--only node|cluster|checks|streams|grpc|peers|security|proxy|gc|scale|restart|bridges]
#                       [--kills 20] [--stability 600] [--checks 10000] [--check-seconds 60] [--warmup 10s (peers, proxy)]
#                       [--instances 500000] [--watches 20000] [--blocking 5000] [--writes 1000] [--heap 3g]
#                       [--port-base 26000] (scale)
set -euo pipefail
cd "$(dirname "$0")/.."

# The collector comparison has options of its own: everything but "--only gc" goes to it unchanged.
for ((i = 1; i < $#; i++)); do
  if [ "${!i}" = --only ] && [ "${@:i+1:1}" = gc ]; then
    exec bench/gc.sh "${@:1:i-1}" "${@:i+2}"
  fi
done

DURATION=10s
DURATION_SET=""
WARMUP=""
INSTANCES=500000
WATCHES=20000
BLOCKING=5000
WRITES=1000
SCALE_HEAP=3g
PORT_BASE=26000
CONNECTIONS=32
CONNECTIONS_SET=""
ONLY=""
KILLS=20
STABILITY=0
CHECKS=10000
STREAM_PHASES=
CHECK_SECONDS=60
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; DURATION_SET=1; shift 2 ;;
    --instances) INSTANCES=$2; shift 2 ;;
    --watches) WATCHES=$2; shift 2 ;;
    --blocking) BLOCKING=$2; shift 2 ;;
    --writes) WRITES=$2; shift 2 ;;
    --heap) SCALE_HEAP=$2; shift 2 ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; CONNECTIONS_SET=1; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --kills) KILLS=$2; shift 2 ;;
    --checks) CHECKS=$2; shift 2 ;;
    --stream-phases) STREAM_PHASES=$2; shift 2 ;;
    --check-seconds) CHECK_SECONDS=$2; shift 2 ;;
    --stability) STABILITY=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package) ..."
  (apt-get install -y -qq wrk >/dev/null 2>&1) || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
fi

if [ "$ONLY" = security ]; then
  exec bench/security.sh --duration "$DURATION" --warmup "${WARMUP:-$DURATION}" --connections "$CONNECTIONS"
fi

# Cairn beside etcd: a script of its own (it installs etcd and starts its own processes).
if [ "$ONLY" = peers ]; then
  exec bench/peers.sh --duration "$DURATION" --warmup "${WARMUP:-$DURATION}" --connections "$CONNECTIONS"
fi

# Restarts: time to full speed of a restarted node, and a whole cluster killed and started again (bench/restart.sh;
# --warmup is its warm-up before the warm rate, default 60 s).
if [ "$ONLY" = restart ]; then
  exec bench/restart.sh --warm "${WARMUP:-60s}" --connections "$CONNECTIONS"
fi

# The bridges to etcd and Redis: a script of its own (its own etcd, Redis and nodes; --duration is the steady phase's,
# 30 s unless given).
if [ "$ONLY" = bridges ]; then
  if [ -n "$DURATION_SET" ]; then exec bench/bridges.sh --duration "$DURATION"; else exec bench/bridges.sh; fi
fi

# Cairn's proxy beside HAProxy, nginx and Spring Cloud Gateway: a script of its own (64 connections unless --connections).
if [ "$ONLY" = proxy ]; then
  exec bench/proxy.sh --duration "$DURATION" --warmup "${WARMUP:-$DURATION}" ${CONNECTIONS_SET:+--connections "$CONNECTIONS"}
fi

JAR=target/cairn.jar
WORK=$(mktemp -d /tmp/cairn-bench.XXXXXX)
HTTP_PORT=${CAIRN_BENCH_HTTP_PORT:-18480}
HZ_PORT=${CAIRN_BENCH_HZ_PORT:-15861}
BASE="http://127.0.0.1:$HTTP_PORT"
NODE_PID=""

stop_node() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
  fi
  NODE_PID=""
}
# The scale benchmark's JVM stops its nodes itself (a shutdown hook, also on Ctrl-C); if it is killed outright, its
# nodes are found in the PID file it keeps ("PID cluster-name" per start) and stopped here, each only if its command
# line still names that cluster.
stop_scale_nodes() {
  [ -f "$WORK/scale.pids" ] || return 0
  while read -r pid name; do
    if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "--cluster.name=$name "; then
      kill "$pid" 2>/dev/null || true
    fi
  done <"$WORK/scale.pids"
}
trap 'stop_node; stop_scale_nodes; rm -rf "$WORK"' EXIT

start_node() { # name
  java ${CAIRN_JAVA_OPTS:--Xms1g -Xmx2g -XX:+UseParallelGC} -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
    --node.id=bench --node.dataDir="$WORK/data-$1" --http.host=127.0.0.1 --http.port="$HTTP_PORT" \
    --cluster.name="cairn-bench-$1-$$" --cluster.port="$HZ_PORT" --cluster.portAutoIncrement=false \
    --cluster.join="127.0.0.1:$HZ_PORT" --dns.port=0 >"$WORK/node-$1.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 240); do
    curl -fs "$BASE/health" >/dev/null 2>&1 && return 0
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node-$1.log" >&2; exit 1; }
    sleep 0.25
  done
  echo "node did not become ready" >&2; exit 1
}

# Bytes of live objects on the node's heap (jmap forces a full GC and counts what survives).
heap_after_gc() {
  jmap -histo:live "$NODE_PID" | awk '/^Total/ {print $3}'
}

# wrk output -> "rps p50 p99 non2xx requests [socket errors]"
summarize() {
  python3 "$(dirname "$0")/wrk-summary.py" "$1"
}

# The cluster benchmarks run from the test classes (they drive real jar processes with the tests' JarCluster).
cluster_bench() { # mode amount
  if [ ! -f "$WORK/cp.txt" ]; then
    mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
  fi
  java -cp "cairn-server/target/test-classes:cairn-server/target/classes:$(cat "$WORK/cp.txt")" -Dcairn.jar="$JAR" io.cairn.bench.ClusterBench "$1" "$2" \
    | grep --line-buffered -E "^(kill|failure|leader|stability)"
}

# Change streams (io.cairn.bench.StreamBench).
stream_bench() {
  if [ ! -f "$WORK/cp.txt" ]; then
    mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
  fi
  java -cp "cairn-server/target/test-classes:cairn-server/target/classes:$(cat "$WORK/cp.txt")" -Dcairn.jar="$JAR" io.cairn.bench.StreamBench $STREAM_PHASES \
    | grep --line-buffered -E "^(propagation|watchers|join)"
}

# Health checks: 10,000 HTTP checks at 10 s on three jar processes against a stub server (io.cairn.bench.CheckBench).
check_bench() {
  if [ ! -f "$WORK/cp.txt" ]; then
    mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
  fi
  java -cp "cairn-server/target/test-classes:cairn-server/target/classes:$(cat "$WORK/cp.txt")" -Dcairn.jar="$JAR" io.cairn.bench.CheckBench \
    "$CHECKS" 10 "$CHECK_SECONDS" | grep --line-buffered -E "^(checks|  p[0-9])"
}

# gRPC against REST, same Java load generator, one node (io.cairn.bench.GrpcBench).
grpc_bench() {
  if [ ! -f "$WORK/cp.txt" ]; then
    mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
  fi
  java -cp "cairn-server/target/test-classes:cairn-server/target/classes:$(cat "$WORK/cp.txt")" -Dcairn.jar="$JAR" io.cairn.bench.GrpcBench \
    "${DURATION%s}" "$CONNECTIONS" | grep --line-buffered -E "^(REST|gRPC|grpc/rest)"
}

# Scale: 500,000 instances, 20,000 watches and 5,000 blocking queries on three jar nodes (io.cairn.bench.scale.ScaleBench).
scale_bench() {
  if [ ! -f "$WORK/cp.txt" ]; then
    mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
  fi
  # The benchmark JVM holds a connection per SSE stream, WebSocket and blocking query (gRPC watches share HTTP/2
  # connections): with the defaults about 18,500 sockets, near the usual limit of 20,000 open files. Raised when it
  # is short and this shell may (raising the hard limit needs CAP_SYS_RESOURCE); the nodes inherit it.
  local need=$(( WATCHES * 2 / 3 + BLOCKING + 1000 ))
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    if [ "$(ulimit -n)" -lt "$need" ]; then
      echo "open files limit $(ulimit -n), below the about $need this run needs: fewer --watches or --blocking" >&2
      exit 1
    fi
    echo "open files limit raised to $(ulimit -n) for the benchmark JVM (needs about $need)"
  fi
  local seconds=${DURATION%s} warmup=${WARMUP:-10s}
  [ -n "$DURATION_SET" ] || seconds=30
  # The nodes run as ./run.sh runs them (bin/node-jvm.sh: its java, conf/jvm.options or CAIRN_JAVA_OPTS, the
  # start-up archive), from a directory of their own: paths made absolute. The benchmark JVM runs on the same java,
  # since it starts the nodes with its own. -Xmx is --heap unless CAIRN_JAVA_OPTS sets one.
  . bin/node-jvm.sh
  node_jvm
  node_jvm_archive "$PWD/$JAR"
  local flags=() f
  for f in "${NODE_JVM_FLAGS[@]}"; do
    case "$f" in
      @/*) flags+=("$f") ;;
      @*) flags+=("@$PWD/${f#@}") ;;
      *) flags+=("$f") ;;
    esac
  done
  "$NODE_JAVA" ${CAIRN_SCALE_JAVA_OPTS:--Xms1g -Xmx3g -XX:+UseParallelGC} \
    -cp "cairn-server/target/test-classes:cairn-server/target/classes:$(cat "$WORK/cp.txt")" -Dcairn.jar="$JAR" \
    -Dcairn.scale.pidFile="$WORK/scale.pids" io.cairn.bench.scale.ScaleBench --instances "$INSTANCES" --watches "$WATCHES" --blocking "$BLOCKING" \
    --writes "$WRITES" --seconds "$seconds" --warmup "${warmup%s}" --heap "$SCALE_HEAP" --port-base "$PORT_BASE" \
    --node-jvm "${flags[*]}"
}

echo "Cairn benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1)"
if [ "$ONLY" = scale ]; then
  scale_bench
  exit 0
fi
if [ "$ONLY" = grpc ]; then
  grpc_bench
  exit 0
fi
if [ "$ONLY" = cluster ]; then
  cluster_bench failover "$KILLS"
  [ "$STABILITY" -gt 0 ] && cluster_bench stability "$STABILITY"
  exit 0
fi
if [ "$ONLY" = checks ]; then
  check_bench
  exit 0
fi
if [ "$ONLY" = streams ]; then
  stream_bench
  exit 0
fi
echo "wrk -t1 -c$CONNECTIONS -d$DURATION (after a warm-up of the same length); node JVM: ${CAIRN_JAVA_OPTS:--Xms1g -Xmx2g -XX:+UseParallelGC}"
echo

# ---- 1. registrations ----
start_node reg
CAIRN_BENCH_PREFIX=warm wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/register.lua "$BASE" >/dev/null
CAIRN_BENCH_PREFIX=reg wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/register.lua "$BASE" >"$WORK/reg.txt"
read -r REG_RPS REG_P50 REG_P99 REG_BAD REST < <(summarize "$WORK/reg.txt")
REG_BATCH=$(curl -fs "$BASE/v1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["log"]["averageBatch"])')
# Bulk: one client, sequential requests of 1,000 instances each (20 warm-up requests, then 50 measured).
BULK_RATE=$(python3 - "$BASE" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1]
def run(prefix, requests):
    start = time.time()
    for r in range(requests):
        items = [{"id": "%s-%d-%d" % (prefix, r, i), "name": "bulk-%d" % (i % 100), "address": "10.2.0.1",
                  "port": 8000 + i, "tags": ["bulk"], "metadata": {"team": "perf"}} for i in range(1000)]
        req = urllib.request.Request(base + "/v1/services:bulk", data=json.dumps(items).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        results = json.load(urllib.request.urlopen(req))["results"]
        if any(x["status"] >= 300 for x in results):
            sys.exit("bulk registration failed")
    return requests * 1000 / (time.time() - start)
run("bulkwarm", 20)
print("%.0f" % run("bulk", 50))
PY
)
stop_node

# ---- 2. discovery, 3. heap ----
start_node disc
HEAP_EMPTY=$(heap_after_gc)
python3 - "$BASE" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
for chunk in range(10):
    items = []
    for i in range(chunk * 1000, chunk * 1000 + 1000):
        name = "svc-%d" % (i // 10)
        items.append({"id": "%s-%d" % (name, i % 10), "name": name, "address": "10.1.%d.%d" % (i // 250 % 250, i % 250),
                      "port": 8000 + i % 10, "version": "2.%d.0" % (i % 4), "tags": ["http", "bench"],
                      "metadata": {"team": "perf", "build": str(i)}, "region": "eu", "zone": "eu-%d" % (i % 3)})
    req = urllib.request.Request(base + "/v1/services:bulk", data=json.dumps(items).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    results = json.load(urllib.request.urlopen(req))["results"]
    bad = [r for r in results if r["status"] >= 300]
    if bad:
        sys.exit("bulk registration failed: %s" % bad[:3])
PY
HEAP_10K=$(heap_after_gc)
COUNT=$(curl -fs "$BASE/v1/services?name=svc-42" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
[ "$COUNT" = 10 ] || { echo "expected 10 instances of svc-42, got $COUNT" >&2; exit 1; }
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "$BASE/v1/services?name=svc-42" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE/v1/services?name=svc-42" >"$WORK/disc.txt"
read -r DISC_RPS DISC_P50 DISC_P99 DISC_BAD REST < <(summarize "$WORK/disc.txt")
stop_node

HEAP_MB=$(python3 -c "print(round(($HEAP_10K - $HEAP_EMPTY) / 1048576, 1))")
printf '| measure | result | p50 | p99 | non-2xx | target |\n|---|---|---|---|---|---|\n'
printf '| registrations/s (distinct instances) | %s | %s ms | %s ms | %s | >= 25,000/s, p99 < 10 ms |\n' "$REG_RPS" "$REG_P50" "$REG_P99" "$REG_BAD"
printf '| discovery/s (1 name of 10,000 instances) | %s | %s ms | %s ms | %s | >= 50,000/s, p99 < 10 ms |\n' "$DISC_RPS" "$DISC_P50" "$DISC_P99" "$DISC_BAD"
printf '| heap per 10,000 instances | %s MB | | | | <= 30 MB |\n' "$HEAP_MB"
printf '| bulk registrations/s (1 client, 1,000 per request) | %s | | | | |\n' "$BULK_RATE"
echo
echo "average commands per append call during the registration run: $REG_BATCH"

[ "$ONLY" = node ] && exit 0
echo
echo "Three-node cluster (jar processes, Raft), $KILLS kills of each kind:"
cluster_bench failover "$KILLS"
if [ "$STABILITY" -gt 0 ]; then
  cluster_bench stability "$STABILITY"
fi
echo
echo "Health checks on a three-node cluster:"
check_bench
echo
echo "Change streams:"
stream_bench
