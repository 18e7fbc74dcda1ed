#!/usr/bin/env bash
# Cairn beside etcd on this machine (./run.sh bench --only peers; docs/BENCHMARKS.md). Installs Debian's
# etcd-server when missing, then for each case starts etcd and Cairn on 127.0.0.1 (ports of their own, data in a
# temporary directory) and drives both with the same wrk settings (2 threads, 32 connections, a warm-up, then 10 s
# measured), always through the Raft leader of each (the node a client would best write to; the same for both).
# The warm-up of a registration run re-registers a bounded set of ids (5,000 per wrk thread: each request is still a
# write through the log) so that a long warm-up (--warmup 60s: the JIT of three JVMs on two cores needs minutes)
# does not grow the registry; the measured run registers distinct ids.
#   one    one etcd member vs one Cairn node
#   three  a three-member etcd cluster vs a three-node Cairn cluster
# Measures (bench/peers.lua builds the requests of both peers from the same documents):
#   registrations  Cairn PUT /v1/services/{distinct id}, ~300-byte JSON  vs  etcd put of the same document under a
#                  distinct key (JSON gateway, base64 key and value)
#   discovery      Cairn GET /v1/services?name=svc-N  vs  etcd range on the prefix services/svc-N/ (linearizable, its
#                  default), N random in 0..999, among 10,000 instances (1,000 names x 10) preloaded in both; an etcd
#                  serializable range (a local read, like Cairn's default read) is printed for information
# Prints throughput, p50, p99, non-2xx answers, server CPU per request, the ratios Cairn/etcd and the issue's targets.
# Only processes this script started are stopped (by PID); logs and data are deleted unless something failed or
# PEERS_KEEP=1.
# Usage: bench/peers.sh [--duration 10s] [--warmup 10s] [--connections 32] [--threads 2] [--cases "one three"]
# Ports: CAIRN_PEERS_PORT_BASE (default 24000): Cairn HTTP base+81.., Hazelcast base+171.., Raft base+281..;
# etcd clients base+391.., peers base+491...
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=10s
WARMUP=10s
CONNECTIONS=32
THREADS=2
CASES="one three"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

install_debian() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (Debian package) ..."
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1) ||
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null)
}
install_debian wrk wrk
install_debian etcd etcd-server

JAR=target/cairn.jar
[ -f "$JAR" ] || { echo "$JAR missing: mvn -B -q -DskipTests package" >&2; exit 1; }
JAVA_OPTS=${CAIRN_JAVA_OPTS:--Xms1g -Xmx2g -XX:+UseParallelGC}
BASE=${CAIRN_PEERS_PORT_BASE:-24000}
WORK=$(mktemp -d /tmp/cairn-peers.XXXXXX)
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
    java $JAVA_OPTS -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
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

# ---------------------------------------------------------------- load

# 10,000 instances (1,000 names x 10), the same documents in both: Cairn in bulk requests of 1,000 (a request that
# fails is reported and its instances sent again in requests of 100, which is safe: bulk registers or replaces),
# etcd in transactions of 100 puts.
preload() { # cairn-url etcd-url
  python3 - "$1" "$2$GW" <<'PY'
import base64, json, sys, time, urllib.error, urllib.request
cairn, etcd = sys.argv[1], sys.argv[2]
def post(url, body, timeout=60):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=timeout))
def bulk(chunk):
    start = time.time()
    try:
        results = post(cairn + "/v1/services:bulk", chunk)["results"]
    except urllib.error.HTTPError as e:
        return "HTTP %d after %.1f s: %s" % (e.code, time.time() - start, e.read().decode(errors="replace")[:300])
    except Exception as e:
        return "%s after %.1f s" % (e, time.time() - start)
    bad = [r for r in results if r["status"] >= 300]
    return "refused items: %s" % bad[:3] if bad else None
items = []
for i in range(10000):
    name = "svc-%d" % (i // 10)
    items.append({"id": "%s-%d" % (name, i % 10), "name": name, "address": "10.1.%d.%d" % (i // 250 % 250, i % 250),
                  "port": 8000 + i % 10, "version": "2.%d.0" % (i % 4), "tags": ["http", "bench"],
                  "metadata": {"team": "perf", "build": str(i)}, "region": "eu", "zone": "eu-%d" % (i % 3)})
for chunk in range(0, 10000, 1000):
    err = bulk(items[chunk:chunk + 1000])
    if err:
        print("ANOMALY: Cairn POST /v1/services:bulk of 1,000 instances (%d..%d) failed: %s" % (chunk, chunk + 999, err),
              flush=True)
        for small in range(chunk, chunk + 1000, 100):
            for attempt in range(5):
                err = bulk(items[small:small + 100])
                if not err:
                    break
                print("ANOMALY: Cairn bulk of 100 (%d..) failed: %s" % (small, err), flush=True)
                time.sleep(2)
            else:
                sys.exit("Cairn preload failed")
b64 = lambda s: base64.b64encode(s.encode()).decode()
for chunk in range(0, 10000, 100):
    ops = [{"request_put": {"key": b64("services/%s/%s" % (it["name"], it["id"])), "value": b64(json.dumps(it))}}
           for it in items[chunk:chunk + 100]]
    if not post(etcd + "/kv/txn", {"success": ops}).get("succeeded"):
        sys.exit("etcd preload transaction failed")
PY
}

# wrk output -> "rps p50 p99 non2xx requests [socket errors]"
summarize() {
  python3 "$(dirname "$0")/wrk-summary.py" "$1"
}

# One measure: a warm-up, then the measured run; prints nothing, leaves "rps p50 p99 non2xx requests cpu_us_per_req"
# in $WORK/<label>.sum (server CPU of the given PIDs over the measured run, per request).
measure() { # label url pids-var mode prefix-for-measured [extra env]
  local label=$1 url=$2 pidvar=$3 mode=$4 prefix=$5 extra=${6:-}
  local -n pids=$pidvar
  if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
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
  echo "$rps $p50 $p99 $bad $reqs $(( reqs > 0 ? cpu_us / reqs : 0 )) $(python3 -c "print(round($cpu_us / 1e6 / ${DURATION%s}, 2))") $rest" \
    >"$WORK/$label.sum"
  local pid
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server of $label (pid $pid) died during the run" >&2; FAILED=1; }
  done
  if [ "$bad" != 0 ] || [ -n "${rest:-}" ]; then FAILED=1; fi
}

warm_requests() { # label -> completed requests of the warm-up
  [ -f "$WORK/$1.warm.txt" ] && python3 -c "
import re; print(re.search(r'(\d+) requests in', open('$WORK/$1.warm.txt').read()).group(1))" || echo 0
}

row() { # case measure cairn-label etcd-label target-ratio p99-target(ms or -)
  python3 - "$@" "$WORK" <<'PY'
import sys
case, what, cl, el, target, p99t, work = sys.argv[1:8]
def load(label):
    f = open("%s/%s.sum" % (work, label)).read().split()
    return dict(rps=float(f[0]), p50=f[1], p99=float(f[2]), bad=int(f[3]), cpu=int(f[5]), cores=f[6],
                errs=" ".join(f[7:]))
c, e = load(cl), load(el)
ratio = c["rps"] / e["rps"] if e["rps"] else float("inf")
met = ratio >= float(target)
cond = "ratio >= %s" % target
if p99t != "-":
    met = met and c["p99"] < float(p99t)
    cond += ", Cairn p99 < %s ms" % p99t
met = met and c["bad"] == 0 and not c["errs"]
def cell(x):
    return "%s/s | %s | %.2f | %d | %d us, %s cores%s" % (format(int(x["rps"]), ","), x["p50"], x["p99"], x["bad"], x["cpu"],
                                                        x["cores"], (" " + x["errs"]) if x["errs"] else "")
print("| %s | %s | %s | %s | **%.2f** | %s: %s |" % (case, what, cell(c), cell(e), ratio, cond, "met" if met else "**missed**"))
PY
}

# ---------------------------------------------------------------- the cases

echo "Cairn beside etcd: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"\
  "$(java -version 2>&1 | head -1), etcd $(etcd --version | awk '/etcd Version/ {print $3}'), wrk -t$THREADS -c$CONNECTIONS"\
  "-d$DURATION after a $WARMUP warm-up; Cairn JVM: $JAVA_OPTS"
ROWS=()
NOTES=()
for CASE in $CASES; do
  case "$CASE" in
    one) N=1 ;;
    three) N=3 ;;
    *) echo "unknown case $CASE (one, three)" >&2; exit 2 ;;
  esac
  echo
  echo "== $CASE: $N etcd member(s) and $N Cairn node(s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  start_etcd "$N"
  GW=$(etcd_gateway "${ETCD_URLS[0]}")
  start_cairn "$N"
  EL=$(etcd_leader); CL=$(cairn_leader)
  EURL=${ETCD_URLS[$EL]}; CURL=${CAIRN_URLS[$CL]}
  echo "driving etcd e$((EL + 1)) ($EURL, leader; gateway $GW) and Cairn b$((CL + 1)) ($CURL, leader)"
  preload "$CURL" "$EURL" | tee "$WORK/$CASE-preload.txt"
  if grep -q ANOMALY "$WORK/$CASE-preload.txt"; then
    FAILED=1; NOTES+=("$CASE: $(grep -c ANOMALY "$WORK/$CASE-preload.txt") failed bulk request(s) while preloading Cairn (see above)")
  fi
  got=$(curl -fs "$CURL/v1/services?name=svc-42" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  [ "$got" = 10 ] || { echo "Cairn: expected 10 instances of svc-42, got $got" >&2; exit 1; }
  got=$(etcd_count "$EURL" "services/svc-42/")
  [ "$got" = 10 ] || { echo "etcd: expected 10 keys under services/svc-42/, got $got" >&2; exit 1; }

  echo "discovery: Cairn ..."; measure "$CASE-cairn-disc" "$CURL" CAIRN_PIDS cairn-discover x
  echo "discovery: etcd range ..."; measure "$CASE-etcd-range" "$EURL" ETCD_PIDS etcd-range x
  echo "discovery: etcd serializable range ..."
  WARMUP_SAVED=$WARMUP; WARMUP=0
  measure "$CASE-etcd-range-ser" "$EURL" ETCD_PIDS etcd-range x PEERS_SERIALIZABLE=1
  WARMUP=$WARMUP_SAVED
  echo "registrations: Cairn ..."; measure "$CASE-cairn-reg" "$CURL" CAIRN_PIDS cairn-register peer
  echo "registrations: etcd put ..."; measure "$CASE-etcd-put" "$EURL" ETCD_PIDS etcd-put peer

  # Every acknowledged write of the measured run must be there (a request still in flight when wrk stops may be
  # stored without being counted, hence "at least").
  c_acked=$(cut -d' ' -f5 "$WORK/$CASE-cairn-reg.sum"); e_acked=$(cut -d' ' -f5 "$WORK/$CASE-etcd-put.sum")
  c_stored=$(cairn_count_measured "$CURL"); e_stored=$(etcd_count "$EURL" "services/peer-")
  NOTES+=("$CASE: measured-run writes stored: Cairn $c_stored instances for $c_acked answers, etcd $e_stored keys for $e_acked answers")
  [ "$c_stored" -ge "$c_acked" ] && [ "$e_stored" -ge "$e_acked" ] || { NOTES+=("$CASE: ANOMALY: fewer writes stored than answered"); FAILED=1; }
  if [ "$N" -gt 1 ]; then
    NOTES+=("$CASE: instances on each Cairn node: $(for u in "${CAIRN_URLS[@]}"; do printf '%s ' "$(cairn_count "$u")"; done)")
  fi

  ROWS+=("$(row "$CASE" "registrations" "$CASE-cairn-reg" "$CASE-etcd-put" $([ "$N" = 1 ] && echo 3 || echo 2) 20)")
  ROWS+=("$(row "$CASE" "discovery" "$CASE-cairn-disc" "$CASE-etcd-range" 10 -)")
  ROWS+=("$(row "$CASE" "discovery vs etcd serializable range (information)" "$CASE-cairn-disc" "$CASE-etcd-range-ser" 10 -)")
  stop_all
done

echo
echo "| case | measure | Cairn: rate | p50 ms | p99 ms | non-2xx | server CPU per request | etcd: rate | p50 ms | p99 ms | non-2xx | server CPU per request | Cairn/etcd | target |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do echo "$r"; done
echo
for n in "${NOTES[@]}"; do echo "$n"; done
if [ "$FAILED" != 0 ]; then
  echo "Some runs had non-2xx answers, socket errors or a server that died: see $WORK (node logs, wrk output)."
fi
