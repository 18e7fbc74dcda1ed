#!/usr/bin/env bash
# What security costs (./run.sh bench --only security; docs/BENCHMARKS.md). One node at a time on 127.0.0.1, the
# same wrk settings for each (a warm-up, then --duration measured, --connections over --threads):
#   plain    no security: HTTP, anonymous callers
#   secure   TLS (a certificate from ./run.sh certs), a bearer token on every request, and an ACL policy of 100 lines
#            (99 for other teams' services, then the caller's own allow last), decisions from jcasbin
# and, with --cases "plain tls tokens secure", the two halves apart: tls (TLS only) and tokens (token + ACL, no TLS).
# Measures, for each: registrations of distinct instances (PUT /v1/services/{id}, bench/register.lua) and discovery
# of one name among 10,000 instances (GET /v1/services?name=svc-42). Prints throughput, p50, p99, non-2xx answers
# and the ratio secure/plain against the issue's target (at least 70 %). Only the node this script started is
# stopped (by PID); its data and logs go with the temporary directory unless SECURITY_BENCH_KEEP=1.
# wrk runs two threads: with one, its own TLS work (decrypting every answer, on the same two cores) capped the secure
# runs before the node did (docs/BENCHMARKS.md).
# wrk runs two threads: with one, its own TLS work (decrypting every answer, on the same two cores) capped the secure
# runs before the node did (docs/BENCHMARKS.md).
# Usage: bench/security.sh [--duration 10s] [--warmup 10s] [--connections 32] [--threads 2] [--cases "plain secure"]
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=10s
WARMUP=10s
CONNECTIONS=32
THREADS=2
CASES="plain secure"
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES=$2; shift 2 ;;
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
stop_node() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
  fi
  NODE_PID=""
}
cleanup() {
  stop_node
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
echo "wrk -t$THREADS -c$CONNECTIONS, warm-up $WARMUP, measured $DURATION; one node, plain, then TLS + token + ACL (100 lines)"
for c in $CASES; do
  case $c in
    plain) run_case plain "http://127.0.0.1:$HTTP_PORT" ;;
    tls) run_case tls "https://127.0.0.1:$HTTP_PORT" ;;
    tokens) run_case tokens "http://127.0.0.1:$HTTP_PORT" "$TOKEN" ;;
    secure) run_case secure "https://127.0.0.1:$HTTP_PORT" "$TOKEN" ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done

summary() { python3 bench/wrk-summary.py "$1"; }
printf '\n| measure | case | throughput | of plain | p50 | p99 | non-2xx | target |\n|---|---|---|---|---|---|---|---|\n'
for m in reg disc; do
  LABEL=$([ $m = reg ] && echo "registrations/s" || echo "discovery/s (1 name of 10,000)")
  read -r P_RPS _ < <(summary "$WORK/plain-$m.txt")
  for c in $CASES; do
    read -r RPS P50 P99 BAD _ < <(summary "$WORK/$c-$m.txt")
    RATIO=$(python3 -c "print(f'{$RPS / $P_RPS * 100:.0f} %')")
    printf '| %s | %s | %s | %s | %s ms | %s ms | %s | %s |\n' "$LABEL" "$c" "$RPS" "$RATIO" "$P50" "$P99" "$BAD" \
      "$([ "$c" = secure ] && echo '>= 70 %' || true)"
  done
done
