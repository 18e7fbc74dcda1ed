#!/usr/bin/env bash
# Cairn's proxy beside HAProxy, nginx and Spring Cloud Gateway on this machine (./run.sh bench --only proxy; issue 23).
# Three upstreams (one nginx process, worker_processes 1, three server blocks on three ports answering GET / with
# the same fixed 1 KB body and a header X-Upstream naming the block, keep-alive on) and, in turn, each target in front
# of them on 127.0.0.1, driven by the same wrk (2 threads, 64 connections, a warm-up of --warmup, default the same as
# --duration, then --duration measured, every request with the header "Host: bench.cairn"):
#   direct   wrk to one upstream, no proxy (the baseline)
#   haproxy  Debian's haproxy (2.6), round-robin over the three, keep-alive to them (option http-keep-alive,
#            http-reuse always), its default threads (one per core), foreground (-db), no logging
#   nginx    Debian's nginx-light, an upstream block of the three (round-robin) with keepalive 64, proxy_http_version
#            1.1 and proxy_set_header Connection ""; worker_processes auto (one per core), daemon off, no access log
#   spring   Spring Cloud Gateway (bench/spring-gateway, WebFlux flavour, built here with Maven): one route /** to
#            lb://bench, Spring Cloud LoadBalancer round-robin over a SimpleDiscoveryClient listing the three; same JVM
#            options as the Cairn nodes
#   cairn1   one Cairn node with --proxy.port; the three upstreams registered through REST as service "bench"
#            (no check: healthy at once); wrk to its proxy port with Host: bench.cairn
#   cairn3   a three-node Cairn cluster (Raft), the upstreams registered through node 1, wrk to node 2's proxy port
#            once node 2 lists the three
#   grpc     gRPC unary calls instead of wrk (issue 24): io.cairn.bench.GrpcProxyBench from the test classes (grpc-java
#            channels, --connections calls in flight over --grpc-channels channels, the same warm-up and duration,
#            then one call at a time for --probe) to an echo server (io.cairn.support.GrpcEchoServer, a JVM of its
#            own), first directly, then through one Cairn node's --proxy.grpcPort with the authority echo.cairn (the
#            echo registered as service "echo"); two rows, grpc-direct and grpc-cairn
#   sidecar  the agent as a pure sidecar (io.cairn.agent.CairnAgent --proxy-port, no --name: it only proxies), fed by
#            the watch stream of one Cairn node where the three upstreams are registered as "bench"; wrk to it with
#            "Host: bench"; its one-connection probe is followed by one to the first upstream directly (the sidecar's
#            added p50 compares those two, taken a few seconds apart)
# HAProxy and nginx are installed with apt-get when missing (both packages leave their system service alone where
# invoke-rc.d may not start services, as in a container; elsewhere stop the system's nginx on port 80 yourself), and
# the Spring gateway and target/cairn.jar are built when missing. Each proxy runs alone (the previous one stopped),
# with its own configuration, logs and data in a temporary directory.
# Prints for each target requests/s, p50, p99, non-2xx answers, the proxy's CPU per request (utime+stime from
# /proc/PID/stat over the measured run: HAProxy's process, nginx's master and workers, the gateway's JVM, the Cairn
# node JVMs, all three for cairn3), the upstreams that answered 9 sequential requests through it, then the ratios
# against the targets of issue 23: Cairn (one node) / HAProxy throughput >= 0.70, Cairn / Spring Cloud Gateway
# throughput >= 2, Cairn's added p50 over direct <= 0.3 ms (all from the runs above), and of issue 24: gRPC through
# Cairn / direct calls/s >= 0.60, the sidecar's added one-connection p50 over direct <= 0.3 ms. The gRPC rows' CPU
# per call is the node's; the echo's and the load generator's are printed below the table. For information it also measures
# each target with one connection (wrk -t1 -c1, --probe, default 5s; 0 skips): the latency a proxy adds when no
# request waits behind another, which the 64-connection p50 (mostly queueing on two cores) does not show.
# The JVMs (the gateway's, Cairn's) are still compiling after a 10 s warm-up on two cores, the gateway most: with
# --warmup 60s it answered about twice the requests/s it did after 10 s here, Cairn about the same; the first line of
# the output names the warm-up a run had.
# A Cairn target whose node does not start (a jar without the proxy refuses --proxy.port) is reported and skipped,
# and the others still run; --skip-cairn leaves the Cairn targets out (cairn1, cairn3, grpc, sidecar).
# Only processes this script started are stopped (by PID); logs are deleted unless something failed or PROXY_KEEP=1.
# Usage: bench/proxy.sh [--duration 10s] [--warmup 10s] [--connections 64] [--threads 2] [--probe 5s]
#                       [--grpc-channels 4] [--targets "direct haproxy nginx spring cairn1 cairn3 grpc sidecar"]
#                       [--skip-cairn]
# Ports: CAIRN_PROXY_PORT_BASE (default 26000): upstreams base+1..3, HAProxy base+11, nginx base+12, the gateway
# base+13, the gRPC echo base+21, the sidecar base+31; Cairn HTTP (and its gRPC API) base+81.., Hazelcast
# base+171.., Raft base+281.., proxy base+61.., proxy.grpcPort base+41.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=10s
WARMUP=""
CONNECTIONS=64
THREADS=2
PROBE=5s
GRPC_CHANNELS=4
TARGETS="direct haproxy nginx spring cairn1 cairn3 grpc sidecar"
SKIP_CAIRN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --probe) PROBE=$2; shift 2 ;;
    --grpc-channels) GRPC_CHANNELS=$2; shift 2 ;;
    --targets) TARGETS=$2; shift 2 ;;
    --skip-cairn) SKIP_CAIRN=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WARMUP=${WARMUP:-$DURATION}
if [ "$SKIP_CAIRN" = 1 ]; then
  TARGETS=$(for t in $TARGETS; do case "$t" in cairn*|grpc|sidecar) ;; *) printf '%s ' "$t" ;; esac; done)
fi
for t in $TARGETS; do
  case "$t" in direct|haproxy|nginx|spring|cairn1|cairn3|grpc|sidecar) ;; *) echo "unknown target $t" >&2; exit 2 ;; esac
done

install_debian() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (Debian package) ..."
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1) ||
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null)
}
install_debian wrk wrk
install_debian nginx nginx-light
[[ " $TARGETS " == *" haproxy "* ]] && install_debian haproxy haproxy

JAR=target/cairn.jar
JAVA_OPTS=${CAIRN_JAVA_OPTS:--Xms1g -Xmx2g -XX:+UseParallelGC}
GATEWAY_JAR=target/spring-gateway/spring-gateway.jar
BASE=${CAIRN_PROXY_PORT_BASE:-26000}
UP_PORTS=($((BASE + 1)) $((BASE + 2)) $((BASE + 3)))
HAPROXY_PORT=$((BASE + 11))
NGINX_PORT=$((BASE + 12))
SPRING_PORT=$((BASE + 13))
ECHO_PORT=$((BASE + 21))
SIDECAR_PORT=$((BASE + 31))
# Every target but the sidecar (which sets "Host: bench" when it starts) is sent this.
HOST_HEADER="Host: bench.cairn"
WORK=$(mktemp -d /tmp/cairn-proxy.XXXXXX)
PIDS=()
FAILED=0

stop_pids() { # pids...
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not stop in 30 s: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}
# Stops the processes of one target (PIDS minus the upstreams).
stop_target() {
  local keep=() pid rest=()
  for pid in "${PIDS[@]}"; do
    if [ "$pid" = "${UP_PID:-}" ]; then keep+=("$pid"); else rest+=("$pid"); fi
  done
  [ ${#rest[@]} -gt 0 ] && stop_pids "${rest[@]}"
  PIDS=("${keep[@]}")
}
on_exit() {
  local rc=$?
  [ ${#PIDS[@]} -gt 0 ] && stop_pids "${PIDS[@]}"
  PIDS=()
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ] || [ "${PROXY_KEEP:-0}" = 1 ]; then
    echo "logs and configuration kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
need_ports() {
  local p
  for p in "$@"; do port_free "$p" || { echo "port $p on 127.0.0.1 is in use; set CAIRN_PROXY_PORT_BASE" >&2; exit 1; }; done
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

# Waits until URL answers 200 with a 1,024-byte body (through a proxy: once it routes to an upstream).
wait_routed() { # url pid log seconds -> 0 when routed
  local url=$1 pid=$2 log=$3 secs=${4:-60} i
  for i in $(seq 1 $((secs * 4))); do
    if [ "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "$HOST_HEADER" "$url" 2>/dev/null)" = "200 1024" ]; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "the process behind $url exited:" >&2; tail -30 "$log" >&2; return 1; }
    sleep 0.25
  done
  echo "$url did not answer 200 with the 1 KB body within $secs s; last answer:" >&2
  curl -s -i -H "$HOST_HEADER" "$url" 2>&1 | head -20 >&2
  return 1
}

# The upstreams that answer 9 sequential requests on one connection, e.g. "u1 u2 u3 u1 u2 u3 u1 u2 u3".
upstreams_seen() { # url
  local urls=() i
  for i in $(seq 1 9); do urls+=(-o /dev/null "$1"); done
  curl -s -H "$HOST_HEADER" -w '%header{x-upstream} ' "${urls[@]}" | sed 's/ *$//'
}

# ---------------------------------------------------------------- upstreams

BODY=$(python3 -c 'import string; s = (string.ascii_letters + string.digits) * 20; print(s[:1024])')
start_upstreams() {
  need_ports "${UP_PORTS[@]}"
  mkdir -p "$WORK/upstreams"
  {
    echo "worker_processes 1;"
    echo "daemon off;"
    echo "pid $WORK/upstreams/nginx.pid;"
    echo "error_log $WORK/upstreams/error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    echo "  keepalive_requests 10000000;"
    echo "  keepalive_timeout 300s;"
    echo "  client_body_temp_path $WORK/upstreams/body;"
    echo "  proxy_temp_path $WORK/upstreams/proxy;"
    echo "  fastcgi_temp_path $WORK/upstreams/fastcgi;"
    echo "  uwsgi_temp_path $WORK/upstreams/uwsgi;"
    echo "  scgi_temp_path $WORK/upstreams/scgi;"
    local i
    for i in 0 1 2; do
      echo "  server {"
      echo "    listen 127.0.0.1:${UP_PORTS[$i]};"
      echo "    location / { default_type text/plain; add_header X-Upstream u$((i + 1)); return 200 '$BODY'; }"
      echo "  }"
    done
    echo "}"
  } >"$WORK/upstreams/nginx.conf"
  nginx -p "$WORK/upstreams" -e "$WORK/upstreams/error.log" -c "$WORK/upstreams/nginx.conf" >"$WORK/upstreams/out.log" 2>&1 &
  UP_PID=$!; PIDS+=($!)
  for i in 0 1 2; do
    wait_routed "http://127.0.0.1:${UP_PORTS[$i]}/" "$UP_PID" "$WORK/upstreams/error.log" 30 || exit 1
  done
}

# ---------------------------------------------------------------- the proxies (each sets TARGET_URL, TARGET_PIDS)

start_direct() {
  TARGET_URL="http://127.0.0.1:${UP_PORTS[0]}/"
  TARGET_PIDS=()
}

start_haproxy() {
  need_ports "$HAPROXY_PORT"
  mkdir -p "$WORK/haproxy"
  cat >"$WORK/haproxy/haproxy.cfg" <<EOF
# bench/proxy.sh: round-robin over the three upstreams, keep-alive on both sides, idle upstream connections shared
# between client connections (http-reuse always). nbthread: HAProxy's default, one thread per core.
global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
frontend bench
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend upstreams
backend upstreams
    balance roundrobin
    server u1 127.0.0.1:${UP_PORTS[0]}
    server u2 127.0.0.1:${UP_PORTS[1]}
    server u3 127.0.0.1:${UP_PORTS[2]}
EOF
  haproxy -c -q -f "$WORK/haproxy/haproxy.cfg" || { echo "haproxy rejected its configuration" >&2; exit 1; }
  haproxy -db -f "$WORK/haproxy/haproxy.cfg" >"$WORK/haproxy/haproxy.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  TARGET_URL="http://127.0.0.1:$HAPROXY_PORT/"
  TARGET_PIDS=("$pid")
  wait_routed "$TARGET_URL" "$pid" "$WORK/haproxy/haproxy.log" 30 || exit 1
}

start_nginx() {
  need_ports "$NGINX_PORT"
  local d="$WORK/nginx"
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
# bench/proxy.sh: round-robin (nginx's default) over the three upstreams with a cache of 64 idle keep-alive
# connections per worker. worker_processes auto: one worker per core.
worker_processes auto;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  upstream bench {
    server 127.0.0.1:${UP_PORTS[0]};
    server 127.0.0.1:${UP_PORTS[1]};
    server 127.0.0.1:${UP_PORTS[2]};
    keepalive 64;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  nginx -t -q -p "$d" -e "$d/error.log" -c "$d/nginx.conf" || { echo "nginx rejected its configuration" >&2; exit 1; }
  nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" >"$d/out.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  TARGET_URL="http://127.0.0.1:$NGINX_PORT/"
  wait_routed "$TARGET_URL" "$pid" "$d/error.log" 30 || exit 1
  # The master and its workers (children of the master, which this script started).
  TARGET_PIDS=("$pid" $(pgrep -P "$pid" || true))
}

build_gateway() {
  if [ ! -f "$GATEWAY_JAR" ] || [ -n "$(find bench/spring-gateway/pom.xml bench/spring-gateway/src -newer "$GATEWAY_JAR" -type f | head -1)" ]; then
    echo "building $GATEWAY_JAR (mvn -B -q -f bench/spring-gateway/pom.xml package) ..."
    mvn -B -q -f bench/spring-gateway/pom.xml package -Dapp.buildDirectory="$PWD/target/spring-gateway" \
      >"$WORK/spring-build.log" 2>&1 || { echo "the Spring gateway did not build:" >&2; tail -40 "$WORK/spring-build.log" >&2; exit 1; }
  fi
}

start_spring() {
  need_ports "$SPRING_PORT"
  build_gateway
  local args=(--server.port="$SPRING_PORT") i
  for i in 0 1 2; do args+=(--spring.cloud.discovery.client.simple.instances.bench[$i].uri="http://127.0.0.1:${UP_PORTS[$i]}"); done
  java $JAVA_OPTS -jar "$GATEWAY_JAR" "${args[@]}" >"$WORK/spring.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  TARGET_URL="http://127.0.0.1:$SPRING_PORT/"
  TARGET_PIDS=("$pid")
  wait_routed "$TARGET_URL" "$pid" "$WORK/spring.log" 120 || exit 1
}

# Cairn: n nodes the way bench/peers.sh starts them, each with a proxy port of its own. Returns non-zero (and says
# why) instead of exiting, so that a jar without the proxy leaves the other targets measured.
CAIRN_PIDS=()
CAIRN_URLS=()
CAIRN_PROXY_URLS=()
start_cairn() { # nodes [flags of every node...]
  local n=$1 i join=""
  shift
  CAIRN_PIDS=(); CAIRN_URLS=(); CAIRN_PROXY_URLS=()
  if [ ! -f "$JAR" ]; then
    echo "building $JAR (mvn -B -q -DskipTests package) ..."
    mvn -B -q -DskipTests package >"$WORK/cairn-build.log" 2>&1 ||
      { echo "Cairn did not build:" >&2; tail -40 "$WORK/cairn-build.log" >&2; return 1; }
  fi
  for i in $(seq 1 "$n"); do join="${join:+$join,}127.0.0.1:$((BASE + 170 + i))"; done
  for i in $(seq 1 "$n"); do need_ports $((BASE + 80 + i)) $((BASE + 170 + i)) $((BASE + 280 + i)) $((BASE + 60 + i)); done
  for i in $(seq 1 "$n"); do
    java $JAVA_OPTS -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
      --node.id="p$i" --node.dataDir="$WORK/cairn-$n-$i" --http.host=127.0.0.1 --http.port=$((BASE + 80 + i)) \
      --cluster.name="cairn-proxy-$n-$$" --cluster.port=$((BASE + 170 + i)) --cluster.portAutoIncrement=false \
      --cluster.join="$join" --cluster.raft.port=$((BASE + 280 + i)) --cluster.raft.bootstrapExpect="$n" --dns.port=0 \
      --proxy.port=$((BASE + 60 + i)) "$@" \
      >"$WORK/cairn-$n-$i.log" 2>&1 &
    CAIRN_PIDS+=($!); PIDS+=($!)
    CAIRN_URLS+=("http://127.0.0.1:$((BASE + 80 + i))")
    CAIRN_PROXY_URLS+=("http://127.0.0.1:$((BASE + 60 + i))/")
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
      if ! kill -0 "${CAIRN_PIDS[$i]}" 2>/dev/null; then
        echo "Cairn p$((i + 1)) exited (a jar without the proxy refuses --proxy.port):" >&2
        tail -15 "$WORK/cairn-$n-$((i + 1)).log" >&2
        return 1
      fi
      sleep 0.25
    done
    [ -n "$ok" ] || { echo "Cairn p$((i + 1)) not ready with a leader and $n voters after 120 s" >&2; return 1; }
  done
}

cairn_put() { # node-url id name port: one instance on 127.0.0.1, no check (healthy at once)
  local code
  code=$(curl -s -o "$WORK/register.out" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$1/v1/services/$2" -d "{\"name\":\"$3\",\"address\":\"127.0.0.1\",\"port\":$4}")
  case "$code" in 2*) ;; *) echo "registering $2 through $1: HTTP $code $(cat "$WORK/register.out")" >&2; return 1 ;; esac
}

cairn_register() { # node-url: the three upstreams as service "bench"
  local i
  for i in 0 1 2; do cairn_put "$1" "bench-$((i + 1))" bench "${UP_PORTS[$i]}" || return 1; done
}

cairn_count() { # node-url -> instances of "bench" the node lists
  curl -fs "$1/v1/services?name=bench" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' 2>/dev/null || echo 0
}

# One node with the three upstreams registered as "bench".
start_cairn_bench() {
  start_cairn 1 || return 1
  cairn_register "${CAIRN_URLS[0]}" || return 1
  [ "$(cairn_count "${CAIRN_URLS[0]}")" = 3 ] || { echo "the node does not list the three instances of bench" >&2; return 1; }
}

start_cairn1() {
  start_cairn_bench || return 1
  TARGET_URL=${CAIRN_PROXY_URLS[0]}
  TARGET_PIDS=("${CAIRN_PIDS[@]}")
  wait_routed "$TARGET_URL" "${CAIRN_PIDS[0]}" "$WORK/cairn-1-1.log" 30
}

start_cairn3() {
  start_cairn 3 || return 1
  cairn_register "${CAIRN_URLS[0]}" || return 1
  local i
  for i in $(seq 1 120); do
    [ "$(cairn_count "${CAIRN_URLS[1]}")" = 3 ] && break
    sleep 0.25
  done
  [ "$(cairn_count "${CAIRN_URLS[1]}")" = 3 ] || { echo "node 2 does not list the three instances of bench after 30 s" >&2; return 1; }
  TARGET_URL=${CAIRN_PROXY_URLS[1]}
  TARGET_PIDS=("${CAIRN_PIDS[@]}")
  wait_routed "$TARGET_URL" "${CAIRN_PIDS[1]}" "$WORK/cairn-3-2.log" 30
}

# The agent as a pure sidecar (no --name: it registers nothing), fed by one node's watch stream (the node's gRPC API
# is on its HTTP port). Only the agent's CPU is counted: the node, idle, only feeds the watch.
start_sidecar() {
  need_ports "$SIDECAR_PORT"
  start_cairn_bench || return 1
  java $JAVA_OPTS -cp "$JAR" io.cairn.agent.CairnAgent --nodes "127.0.0.1:$((BASE + 81))" --proxy-port "$SIDECAR_PORT" \
    >"$WORK/sidecar.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  HOST_HEADER="Host: bench"
  TARGET_URL="http://127.0.0.1:$SIDECAR_PORT/"
  TARGET_PIDS=("$pid")
  wait_routed "$TARGET_URL" "$pid" "$WORK/sidecar.log" 60
}

# The test class path (grpc-java, the bench classes), built once.
test_classpath() {
  if [ ! -f "$WORK/cp.txt" ]; then
    echo "building the test classes and their class path (mvn -B -q -DskipTests test-compile dependency:build-classpath) ..." >&2
    mvn -B -q -DskipTests test-compile dependency:build-classpath -pl cairn-server -am -Dmdep.outputFile="$WORK/cp.txt" \
      -Dmdep.includeScope=test >"$WORK/test-build.log" 2>&1 ||
      { echo "the test classes did not build:" >&2; tail -40 "$WORK/test-build.log" >&2; return 1; }
  fi
  echo "cairn-server/target/test-classes:cairn-server/target/classes:$(cat "$WORK/cp.txt")"
}

# The gRPC echo (GrpcEchoServer in a JVM of its own); Cairn is started by measure_grpc, after the direct run.
ECHO_PID=""
start_grpc() {
  need_ports "$ECHO_PORT" $((BASE + 41))
  CP=$(test_classpath) || return 1
  java $JAVA_OPTS -cp "$CP" io.cairn.support.GrpcEchoServer "$ECHO_PORT" e1 >"$WORK/echo.log" 2>&1 &
  ECHO_PID=$!; PIDS+=($ECHO_PID)
  local i
  for i in $(seq 1 240); do
    grep -q "^READY $ECHO_PORT" "$WORK/echo.log" && break
    kill -0 "$ECHO_PID" 2>/dev/null || { echo "the gRPC echo exited:" >&2; tail -30 "$WORK/echo.log" >&2; return 1; }
    sleep 0.25
  done
  grep -q "^READY $ECHO_PORT" "$WORK/echo.log" || { echo "the gRPC echo did not start within 60 s" >&2; return 1; }
  TARGET_URL="127.0.0.1:$ECHO_PORT"
  TARGET_PIDS=("$ECHO_PID")
}

# ---------------------------------------------------------------- measuring

# Maven builds and test runs on this machine (another checkout's): their PIDs, to warn that a run was disturbed.
builds_running() {
  pgrep -f 'maven|surefire|failsafe' | tr '\n' ' ' || true
}

# wrk output -> "rps p50 p99 non2xx requests [socket errors]"
summarize() {
  python3 "$(dirname "$0")/wrk-summary.py" "$1"
}

# wrk -t1 -c1 for --probe to URL (nan nan when --probe is 0) -> "p50 p99"
probe() { # label url
  if [ "$PROBE" = 0 ] || [ "$PROBE" = 0s ]; then echo "nan nan"; return; fi
  wrk -t1 -c1 -d"$PROBE" --latency -H "$HOST_HEADER" "$2" >"$WORK/$1.probe.txt"
  summarize "$WORK/$1.probe.txt" | cut -d' ' -f2,3
}

# Notes a Maven build or test run (not this script's) seen at the start or the end of a measured run.
note_builds() { # label pids-before pids-after
  if [ -n "$2$3" ]; then
    NOTES+=("$1: a Maven build or test run (not this script's) was running at the start or end of the measured run (pids $(echo $2 $3 | tr ' ' '\n' | sort -un | tr '\n' ' ')): its figures are disturbed")
  fi
}

# A warm-up, then the measured run, then the one-connection probe; leaves
# "rps p50 p99 non2xx requests cpu_us_per_req cores probe_p50 probe_p99 [socket errors]" in $WORK/<label>.sum.
measure() { # label
  local label=$1
  if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "$HOST_HEADER" "$TARGET_URL" >"$WORK/$label.warm.txt"
  fi
  local before after hz busy_before busy_after pid each_before=() each_after=()
  hz=$(getconf CLK_TCK)
  busy_before=$(builds_running)
  for pid in "${TARGET_PIDS[@]}"; do each_before+=("$(cpu_ticks "$pid")"); done
  before=$(cpu_ticks "${TARGET_PIDS[@]}")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$HOST_HEADER" "$TARGET_URL" >"$WORK/$label.txt"
  after=$(cpu_ticks "${TARGET_PIDS[@]}")
  for pid in "${TARGET_PIDS[@]}"; do each_after+=("$(cpu_ticks "$pid")"); done
  busy_after=$(builds_running)
  note_builds "$label" "$busy_before" "$busy_after"
  local rps p50 p99 bad reqs rest=""
  read -r rps p50 p99 bad reqs rest <<<"$(summarize "$WORK/$label.txt")"
  local cpu_us=$(( (after - before) * 1000000 / hz ))
  local pp50 pp99
  read -r pp50 pp99 <<<"$(probe "$label" "$TARGET_URL")"
  local cpu="-" cores="-"
  if [ ${#TARGET_PIDS[@]} -gt 0 ]; then
    cpu=$(( reqs > 0 ? cpu_us / reqs : 0 ))
    cores=$(python3 -c "print(round($cpu_us / 1e6 / ${DURATION%s}, 2))")
  fi
  echo "$rps $p50 $p99 $bad $reqs $cpu $cores $pp50 $pp99 $rest" >"$WORK/$label.sum"
  # A cluster: each node's share (the proxying node and the others, which only keep the cluster going).
  if [ "$label" = cairn3 ] && [ "$reqs" -gt 0 ]; then
    local i shares=""
    for i in "${!TARGET_PIDS[@]}"; do
      shares="$shares, p$((i + 1)) $(( (each_after[i] - each_before[i]) * 1000000 / hz / reqs )) us"
    done
    NOTES+=("cairn3: CPU per request by node:${shares#,} (wrk through p2)")
  fi
  for pid in "${TARGET_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a process of $label (pid $pid) died during the run" >&2; FAILED=1; }
  done
  if [ "$bad" != 0 ] || [ -n "$rest" ]; then FAILED=1; fi
}

# The sidecar's rows, then one connection straight to the first upstream right after its probe (sidecar-direct).
measure_sidecar() {
  measure sidecar
  local pp50 pp99
  read -r pp50 pp99 <<<"$(probe sidecar-direct "http://127.0.0.1:${UP_PORTS[0]}/")"
  echo "nan nan nan 0 0 - - $pp50 $pp99" >"$WORK/sidecar-direct.sum"
  NOTES+=("sidecar: one connection straight to the first upstream right after the sidecar's probe: p50 / p99 $pp50 / $pp99 ms")
}

seconds_of() { # 10s, 2m or 10 -> seconds
  case "$1" in *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}

# GrpcProxyBench against ADDRESS; leaves the row's .sum (the CPU column: the proxy's, - for none) and a note of the
# CPU per call of every process named (the load generator's last).
grpc_run() { # label address authority|- proxy-pid|- pid-names pids...
  local label=$1 address=$2 authority=$3 proxy=$4 names=$5 busy_before busy_after
  shift 5
  busy_before=$(builds_running)
  java $JAVA_OPTS -Dbench.hz="$(getconf CLK_TCK)" -cp "$CP" io.cairn.bench.GrpcProxyBench "$address" "$authority" \
    "$(seconds_of "$WARMUP")" "$(seconds_of "$DURATION")" "$CONNECTIONS" "$GRPC_CHANNELS" "$(seconds_of "$PROBE")" "$@" \
    >"$WORK/$label.txt" 2>&1 || { echo "$label: the load generator failed:" >&2; tail -20 "$WORK/$label.txt" >&2; return 1; }
  busy_after=$(builds_running)
  note_builds "$label" "$busy_before" "$busy_after"
  local rps p50 p99 bad reqs pp50 pp99 cpu="-" cores="-"
  read -r rps p50 p99 bad reqs <<<"$(awk '$1 == "result" {print $2, $3, $4, $5, $6}' "$WORK/$label.txt")"
  read -r pp50 pp99 <<<"$(awk '$1 == "probe" {print $2, $3}' "$WORK/$label.txt")"
  SEEN[$label]=$(awk '$1 == "answer" {print $2}' "$WORK/$label.txt")
  if [ "$proxy" != - ]; then
    cpu=$(awk -v pid="$proxy" '$1 == "cpu" && $2 == pid {print $3}' "$WORK/$label.txt")
    cores=$(python3 -c "print(round($cpu * $rps / 1e6, 2))")
  fi
  echo "$rps $p50 $p99 $bad $reqs $cpu $cores $pp50 $pp99" >"$WORK/$label.sum"
  NOTES+=("$label: CPU per call: $(awk -v names="$names load-generator" 'BEGIN {n = split(names, a, " ")}
    $1 == "cpu" {i++; printf "%s%s %s us", (i > 1 ? ", " : ""), a[i], $3}' "$WORK/$label.txt")")
  [ "$bad" = 0 ] || FAILED=1
}

# Direct to the echo, then through a Cairn node's proxy.grpcPort (started now, the echo registered as "echo").
measure_grpc() {
  grpc_run grpc-direct "127.0.0.1:$ECHO_PORT" - - "echo" "$ECHO_PID" || { SKIPPED[grpc-direct]=1; FAILED=1; }
  if start_cairn 1 --proxy.grpcPort=$((BASE + 41)) && cairn_put "${CAIRN_URLS[0]}" echo-1 echo "$ECHO_PORT"; then
    grpc_run grpc-cairn "127.0.0.1:$((BASE + 41))" echo.cairn "${CAIRN_PIDS[0]}" "cairn-node echo" \
      "${CAIRN_PIDS[0]}" "$ECHO_PID" ||
      { SKIPPED[grpc-cairn]=1; FAILED=1; }
  else
    SKIPPED[grpc-cairn]=1; FAILED=1
  fi
}

# ---------------------------------------------------------------- the run

echo "Cairn's proxy beside HAProxy, nginx and Spring Cloud Gateway: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores,"\
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1),"\
  "$(haproxy -v 2>/dev/null | head -1 | awk '{print "HAProxy " $3}'), $(nginx -v 2>&1 | sed 's|nginx version: nginx/|nginx |'),"\
  "wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up (probe: -t1 -c1 -d$PROBE);"\
  "JVMs (gateway, Cairn, the agent, the gRPC echo and load generator, $GRPC_CHANNELS channels): $JAVA_OPTS"
start_upstreams
echo "upstreams: nginx (1 worker) on 127.0.0.1:${UP_PORTS[0]},${UP_PORTS[1]},${UP_PORTS[2]}, GET / -> 200, 1,024-byte body"

declare -A DESC=(
  [direct]="direct to one upstream"
  [haproxy]="HAProxy, round-robin, keep-alive"
  [nginx]="nginx, upstream keepalive 64, workers auto"
  [spring]="Spring Cloud Gateway, lb:// round-robin"
  [cairn1]="Cairn proxy, one node"
  [cairn3]="Cairn proxy, node 2 of 3 (registered on 1)"
  [grpc]="gRPC unary, direct then through one Cairn node"
  [grpc-direct]="gRPC unary direct to the echo (calls/s)"
  [grpc-cairn]="gRPC unary through Cairn, one node, proxy.grpcPort (calls/s)"
  [sidecar]="Cairn sidecar (the agent, --proxy-port), Host: bench"
)
# The table's rows of a target: the gRPC target has two.
rows_of() { # target
  case "$1" in grpc) echo grpc-direct grpc-cairn ;; *) echo "$1" ;; esac
}
NOTES=()
declare -A SEEN=()
declare -A SKIPPED=()
for T in $TARGETS; do
  echo
  echo "== $T: ${DESC[$T]}; $(date -u +%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  HOST_HEADER="Host: bench.cairn"
  if "start_$T"; then
    if [ "$T" = grpc ]; then
      measure_grpc
    else
      SEEN[$T]=$(upstreams_seen "$TARGET_URL")
      echo "routing to $TARGET_URL; 9 requests answered by: ${SEEN[$T]}"
      if [ "$T" = sidecar ]; then measure_sidecar; else measure "$T"; fi
    fi
  else
    for R in $(rows_of "$T"); do SKIPPED[$R]=1; done
    FAILED=1
    echo "$T: skipped (see above)"
  fi
  stop_target
  echo "load average after $T: $(cut -d' ' -f1-3 /proc/loadavg)"
done
ROWS=$(for T in $TARGETS; do rows_of "$T"; done)

echo
echo "| target | requests/s | p50 ms | p99 ms | non-2xx | proxy CPU per request | proxy cores busy | 1-connection p50 / p99 ms | upstreams of 9 requests |"
echo "|---|---|---|---|---|---|---|---|---|"
for T in $ROWS; do
  if [ -n "${SKIPPED[$T]:-}" ]; then
    echo "| ${DESC[$T]} | not run | | | | | | | |"
    continue
  fi
  read -r rps p50 p99 bad reqs cpu cores pp50 pp99 rest <"$WORK/$T.sum"
  [ "$cpu" != - ] && cpu="$cpu us"
  echo "| ${DESC[$T]} | $(python3 -c "print(format(int($rps), ','))")/s | $p50 | $p99 | $bad${rest:+ $rest} | $cpu | $cores | $pp50 / $pp99 | ${SEEN[$T]} |"
done
echo
CONNECTIONS=$CONNECTIONS python3 - "$WORK" $ROWS <<'PY'
import os, sys
work, targets = sys.argv[1], sys.argv[2:]
def load(t):
    p = "%s/%s.sum" % (work, t)
    if not os.path.exists(p):
        return None
    f = open(p).read().split()
    return dict(rps=float(f[0]), p50=float(f[1]), p99=float(f[2]), pp50=float(f[7]))
d, h, s, c1, c3 = (load(t) for t in ("direct", "haproxy", "spring", "cairn1", "cairn3"))
def verdict(ok):
    return "(target met)" if ok else "(below target)"
def ratios(c, name):
    if c is None:
        print("%s: not measured, no ratios" % name)
        return
    if h:
        r = c["rps"] / h["rps"]
        print("%s / HAProxy throughput: %.2f, target >= 0.70 %s" % (name, r, verdict(r >= 0.70)))
    if s:
        r = c["rps"] / s["rps"]
        print("%s / Spring Cloud Gateway throughput: %.2f, target >= 2 %s" % (name, r, verdict(r >= 2)))
    if d:
        a = c["p50"] - d["p50"]
        print("%s added p50 over direct: %.2f ms, target <= 0.3 ms %s (with one connection: %.3f ms, information)"
              % (name, a, verdict(a <= 0.3), c["pp50"] - d["pp50"]))
ratios(c1, "Cairn (one node)")
if "cairn3" in targets:
    print("for information, through node 2 of three:")
    ratios(c3, "Cairn (node 2 of 3)")
gd, gc = load("grpc-direct"), load("grpc-cairn")
if gd and gc:
    r = gc["rps"] / gd["rps"]
    print("gRPC unary through Cairn / direct calls/s: %.2f, target >= 0.60 %s (added p50 %.2f ms; one call at a time: %.3f ms)"
          % (r, verdict(r >= 0.60), gc["p50"] - gd["p50"], gc["pp50"] - gd["pp50"]))
elif "grpc-direct" in targets:
    print("gRPC: not measured both ways, no ratio")
sc, sd = load("sidecar"), load("sidecar-direct")
if sc and sd:
    a = sc["pp50"] - sd["pp50"]
    print("sidecar added p50 over direct, one connection: %.3f ms, target <= 0.3 ms %s" % (a, verdict(a <= 0.3)))
    if d:
        print("  with %s connections (information): %.2f ms added over direct; sidecar / direct requests/s %.2f"
              % (os.environ.get("CONNECTIONS", "64"), sc["p50"] - d["p50"], sc["rps"] / d["rps"]))
elif "sidecar" in targets:
    print("sidecar: not measured, no ratio")
PY
for n in "${NOTES[@]}"; do echo "$n"; done
if [ "$FAILED" != 0 ]; then
  echo "A target was skipped, or a run had non-2xx answers, socket errors or a process that died: see $WORK (logs, wrk output)."
fi
