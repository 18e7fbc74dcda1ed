#!/usr/bin/env bash
# Cairn beside etcd, ZooKeeper and Eureka on this machine (./run.sh bench --only peers; docs/BENCHMARKS.md, issue 25).
# Installs Debian's etcd-server and zookeeper when missing and builds the ZooKeeper load generator
# (bench/zookeeper-load) and the Eureka server (bench/eureka-server) with Maven, then for each case starts the peers on
# 127.0.0.1 (ports of their own, data in a temporary directory) and drives each with the same documents, the same
# concurrency (32 requests in flight: wrk -t2 -c32, or 32 ZooKeeper sessions with one request in flight each), the
# same warm-up and the same measured time, always through the leader where there is one (the node a client would best
# write to). The warm-up of a registration run re-registers a bounded set of ids (10,000: each request is still a
# write) so that a long warm-up (--warmup 60s: the JIT of three JVMs on two cores needs minutes) does not grow the
# registry; the measured run registers distinct ids. ZooKeeper re-registers by delete + create (Curator's way for an
# existing id, less its failed create first; setData would leave the create path the measured run takes cold).
#   one    one Cairn node, one etcd member, then a standalone Eureka server (Spring Cloud Netflix, Boot 4)
#   three  a three-node Cairn cluster, a three-member etcd cluster, then a three-member ZooKeeper ensemble (3.8)
# Cairn and etcd run side by side; ZooKeeper and Eureka each alone afterwards (Cairn and etcd stopped).
# Measures (bench/peers.lua builds the wrk requests from the same documents; bench/peers-preload.py the preload):
#   registrations  Cairn PUT /v1/services/{distinct id}, ~300-byte JSON  vs  etcd put of the same document under a
#                  distinct key (JSON gateway, base64 key and value)  vs  ZooKeeper: Curator creating the EPHEMERAL
#                  znode /services/{name}/{id} holding the same document (curator-x-discovery's layout), async
#                  vs  Eureka POST /eureka/apps/{APP} of the same instance as Eureka's JSON InstanceInfo
#   discovery      Cairn GET /v1/services?name=svc-N  vs  etcd serializable range on the prefix services/svc-N/ (a
#                  local read, like Cairn's default read; the linearizable range, etcd's default, is printed for
#                  information)  vs  ZooKeeper getChildren /services/svc-N then getData of each child, one after the
#                  other (Curator's queryForInstances)  vs  Eureka GET /eureka/apps/SVC-N (JSON); N random in
#                  0..999, among 10,000 instances (1,000 names x 10) preloaded in each. Eureka answers these reads
#                  from its response cache (encoded payloads, refreshed from the registry every 30 s; its default)
#   ping           (case one) a bare Vert.x HTTP server answering GET /ping (bench/PingServer.java, run from the
#                  jar's class path), alone: the HTTP ceiling a registration's CPU is held against (at most 3x)
# Prints throughput, p50, p99, errors (non-2xx answers, failed ZooKeeper calls), server CPU per request (all the
# peer's processes, from /proc), the ratios Cairn/peer and issue 25's targets that apply at the given warm-up
# (bench/peers-report.py), and checks that every answered registration is stored (Cairn, etcd, ZooKeeper, Eureka).
# Only processes this script started are stopped (by PID); logs and data are deleted unless something failed or
# PEERS_KEEP=1.
# Usage: bench/peers.sh [--duration 10s] [--warmup 10s] [--connections 32] [--threads 2] [--cases "one three"]
#                       [--peers "etcd zookeeper eureka"]
# Ports: CAIRN_PEERS_PORT_BASE (default 24000): Cairn HTTP base+81.., Hazelcast base+171.., Raft base+281..;
# etcd clients base+391.., peers base+491..; Eureka base+1081; ZooKeeper clients base+1101.., quorum base+1201..,
# election base+1301...
# JVMs: Cairn, ZooKeeper and Eureka all run with CAIRN_JAVA_OPTS (default -Xms1g -Xmx2g -XX:+UseG1GC
# -XX:MaxGCPauseMillis=20, a node's collector), so the collector and heap are not the difference; ZooKeeper's load
# generator with PEERS_LOADGEN_JAVA_OPTS. Cairn's nodes start as ./run.sh starts them (bin/node-jvm.sh): on CAIRN_JAVA
# when set, with the start-up archive made for that java (CAIRN_ARCHIVE=off: without).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=10s
WARMUP=10s
CONNECTIONS=32
THREADS=2
CASES="one three"
PEERS="etcd zookeeper eureka"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

for p in $PEERS; do
  case "$p" in etcd|zookeeper|eureka) ;; *) echo "unknown peer $p (etcd, zookeeper, eureka)" >&2; exit 2 ;; esac
done
for c in $CASES; do
  case "$c" in one|three) ;; *) echo "unknown case $c (one, three)" >&2; exit 2 ;; esac
done
has() { # word list -> whether the word is in the list
  case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}
run_etcd() { has etcd "$PEERS"; }
run_zookeeper() { has zookeeper "$PEERS" && has three "$CASES"; }
run_eureka() { has eureka "$PEERS" && has one "$CASES"; }

install_debian() { # command-or-file package
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -f "$1" ] && return 0
  echo "installing $2 (Debian package) ..."
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1) ||
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null)
}
install_debian wrk wrk
if run_etcd; then install_debian etcd etcd-server; fi
ZK_JAR=/usr/share/java/zookeeper.jar
if run_zookeeper; then install_debian "$ZK_JAR" zookeeper; fi

JAR=target/cairn.jar
[ -f "$JAR" ] || { echo "$JAR missing: mvn -B -q -DskipTests package" >&2; exit 1; }
JAVA_OPTS=${CAIRN_JAVA_OPTS:--Xms1g -Xmx2g -XX:+UseG1GC -XX:MaxGCPauseMillis=20}
LOADGEN_JAVA_OPTS=${PEERS_LOADGEN_JAVA_OPTS:--Xms256m -Xmx1g -XX:+UseParallelGC}
. bin/node-jvm.sh
CAIRN_JAVA_OPTS=$JAVA_OPTS node_jvm
node_jvm_archive "$JAR"
BASE=${CAIRN_PEERS_PORT_BASE:-24000}
WORK=$(mktemp -d /tmp/cairn-peers.XXXXXX)
GW=/v3
PIDS=()
FAILED=0

stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not stop in 30 s: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
on_exit() {
  local rc=$?
  stop_all
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ] || [ "${PEERS_KEEP:-0}" = 1 ]; then
    echo "logs and data kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
need_ports() {
  local p
  for p in "$@"; do port_free "$p" || { echo "port $p on 127.0.0.1 is in use; set CAIRN_PEERS_PORT_BASE" >&2; exit 1; }; done
}

cpu_ticks() { # pids... -> utime+stime of all, in clock ticks
  local total=0 pid
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then
      total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat")))
    fi
  done
  echo "$total"
}

# ---------------------------------------------------------------- etcd

ETCD_PIDS=()
ETCD_URLS=()
start_etcd() { # members
  local n=$1 i cluster=""
  ETCD_PIDS=(); ETCD_URLS=()
  for i in $(seq 1 "$n"); do cluster="${cluster:+$cluster,}e$i=http://127.0.0.1:$((BASE + 490 + i))"; done
  for i in $(seq 1 "$n"); do
    need_ports $((BASE + 390 + i)) $((BASE + 490 + i))
    etcd --name "e$i" --data-dir "$WORK/etcd-$n-$i" \
      --listen-client-urls "http://127.0.0.1:$((BASE + 390 + i))" --advertise-client-urls "http://127.0.0.1:$((BASE + 390 + i))" \
      --listen-peer-urls "http://127.0.0.1:$((BASE + 490 + i))" --initial-advertise-peer-urls "http://127.0.0.1:$((BASE + 490 + i))" \
      --initial-cluster "$cluster" --initial-cluster-token "peers-$$-$n" --initial-cluster-state new \
      >"$WORK/etcd-$n-$i.log" 2>&1 &
    ETCD_PIDS+=($!); PIDS+=($!)
    ETCD_URLS+=("http://127.0.0.1:$((BASE + 390 + i))")
  done
  for i in $(seq 0 $((n - 1))); do
    for _ in $(seq 1 240); do
      curl -fs "${ETCD_URLS[$i]}/health" 2>/dev/null | grep -q '"true"' && break
      kill -0 "${ETCD_PIDS[$i]}" 2>/dev/null || { echo "etcd e$((i + 1)) exited:" >&2; tail -20 "$WORK/etcd-$n-$((i + 1)).log" >&2; exit 1; }
      sleep 0.25
    done
    curl -fs "${ETCD_URLS[$i]}/health" | grep -q '"true"' || { echo "etcd e$((i + 1)) not healthy" >&2; exit 1; }
  done
}

# The etcd v3 JSON gateway's prefix: /v3 from etcd 3.4, /v3beta in 3.3.
etcd_gateway() { # url
  local p
  for p in /v3 /v3beta; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$1$p/kv/range" -d '{"key":"AA=="}')" = 200 ]; then
      echo "$p"; return 0
    fi
  done
  echo "no etcd v3 JSON gateway found at $1 (/v3, /v3beta)" >&2; exit 1
}

etcd_leader() { # -> index into ETCD_URLS of the member that leads
  local i
  for i in "${!ETCD_URLS[@]}"; do
    if curl -fs -X POST "${ETCD_URLS[$i]}$GW/maintenance/status" -d '{}' | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s.get("leader") and s["leader"] == s["header"]["member_id"] else 1)'; then
      echo "$i"; return 0
    fi
  done
  echo "no etcd leader" >&2; exit 1
}

etcd_count() { # url prefix -> number of keys under the prefix ("" = all)
  python3 - "$1$GW" "$2" <<'PY'
import base64, json, sys, urllib.request
url, prefix = sys.argv[1], sys.argv[2].encode()
if prefix:
    end = prefix[:-1] + bytes([prefix[-1] + 1])
else:
    prefix, end = b"\0", b"\0"
body = {"key": base64.b64encode(prefix).decode(), "range_end": base64.b64encode(end).decode(), "count_only": True}
req = urllib.request.Request(url + "/kv/range", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
print(int(json.load(urllib.request.urlopen(req)).get("count", 0)))
PY
}

# ---------------------------------------------------------------- Cairn

CAIRN_PIDS=()
CAIRN_URLS=()
start_cairn() { # nodes
  local n=$1 i join=""
  CAIRN_PIDS=(); CAIRN_URLS=()
  for i in $(seq 1 "$n"); do join="${join:+$join,}127.0.0.1:$((BASE + 170 + i))"; done
  for i in $(seq 1 "$n"); do need_ports $((BASE + 80 + i)) $((BASE + 170 + i)) $((BASE + 280 + i)); done
  for i in $(seq 1 "$n"); do
    "$NODE_JAVA" "${NODE_JVM_FLAGS[@]}" -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
      --node.id="b$i" --node.dataDir="$WORK/cairn-$n-$i" --http.host=127.0.0.1 --http.port=$((BASE + 80 + i)) \
      --cluster.name="cairn-peers-$n-$$" --cluster.port=$((BASE + 170 + i)) --cluster.portAutoIncrement=false \
      --cluster.join="$join" --cluster.raft.port=$((BASE + 280 + i)) --cluster.raft.bootstrapExpect="$n" --dns.port=0 \
      >"$WORK/cairn-$n-$i.log" 2>&1 &
    CAIRN_PIDS+=($!); PIDS+=($!)
    CAIRN_URLS+=("http://127.0.0.1:$((BASE + 80 + i))")
  done
  for i in $(seq 0 $((n - 1))); do
    local ok=""
    for _ in $(seq 1 480); do
      if curl -fs "${CAIRN_URLS[$i]}/health" >/dev/null 2>&1 &&
         curl -fs "${CAIRN_URLS[$i]}/v1/status" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s.get("leader") and len(s.get("raft", {}).get("voters", [])) == int(sys.argv[1]) else 1)' "$n"; then
        ok=1; break
      fi
      kill -0 "${CAIRN_PIDS[$i]}" 2>/dev/null || { echo "Cairn b$((i + 1)) exited:" >&2; tail -30 "$WORK/cairn-$n-$((i + 1)).log" >&2; exit 1; }
      sleep 0.25
    done
    [ -n "$ok" ] || { echo "Cairn b$((i + 1)) not ready with a leader and $n voters after 120 s" >&2; exit 1; }
  done
}

cairn_leader() { # -> index into CAIRN_URLS of the node that leads
  local leader
  leader=$(curl -fs "${CAIRN_URLS[0]}/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leader"])')
  echo $((${leader#b} - 1))
}

cairn_count_measured() { # url -> instances of the measured registration run (names peer-0 .. peer-999)
  python3 - "$1" <<'PY'
import json, sys, urllib.request
print(sum(json.load(urllib.request.urlopen("%s/v1/services?name=peer-%d" % (sys.argv[1], j)))["count"] for j in range(1000)))
PY
}

cairn_count() { # url -> instances in the registry
  curl -fs "$1/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"])'
}

# ---------------------------------------------------------------- ZooKeeper

# A three-member ensemble from Debian's package, started with its jar and QuorumPeerMain directly (the package's
# zkServer.sh writes pid files and logs under /var): ZooKeeper's defaults (tickTime 2 s, a forced fsync of the
# transaction log per group commit, leaders serving clients), no admin server (it would take port 8080), the srvr
# command open (it says which member leads), no limit of connections per address (every session comes from
# 127.0.0.1). slf4j-simple is the log binding: the package's class path has slf4j's API only.
ZK_PIDS=()
ZK_PORTS=()
start_zookeeper() { # members
  local n=$1 i servers="" d
  ZK_PIDS=(); ZK_PORTS=()
  for i in $(seq 1 "$n"); do servers="${servers}server.$i=127.0.0.1:$((BASE + 1200 + i)):$((BASE + 1300 + i))"$'\n'; done
  for i in $(seq 1 "$n"); do need_ports $((BASE + 1100 + i)) $((BASE + 1200 + i)) $((BASE + 1300 + i)); done
  for i in $(seq 1 "$n"); do
    d="$WORK/zookeeper-$n-$i"
    mkdir -p "$d/data"
    echo "$i" >"$d/data/myid"
    cat >"$d/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=$((BASE + 1100 + i))
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr
$servers
EOF
    java $JAVA_OPTS -Dorg.slf4j.simpleLogger.showDateTime=true -cp "$ZK_JAR:/usr/share/java/slf4j-simple.jar" \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg" >"$d.log" 2>&1 &
    ZK_PIDS+=($!); PIDS+=($!)
    ZK_PORTS+=($((BASE + 1100 + i)))
  done
  for i in $(seq 0 $((n - 1))); do
    for _ in $(seq 1 480); do
      case "$(zk_mode "${ZK_PORTS[$i]}")" in leader|follower|standalone) continue 2 ;; esac
      kill -0 "${ZK_PIDS[$i]}" 2>/dev/null || { echo "ZooKeeper z$((i + 1)) exited:" >&2; tail -30 "$WORK/zookeeper-$n-$((i + 1)).log" >&2; exit 1; }
      sleep 0.25
    done
    echo "ZooKeeper z$((i + 1)) not serving after 120 s" >&2; exit 1
  done
}

zk_mode() { # client port -> the member's mode from the srvr command (leader, follower, standalone), or nothing
  python3 - "$1" <<'PY' 2>/dev/null || true
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    s.sendall(b"srvr")
    text = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        text += chunk
for line in text.decode().splitlines():
    if line.startswith("Mode:"):
        print(line.split()[1])
PY
}

zk_leader() { # -> index into ZK_PORTS of the member that leads
  local i
  for i in "${!ZK_PORTS[@]}"; do
    [ "$(zk_mode "${ZK_PORTS[$i]}")" = leader ] && { echo "$i"; return 0; }
  done
  echo "no ZooKeeper leader" >&2; exit 1
}

# Maven projects of bench/ built under target/ when missing or older than their sources (as bench/proxy.sh builds the
# Spring gateway).
build_bench_jar() { # project-dir jar
  if [ ! -f "$2" ] || [ -n "$(find "$1/pom.xml" "$1/src" -newer "$2" -type f | head -1)" ]; then
    echo "building $2 (mvn -B -q -f $1/pom.xml package) ..."
    mvn -B -q -f "$1/pom.xml" package -Dapp.buildDirectory="$PWD/$(dirname "$2")" >"$WORK/$(basename "$1")-build.log" 2>&1 ||
      { echo "$1 did not build:" >&2; tail -40 "$WORK/$(basename "$1")-build.log" >&2; exit 1; }
  fi
}

# ZooKeeper's whole run in one process of the load generator (the preloaded instances are ephemeral znodes: they live
# as long as its sessions): preload, discovery, registrations, the count of stored ones. It connects to the leader,
# as the wrk runs do for Cairn and etcd (a follower would forward every write to it: one more hop).
zookeeper_case() { # case
  local c=$1 leader pids loader stored acked
  build_bench_jar bench/zookeeper-load target/zookeeper-load/zookeeper-load.jar
  python3 bench/peers-preload.py tsv "$WORK/preload.tsv"
  start_zookeeper 3
  leader=$(zk_leader)
  pids=$(IFS=,; echo "${ZK_PIDS[*]}")
  echo "ZooKeeper $(zk_version): driving z$((leader + 1)) (127.0.0.1:${ZK_PORTS[$leader]}, leader) with $CONNECTIONS sessions"
  java $LOADGEN_JAVA_OPTS -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar target/zookeeper-load/zookeeper-load.jar \
    --connect "127.0.0.1:${ZK_PORTS[$leader]}" --sessions "$CONNECTIONS" --warmup "$WARMUP" --duration "$DURATION" \
    --warmup-ids 10000 --preload "$WORK/preload.tsv" --server-pids "$pids" --clock-ticks "$(getconf CLK_TCK)" \
    --out "$WORK/$c-zk" 2>"$WORK/$c-zk-load.log" &
  loader=$!
  PIDS+=($loader)
  if ! wait "$loader"; then
    echo "ZooKeeper's load generator failed:" >&2; tail -30 "$WORK/$c-zk-load.log" >&2; FAILED=1
    NOTES+=("$c: ANOMALY: ZooKeeper's run failed (see $WORK/$c-zk-load.log)")
    return 0
  fi
  [ "$(cut -d' ' -f4 "$WORK/$c-zk-reg.sum")" = 0 ] && [ "$(cut -d' ' -f4 "$WORK/$c-zk-disc.sum")" = 0 ] || FAILED=1
  read -r stored acked <"$WORK/$c-zk-stored.txt"
  NOTES+=("$c: measured-run writes stored: ZooKeeper $stored znodes for $acked successful creates")
  [ "$stored" -ge "$acked" ] || { NOTES+=("$c: ANOMALY: ZooKeeper stored fewer znodes than it acknowledged"); FAILED=1; }
}

zk_version() { # -> ZooKeeper's version, from its jar
  java -cp "$ZK_JAR" org.apache.zookeeper.version.VersionInfoMain 2>/dev/null | sed -n 's/.*version \([0-9.]*\).*/\1/p'
}

# ---------------------------------------------------------------- Eureka

EUREKA_PIDS=()
EUREKA_URL="http://127.0.0.1:$((BASE + 1081))"
start_eureka() {
  need_ports $((BASE + 1081))
  build_bench_jar bench/eureka-server target/eureka-server/eureka-server.jar
  java $JAVA_OPTS -jar target/eureka-server/eureka-server.jar --server.port=$((BASE + 1081)) >"$WORK/eureka.log" 2>&1 &
  EUREKA_PIDS=($!); PIDS+=($!)
  for _ in $(seq 1 720); do
    curl -fs -o /dev/null -H 'Accept: application/json' "$EUREKA_URL/eureka/apps" && return 0
    kill -0 "${EUREKA_PIDS[0]}" 2>/dev/null || { echo "Eureka exited:" >&2; tail -30 "$WORK/eureka.log" >&2; exit 1; }
    sleep 0.25
  done
  echo "Eureka not serving after 180 s" >&2; exit 1
}

eureka_count() { # prefix -> instances of the applications PREFIX-0 .. PREFIX-999 (one GET each; 404: none)
  python3 - "$EUREKA_URL" "$1" <<'PY'
import json, sys, urllib.error, urllib.request
total = 0
for j in range(1000):
    req = urllib.request.Request("%s/eureka/apps/%s-%d" % (sys.argv[1], sys.argv[2].upper(), j),
                                 headers={"Accept": "application/json"})
    try:
        total += len(json.load(urllib.request.urlopen(req))["application"]["instance"])
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
print(total)
PY
}

PING_URL="http://127.0.0.1:$((BASE + 1091))"
start_ping() { # bench/PingServer.java from the jar's class path, as many event loops as a node's HTTP API
  need_ports $((BASE + 1091))
  java $JAVA_OPTS -cp "$JAR" bench/PingServer.java $((BASE + 1091)) >"$WORK/ping.log" 2>&1 &
  PING_PIDS=($!)
  PIDS+=($!)
  for _ in $(seq 1 240); do curl -fs "$PING_URL/ping" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "the ping server did not start; see $WORK/ping.log" >&2
  exit 1
}

eureka_case() { # case
  local c=$1 got acked stored
  start_eureka
  echo "Eureka: driving $EUREKA_URL (standalone)"
  python3 bench/peers-preload.py eureka "$EUREKA_URL"
  got=$(eureka_count svc)
  [ "$got" = 10000 ] || { echo "Eureka: expected 10,000 preloaded instances, got $got" >&2; exit 1; }
  echo "discovery: Eureka ..."; measure "$c-eureka-disc" "$EUREKA_URL" EUREKA_PIDS eureka-discover x
  echo "registrations: Eureka ..."; measure "$c-eureka-reg" "$EUREKA_URL" EUREKA_PIDS eureka-register peer
  acked=$(cut -d' ' -f5 "$WORK/$c-eureka-reg.sum")
  stored=$(eureka_count peer)
  NOTES+=("$c: measured-run writes stored: Eureka $stored instances for $acked answers")
  [ "$stored" -ge "$acked" ] || { NOTES+=("$c: ANOMALY: Eureka stored fewer instances than it answered"); FAILED=1; }
}

# ---------------------------------------------------------------- load

seconds() { # a wrk duration (10, 10s, 2m, 1h) -> seconds
  python3 -c 'import sys; t = sys.argv[1]; u = {"s": 1, "m": 60, "h": 3600}.get(t[-1]); print(int(t[:-1]) * u if u else int(t))' "$1"
}
DURATION_S=$(seconds "$DURATION")
WARMUP_S=$(seconds "$WARMUP")

# wrk output -> "rps p50 p99 non2xx requests [socket errors]"
summarize() {
  python3 "$(dirname "$0")/wrk-summary.py" "$1"
}

# One measure: a warm-up, then the measured run; prints nothing, leaves "rps p50 p99 non2xx requests cpu_us_per_req
# cores" in $WORK/<label>.sum (server CPU of the given PIDs over the measured run, per request and in cores).
measure() { # label url pids-var mode prefix-for-measured [extra env]
  local label=$1 url=$2 pidvar=$3 mode=$4 prefix=$5 extra=${6:-}
  local -n pids=$pidvar
  if [ "$WARMUP_S" != 0 ]; then
    env $extra PEERS_MODE="$mode" PEERS_PREFIX="warm" PEERS_ID_SPACE=5000 PEERS_ETCD_GATEWAY="$GW" \
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/peers.lua "$url" >"$WORK/$label.warm.txt"
  fi
  local before after hz
  hz=$(getconf CLK_TCK)
  before=$(cpu_ticks "${pids[@]}")
  env $extra PEERS_MODE="$mode" PEERS_PREFIX="$prefix" PEERS_ETCD_GATEWAY="$GW" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/peers.lua "$url" >"$WORK/$label.txt"
  after=$(cpu_ticks "${pids[@]}")
  local s
  s=$(summarize "$WORK/$label.txt")
  read -r rps p50 p99 bad reqs rest <<<"$s"
  local cpu_us=$(( (after - before) * 1000000 / hz ))
  echo "$rps $p50 $p99 $bad $reqs $(( reqs > 0 ? cpu_us / reqs : 0 )) $(python3 -c "print(round($cpu_us / 1e6 / $DURATION_S, 2))") $rest" \
    >"$WORK/$label.sum"
  local pid
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server of $label (pid $pid) died during the run" >&2; FAILED=1; }
  done
  if [ "$bad" != 0 ] || [ -n "${rest:-}" ]; then FAILED=1; fi
}

# ---------------------------------------------------------------- the cases

echo "Cairn beside $(echo "$PEERS" | sed 's/ /, /g'): $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores,"\
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1),"\
  "$(if run_etcd; then echo "etcd $(etcd --version | awk '/etcd Version/ {print $3}'), "; fi)wrk -t$THREADS -c$CONNECTIONS"\
  "-d$DURATION after a $WARMUP warm-up; JVMs (Cairn, ZooKeeper, Eureka): $JAVA_OPTS; Cairn's java:"\
  "$("$NODE_JAVA" -version 2>&1 | head -1)$(case "${NODE_JVM_FLAGS[*]}" in *SharedArchiveFile=*|*AOTCache=*)
    echo ", with its start-up archive" ;; *) echo ", no start-up archive" ;; esac)"
NOTES=()
for CASE in $CASES; do
  case "$CASE" in
    one) N=1 ;;
    three) N=3 ;;
  esac
  echo
  echo "== $CASE: $N Cairn node(s)$(if run_etcd; then echo " and $N etcd member(s)"; fi); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if run_etcd; then
    start_etcd "$N"
    GW=$(etcd_gateway "${ETCD_URLS[0]}")
  fi
  start_cairn "$N"
  CL=$(cairn_leader)
  CURL=${CAIRN_URLS[$CL]}
  echo "driving Cairn b$((CL + 1)) ($CURL, leader)"
  python3 bench/peers-preload.py cairn "$CURL" | tee "$WORK/$CASE-preload.txt"
  if grep -q ANOMALY "$WORK/$CASE-preload.txt"; then
    FAILED=1; NOTES+=("$CASE: $(grep -c ANOMALY "$WORK/$CASE-preload.txt") failed bulk request(s) while preloading Cairn (see above)")
  fi
  got=$(curl -fs "$CURL/v1/services?name=svc-42" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  [ "$got" = 10 ] || { echo "Cairn: expected 10 instances of svc-42, got $got" >&2; exit 1; }
  if run_etcd; then
    EL=$(etcd_leader)
    EURL=${ETCD_URLS[$EL]}
    echo "driving etcd e$((EL + 1)) ($EURL, leader; gateway $GW)"
    python3 bench/peers-preload.py etcd "$EURL$GW"
    got=$(etcd_count "$EURL" "services/svc-42/")
    [ "$got" = 10 ] || { echo "etcd: expected 10 keys under services/svc-42/, got $got" >&2; exit 1; }
  fi

  echo "discovery: Cairn ..."; measure "$CASE-cairn-disc" "$CURL" CAIRN_PIDS cairn-discover x
  if run_etcd; then
    echo "discovery: etcd serializable range ..."
    measure "$CASE-etcd-range-ser" "$EURL" ETCD_PIDS etcd-range x PEERS_SERIALIZABLE=1
    # For information, right after the serializable run (etcd is compiled ahead of time: it needs no warm-up of its own).
    echo "discovery: etcd linearizable range (information) ..."
    WARMUP_SAVED=$WARMUP_S; WARMUP_S=0
    measure "$CASE-etcd-range" "$EURL" ETCD_PIDS etcd-range x
    WARMUP_S=$WARMUP_SAVED
  fi
  echo "registrations: Cairn ..."; measure "$CASE-cairn-reg" "$CURL" CAIRN_PIDS cairn-register peer
  if run_etcd; then
    echo "registrations: etcd put ..."; measure "$CASE-etcd-put" "$EURL" ETCD_PIDS etcd-put peer
  fi

  # Every acknowledged write of the measured run must be there (a request still in flight when wrk stops may be
  # stored without being counted, hence "at least").
  c_acked=$(cut -d' ' -f5 "$WORK/$CASE-cairn-reg.sum")
  c_stored=$(cairn_count_measured "$CURL")
  NOTES+=("$CASE: measured-run writes stored: Cairn $c_stored instances for $c_acked answers")
  [ "$c_stored" -ge "$c_acked" ] || { NOTES+=("$CASE: ANOMALY: Cairn stored fewer writes than it answered"); FAILED=1; }
  if run_etcd; then
    e_acked=$(cut -d' ' -f5 "$WORK/$CASE-etcd-put.sum")
    e_stored=$(etcd_count "$EURL" "services/peer-")
    NOTES+=("$CASE: measured-run writes stored: etcd $e_stored keys for $e_acked answers")
    [ "$e_stored" -ge "$e_acked" ] || { NOTES+=("$CASE: ANOMALY: etcd stored fewer writes than it answered"); FAILED=1; }
  fi
  if [ "$N" -gt 1 ]; then
    NOTES+=("$CASE: instances on each Cairn node: $(for u in "${CAIRN_URLS[@]}"; do printf '%s ' "$(cairn_count "$u")"; done)")
  fi
  stop_all

  # ZooKeeper beside three nodes, Eureka beside one: each alone on the machine, after Cairn and etcd are stopped.
  if [ "$CASE" = three ] && run_zookeeper; then
    echo "== $CASE: three ZooKeeper members; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    zookeeper_case "$CASE"
    stop_all
  fi
  # The bare Vert.x HTTP ceiling, alone on the machine: a registration's CPU against a ping's (issue 25).
  if [ "$CASE" = one ]; then
    echo "== $CASE: a bare Vert.x /ping server; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    start_ping
    echo "ping: bare Vert.x ..."; measure "$CASE-ping" "$PING_URL" PING_PIDS ping x
    stop_all
  fi
  if [ "$CASE" = one ] && run_eureka; then
    echo "== $CASE: one Eureka server; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    eureka_case "$CASE"
    stop_all
  fi
done

echo
python3 bench/peers-report.py "$WORK" "$WARMUP_S"
echo
for n in "${NOTES[@]}"; do echo "$n"; done
if [ "$FAILED" != 0 ]; then
  echo "Some runs had errors, socket errors or a server that died: see $WORK (logs, wrk and load generator output)."
fi
