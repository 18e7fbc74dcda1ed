#!/usr/bin/env bash
# What security costs (./run.sh bench --only security; docs/BENCHMARKS.md). One node at a time on 127.0.0.1, the
# same wrk settings for each (a warm-up, then --duration measured, --connections over --threads):
#   plain    no security: HTTP, anonymous callers
#   secure   TLS (a certificate from ./run.sh certs), a bearer token on every request, and an ACL policy of 100 lines
#            (99 for other teams' services, then the caller's own allow last), decisions from jcasbin
# and, with --cases "plain tls tokens secure", the two halves apart: tls (TLS only) and tokens (token + ACL, no TLS).
# Measures, for each: registrations of distinct instances (PUT /v1/services/{id}, bench/register.lua) and discovery
# of one name among 10,000 instances (GET /v1/services?name=svc-42). Prints throughput, p50, p99, non-2xx answers
# and the ratio secure/plain against the issue's target (at least 70 %).
# Then what mutual TLS between nodes costs replicated writes: three nodes (cluster.raft.bootstrapExpect=3), first
# with a plain event bus and Raft (cluster), then with security.cluster.* (cluster-tls), registrations through all
# three at once (one wrk per node, --connections split between them); throughput summed, the worst node's p50/p99.
# Only the nodes this script started are stopped (by PID); their data and logs go with the temporary directory
# unless SECURITY_BENCH_KEEP=1.
# wrk runs two threads: with one, its own TLS work (decrypting every answer, on the same two cores) capped the secure
# runs before the node did (docs/BENCHMARKS.md).
# Usage: bench/security.sh [--duration 10s] [--warmup 10s] [--connections 32] [--threads 2]
#                          [--cases "plain secure"] [--cluster-cases "cluster cluster-tls"]
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=10s
WARMUP=10s
CONNECTIONS=32
THREADS=2
CASES="plain secure"
CLUSTER_CASES="cluster cluster-tls"
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES=$2; shift 2 ;;
    --cluster-cases) CLUSTER_CASES=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

JAR=target/cairn.jar
WORK=$(mktemp -d /tmp/cairn-security-bench.XXXXXX)
HTTP_PORT=${CAIRN_BENCH_HTTP_PORT:-18580}
HZ_PORT=${CAIRN_BENCH_HZ_PORT:-15961}
NODE_PID=""
CLUSTER_PIDS=()
stop_node() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
  fi
  NODE_PID=""
}
stop_cluster() {
  for pid in "${CLUSTER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${CLUSTER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  CLUSTER_PIDS=()
}
cleanup() {
  stop_node
  stop_cluster
  [ "${SECURITY_BENCH_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

# The secure node's material: certificates, one token, and a policy whose matching line comes last.
bash run.sh certs "$WORK/tls" >/dev/null
TOKEN=$(openssl rand -hex 24)
printf 'bench:%s\n' "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" >"$WORK/tokens"
for i in $(seq 1 99); do
  echo "p, team-$i, service:team-$i-*, register, allow"
done >"$WORK/policy.csv"
echo "p, bench, *, *, allow" >>"$WORK/policy.csv"

start_node() { # case
  local extra=()
  case "$1" in secure|tokens)
    extra+=(--security.tokensFile="$WORK/tokens" --security.acl.policy="$WORK/policy.csv"
      --security.limits.writesPerSecond=0) ;;
  esac
  case "$1" in secure|tls)
    extra+=(--security.tls.certFile="$WORK/tls/node.pem" --security.tls.keyFile="$WORK/tls/node-key.pem") ;;
  esac
  java ${CAIRN_JAVA_OPTS:--Xms1g -Xmx2g -XX:+UseParallelGC} -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
    --node.id=bench --node.dataDir="$WORK/data-$1" --http.host=127.0.0.1 --http.port="$HTTP_PORT" \
    --cluster.name="cairn-security-bench-$1-$$" --cluster.port="$HZ_PORT" --cluster.portAutoIncrement=false \
    --cluster.join="127.0.0.1:$HZ_PORT" --dns.port=0 "${extra[@]}" >"$WORK/node-$1.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 240); do
    curl -fsk "$2/health" >/dev/null 2>&1 && return 0
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node-$1.log" >&2; exit 1; }
    sleep 0.25
  done
  echo "node did not become ready" >&2; exit 1
}

# 10,000 instances, 1,000 names of 10, by bulk registration.
preload() { # base, curl auth args...
  local base=$1; shift
  python3 - "$base" "$@" <<'PY'
import json, ssl, sys, urllib.request
base, headers = sys.argv[1], {"Content-Type": "application/json"}
if len(sys.argv) > 2:
    headers["Authorization"] = "Bearer " + sys.argv[2]
context = ssl._create_unverified_context()
for chunk in range(10):
    items = [{"id": "svc-%d-%d" % (i // 10, i % 10), "name": "svc-%d" % (i // 10), "address": "10.1.%d.%d"
              % (i // 250 % 250, i % 250), "port": 8000 + i % 10, "tags": ["http"], "metadata": {"team": "perf"}}
             for i in range(chunk * 1000, chunk * 1000 + 1000)]
    req = urllib.request.Request(base + "/v1/services:bulk", data=json.dumps(items).encode(), headers=headers,
                                 method="POST")
    results = json.load(urllib.request.urlopen(req, context=context))["results"]
    if any(r["status"] >= 300 for r in results):
        sys.exit("bulk registration failed")
PY
}

run_case() { # case base [token]
  local name=$1 base=$2 token=${3:-}
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  start_node "$name" "$base"
  CAIRN_BENCH_PREFIX=warm wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${auth[@]}" -s bench/register.lua "$base" >/dev/null
  CAIRN_BENCH_PREFIX=reg wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${auth[@]}" -s bench/register.lua \
    "$base" >"$WORK/$name-reg.txt"
  preload "$base" ${token:+"$token"}
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${auth[@]}" "$base/v1/services?name=svc-42" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${auth[@]}" "$base/v1/services?name=svc-42" \
    >"$WORK/$name-disc.txt"
  stop_node
}

echo "Security cost: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1)"
[ -n "$CASES" ] && echo "wrk -t$THREADS -c$CONNECTIONS, warm-up $WARMUP, measured $DURATION; one node: $CASES"
for c in $CASES; do
  case $c in
    plain) run_case plain "http://127.0.0.1:$HTTP_PORT" ;;
    tls) run_case tls "https://127.0.0.1:$HTTP_PORT" ;;
    tokens) run_case tokens "http://127.0.0.1:$HTTP_PORT" "$TOKEN" ;;
    secure) run_case secure "https://127.0.0.1:$HTTP_PORT" "$TOKEN" ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done

# Three nodes on 127.0.0.1 (HTTP HTTP_PORT+1.., Hazelcast HZ_PORT+1.., Raft HTTP_PORT+11..), plain API.
start_cluster() { # case run-name
  local extra=() join=""
  [ "$1" = cluster-tls ] && extra+=(--security.cluster.certFile="$WORK/tls/node.pem"
    --security.cluster.keyFile="$WORK/tls/node-key.pem" --security.cluster.caFile="$WORK/tls/ca.pem")
  for i in 1 2 3; do join="${join:+$join,}127.0.0.1:$((HZ_PORT + i))"; done
  for i in 1 2 3; do
    java ${CAIRN_JAVA_OPTS:--Xms512m -Xmx1g -XX:+UseParallelGC} -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
      --node.id="bench-$i" --node.dataDir="$WORK/data-$2-$i" --http.host=127.0.0.1 --http.port=$((HTTP_PORT + i)) \
      --cluster.name="cairn-security-bench-$2-$$" --cluster.port=$((HZ_PORT + i)) --cluster.portAutoIncrement=false \
      --cluster.join="$join" --cluster.raft.port=$((HTTP_PORT + 10 + i)) --cluster.raft.bootstrapExpect=3 \
      --dns.port=0 "${extra[@]}" >"$WORK/node-$2-$i.log" 2>&1 &
    CLUSTER_PIDS+=($!)
  done
  for i in 1 2 3; do
    for _ in $(seq 1 480); do
      curl -fs "http://127.0.0.1:$((HTTP_PORT + i))/health" >/dev/null 2>&1 && break
      sleep 0.25
    done
    curl -fs "http://127.0.0.1:$((HTTP_PORT + i))/health" >/dev/null || { tail -30 "$WORK/node-$2-$i.log" >&2; exit 1; }
  done
}

run_cluster_case() { # case run-name
  local name=$2 per=$(( (CONNECTIONS + 2) / 3 )) pids=()
  start_cluster "$1" "$name"
  for i in 1 2 3; do
    CAIRN_BENCH_PREFIX="warm$i" wrk -t1 -c"$per" -d"$WARMUP" -s bench/register.lua \
      "http://127.0.0.1:$((HTTP_PORT + i))" >/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  pids=()
  for i in 1 2 3; do
    CAIRN_BENCH_PREFIX="reg$i" wrk -t1 -c"$per" -d"$DURATION" --latency -s bench/register.lua \
      "http://127.0.0.1:$((HTTP_PORT + i))" >"$WORK/$name-reg-$i.txt" &
    pids+=($!)
  done
  wait "${pids[@]}"
  stop_cluster
}

echo
echo "Mutual TLS between nodes: three nodes, registrations through all three (wrk -t1 per node), warm-up $WARMUP, measured $DURATION"
# A case may be named more than once (--cluster-cases "cluster cluster-tls cluster cluster-tls"): each run is a
# fresh cluster of its own, so alternating them shows how much of a difference is the machine's noise.
RUNS=()
for c in $CLUSTER_CASES; do
  case $c in
    cluster|cluster-tls) RUNS+=("${#RUNS[@]}-$c"); run_cluster_case "$c" "${RUNS[-1]}" ;;
    *) echo "unknown cluster case $c" >&2; exit 2 ;;
  esac
done

summary() { python3 bench/wrk-summary.py "$1"; }
[ -n "$CASES" ] && printf '\n| measure | case | throughput | of plain | p50 | p99 | non-2xx | target |\n|---|---|---|---|---|---|---|---|\n'
[ -n "$CASES" ] && for m in reg disc; do
  LABEL=$([ $m = reg ] && echo "registrations/s" || echo "discovery/s (1 name of 10,000)")
  read -r P_RPS _ < <(summary "$WORK/plain-$m.txt")
  for c in $CASES; do
    read -r RPS P50 P99 BAD _ < <(summary "$WORK/$c-$m.txt")
    RATIO=$(python3 -c "print(f'{$RPS / $P_RPS * 100:.0f} %')")
    printf '| %s | %s | %s | %s | %s ms | %s ms | %s | %s |\n' "$LABEL" "$c" "$RPS" "$RATIO" "$P50" "$P99" "$BAD" \
      "$([ "$c" = secure ] && echo '>= 70 %' || true)"
  done
done

# Three wrk runs of a case: summed throughput, the worst node's p50 and p99, non-2xx summed.
cluster_summary() { # case
  for i in 1 2 3; do summary "$WORK/$1-reg-$i.txt"; done | python3 -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
print(f"{sum(float(r[0]) for r in rows):.0f} {max(float(r[1]) for r in rows):.2f} {max(float(r[2]) for r in rows):.2f} "
      f"{sum(int(r[3]) for r in rows)}")'
}
if [ -n "$CLUSTER_CASES" ]; then
  printf '\n| measure | case | throughput | of the first | p50 (worst node) | p99 (worst node) | non-2xx |\n|---|---|---|---|---|---|---|\n'
  BASE=""
  for run in "${RUNS[@]}"; do
    read -r RPS P50 P99 BAD < <(cluster_summary "$run")
    [ -z "$BASE" ] && BASE=$RPS
    RATIO=$(python3 -c "print(f'{$RPS / $BASE * 100:.0f} %' if $BASE else 'n/a')")
    printf '| replicated registrations/s, 3 nodes | %s | %s | %s | %s ms | %s ms | %s |\n' "${run#*-}" "$RPS" "$RATIO" \
      "$P50" "$P99" "$BAD"
  done
fi
