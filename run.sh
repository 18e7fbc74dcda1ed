#!/usr/bin/env bash
# Cairn: build, run, test and benchmark.
#   ./run.sh                 build the jar when needed and run one node in the foreground (HTTP 8080, proxy 8180,
#                            its gRPC port 8190)
#   ./run.sh test            run the whole test suite (unit, API, cluster, and the fat jar as processes)
#   ./run.sh cluster [N]     start N nodes (default 3) in the background: HTTP 8080.., Hazelcast 5701.., DNS 8600..,
#                            proxy 8180.., gRPC proxy 8190..
#   ./run.sh stop            stop the nodes started by './run.sh cluster' or './run.sh'
#   ./run.sh bench           run the benchmarks and print p50/p99 and throughput
#   ./run.sh agent ...       run the sidecar agent for a local service (see docs/OPERATIONS.md)
#   ./run.sh certs DIR [CN..] make a CA, a node certificate for 127.0.0.1/localhost and client certificates (openssl)
#   ./run.sh cluster N --secure   the same cluster with TLS, mutual TLS between nodes, tokens and a generated admin token
# Extra arguments after 'run.sh' (or 'run.sh node') are passed to the node, e.g. ./run.sh --http.port=9090
set -euo pipefail
cd "$(dirname "$0")"

JAR=target/cairn.jar
RUN_DIR=.run
# The java and JVM flags of nodes (conf/jvm.options, or CAIRN_JAVA_OPTS; CAIRN_JAVA picks the java) and the start-up
# archive made for that java: bin/node-jvm.sh, shared with the benchmarks.
. bin/node-jvm.sh
node_jvm

need_build() {
  [ ! -f "$JAR" ] && return 0
  # Every module's sources and pom, and conf/ (built into the jar); conf/jvm.options is read by the java launcher.
  [ -n "$(find pom.xml conf cairn-*/pom.xml cairn-*/src web -newer "$JAR" -type f ! -name jvm.options 2>/dev/null \
    | head -1)" ]
}

build() {
  if need_build; then
    echo "Building $JAR ..."
    mvn -B -q -DskipTests package
  fi
}

SCHEME=http
CURL_OPTS=()

wait_ready() { # port, pid, log
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 240); do
    if curl -fs "${CURL_OPTS[@]}" "$SCHEME://127.0.0.1:$port/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "node on port $port exited; see $log" >&2; tail -20 "$log" >&2; return 1; fi
    sleep 0.25
  done
  echo "node on port $port not ready after 60s; see $log" >&2
  return 1
}

# What the tests need beyond Java and Maven: curl (this script), ip (the partition test's network namespaces),
# openssl (certificates for the TLS tests, and s_client), Debian's chromium and chromium-driver (the topology page
# tests), Debian's prometheus (prometheus and promtool: the metrics, service discovery and dashboard tests), dig
# (bind9-dnsutils: the DNS tests), python3-consul2 (a Consul client, run against the Consul API), and docker.io,
# docker-compose and debootstrap (ComposeIT: the container image and deploy/compose.yaml, on a private daemon), and
# systemd-analyze (SystemdUnitIT checks deploy/systemd/cairn.service with it).
# Installed with apt-get when missing and possible (root on Debian); otherwise named, so that the person running the
# tests can install them.
ensure_test_tools() {
  local missing=""
  command -v curl >/dev/null 2>&1 || missing="$missing curl"
  command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
  command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
  command -v dig >/dev/null 2>&1 || missing="$missing bind9-dnsutils"
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  [ -x /usr/bin/chromedriver ] || missing="$missing chromium-driver"
  { command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing="$missing prometheus"
  dpkg -s python3-consul2 >/dev/null 2>&1 || missing="$missing python3-consul2"
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || missing="$missing docker.io"
  [ -x /usr/bin/docker-compose ] || missing="$missing docker-compose"
  [ -x /usr/sbin/debootstrap ] || missing="$missing debootstrap"
  command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
  [ -x /usr/bin/etcd ] || missing="$missing etcd-server"
  [ -x /usr/bin/etcdctl ] || missing="$missing etcd-client"
  [ -x /usr/bin/redis-server ] || missing="$missing redis-server"
  [ -x /usr/bin/redis-cli ] || missing="$missing redis-tools"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing what the tests need:$missing"
    # docker.io (and etcd-server, redis-server) would start the machine's own daemon where an init system runs; the
    # tests start private ones and leave the machine's alone, so no service starts during the install (policy-rc.d:
    # "action forbidden").
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    fi
    local status=0
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || status=$?
    [ -n "$policy" ] && rm -f "$policy"
    return $status
  else
    echo "The tests need:$missing (apt-get install$missing, as root)" >&2
    return 1
  fi
}

# A private CA in DIR (ca.pem, ca-key.pem), a certificate for the nodes (node.pem, node-key.pem: 127.0.0.1, localhost
# and this host's name, usable as server and as client, so the same pair serves HTTPS, gRPC, the event bus and Raft)
# and one client certificate per CN given (CN.pem, CN-key.pem). Keys are PKCS#8 PEM, readable by the owner only.
make_certs() {
  local dir=$1; shift
  command -v openssl >/dev/null || { echo "make_certs needs openssl (apt-get install openssl)" >&2; return 1; }
  mkdir -p "$dir"
  (
    cd "$dir"
    umask 077
    if [ ! -f ca.pem ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Cairn test CA" \
        -keyout ca-key.pem -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    fi
    issue() { # name cn extensions
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1-key.pem" -out "$1.csr" 2>/dev/null
      printf '%s\n' "$3" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    issue node cairn-node "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$(hostname)
extendedKeyUsage=serverAuth,clientAuth"
    for cn in "$@"; do issue "$cn" "$cn" "extendedKeyUsage=clientAuth"; done
  )
}

cmd=${1:-node}
case "$cmd" in
  test)
    shift
    ensure_test_tools
    # ComposeIT's base image starts from a Debian root file system (deploy/base-rootfs.sh: debootstrap, about 2 min,
    # kept in target/docker-base/ for later runs). Built here in the background, while Maven compiles and runs the
    # unit tests; the test waits for it (a lock), or builds it itself when run alone. Not with 'clean', which deletes
    # target/.
    case " $* " in
      *" clean "*) ;;
      *) mkdir -p target/docker-base
         nohup bash deploy/base-rootfs.sh target/docker-base/cairn-base-rootfs.tar >target/docker-base/build.log 2>&1 \
           </dev/null & ;;
    esac
    # No start-up archive (cairn.archive.skip): the tests start their nodes with flags and an archive of their own
    # (io.cairn.support.NodeJvm), and the training run cost the suite some 25 s; ./run.sh makes it on first use.
    exec mvn -B verify -Dcairn.archive.skip=true "$@"
    ;;
  certs)
    [ $# -ge 2 ] || { echo "usage: ./run.sh certs DIR [CLIENT-CN ...]" >&2; exit 2; }
    shift
    make_certs "$@"
    echo "certificates in $1: ca.pem, node.pem/node-key.pem${2:+, and one pair per client CN}"
    ;;
  cluster)
    n=${2:-3}
    case "${2:-}" in --secure) n=3 ;; esac
    secure=""
    for a in "$@"; do [ "$a" = "--secure" ] && secure=1; done
    build
    mkdir -p "$RUN_DIR"
    security=()
    if [ -n "$secure" ]; then
      tls="$RUN_DIR/tls"
      make_certs "$tls"
      if [ ! -f "$RUN_DIR/tokens" ]; then
        # One admin token for the whole cluster, made here so that the nodes starting together share it.
        token=$(openssl rand -hex 24)
        printf '# NAME:SHA256HEX of the secret\nadmin:%s\n' "$(printf %s "$token" | sha256sum | cut -d' ' -f1)" \
          > "$RUN_DIR/tokens"
        chmod 600 "$RUN_DIR/tokens"
        printf '%s\n' "$token" > "$RUN_DIR/admin-token"
        chmod 600 "$RUN_DIR/admin-token"
      fi
      SCHEME=https
      CURL_OPTS=(--cacert "$tls/ca.pem" -H "Authorization: Bearer $(cat "$RUN_DIR/admin-token")")
      security=(--security.tokensFile="$RUN_DIR/tokens" --security.tls.certFile="$tls/node.pem"
        --security.tls.keyFile="$tls/node-key.pem" --security.cluster.certFile="$tls/node.pem"
        --security.cluster.keyFile="$tls/node-key.pem" --security.cluster.caFile="$tls/ca.pem")
    fi
    node_jvm_archive "$JAR"
    join=""
    for i in $(seq 1 "$n"); do join="${join:+$join,}127.0.0.1:$((5700 + i))"; done
    # All nodes start at once; the Raft group forms when all N see each other (cluster.raft.bootstrapExpect).
    # From data directories of an earlier run, each node rejoins the group from its own Raft storage instead.
    for i in $(seq 1 "$n"); do
      http=$((8079 + i)); hz=$((5700 + i)); log="$RUN_DIR/node-$i.log"
      if [ -f "$RUN_DIR/node-$i.pid" ] && kill -0 "$(cat "$RUN_DIR/node-$i.pid")" 2>/dev/null; then
        echo "node-$i already running (pid $(cat "$RUN_DIR/node-$i.pid"))"; continue
      fi
      "$NODE_JAVA" "${NODE_JVM_FLAGS[@]}" -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
        --node.id="node-$i" --node.dataDir="data/node-$i" --http.port="$http" --dns.port=$((8599 + i)) \
        --proxy.port=$((8179 + i)) --proxy.grpcPort=$((8189 + i)) \
        --cluster.port="$hz" --cluster.portAutoIncrement=false --cluster.join="$join" \
        --cluster.raft.bootstrapExpect="$n" "${security[@]}" \
        >"$log" 2>&1 &
      echo $! >"$RUN_DIR/node-$i.pid"
      echo "node-$i: pid $!, http://127.0.0.1:$http, raft 127.0.0.1:$((http + 1000)), hazelcast 127.0.0.1:$hz," \
        "dns 127.0.0.1:$((8599 + i)), proxy 127.0.0.1:$((8179 + i)), gRPC proxy 127.0.0.1:$((8189 + i)), log $log"
    done
    for i in $(seq 1 "$n"); do wait_ready $((8079 + i)) "$(cat "$RUN_DIR/node-$i.pid")" "$RUN_DIR/node-$i.log"; done
    for _ in $(seq 1 120); do
      curl -fs "${CURL_OPTS[@]}" "$SCHEME://127.0.0.1:8080/v1/status" | grep -q '"leader":"' && break
      sleep 0.25
    done
    if [ -n "$secure" ]; then
      echo "secure cluster of $n ready (TLS, mutual TLS between nodes, tokens). The admin token is in $RUN_DIR/admin-token:"
      echo "  curl --cacert $tls/ca.pem -H \"Authorization: Bearer \$(cat $RUN_DIR/admin-token)\" https://127.0.0.1:8080/v1/nodes"
      echo "  page: https://127.0.0.1:8080/ (trust $tls/ca.pem, paste the token); stop with ./run.sh stop"
    else
      echo "cluster of $n ready; try: curl http://127.0.0.1:8080/v1/nodes ; stop with ./run.sh stop"
    fi
    ;;
  stop)
    # One node at a time, as a rolling restart would: each hands Raft leadership over while the others still form a
    # majority, and stays in the Raft group (a start from the same data directories rejoins it). A node takes at
    # most its grace period to drain plus as much to leave Hazelcast. node.pid is the node that './run.sh' runs.
    shopt -s nullglob
    for f in "$RUN_DIR"/node.pid "$RUN_DIR"/node-*.pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      # Only a process that still runs Cairn's jar: a pid left from an earlier run may belong to another by now.
      args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || ps -o args= -p "$pid" 2>/dev/null || true)
      if kill -0 "$pid" 2>/dev/null && [[ "$args" == *"$JAR"* ]]; then
        echo "stopping $(basename "$f" .pid) (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && { echo "pid $pid did not stop in 30s; killing"; kill -9 "$pid"; }
      fi
      rm -f "$f"
    done
    ;;
  agent)
    # The agent: ./run.sh agent --nodes 127.0.0.1:8080,127.0.0.1:8081 --name web-api --port 3000 --check http:/health --ttl 10s
    # (add --proxy-port 15001 for the sidecar proxy; with it alone, the agent registers nothing and only proxies)
    shift
    build
    exec "$NODE_JAVA" "${NODE_JVM_FLAGS[@]}" -cp "$JAR" io.cairn.agent.CairnAgent "$@"
    ;;
  bench)
    shift
    build
    exec bench/run-bench.sh "$@"
    ;;
  node|-*)
    [ "$cmd" = node ] && [ $# -gt 0 ] && shift
    build
    node_jvm_archive "$JAR"
    # exec keeps this shell's pid: './run.sh stop' finds the node there, also when it was started with '&'.
    mkdir -p "$RUN_DIR"
    echo $$ >"$RUN_DIR/node.pid"
    # The proxy on 8180 and its gRPC port on 8190 unless a flag says otherwise (a later flag wins).
    exec "$NODE_JAVA" "${NODE_JVM_FLAGS[@]}" -jar "$JAR" -cluster --proxy.port=8180 --proxy.grpcPort=8190 "$@"
    ;;
  *)
    echo "usage: ./run.sh [test|cluster [N]|stop|bench|agent [options]|node [flags]]" >&2
    exit 2
    ;;
esac
