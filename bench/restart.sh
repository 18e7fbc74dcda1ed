#!/usr/bin/env bash
# Restarts (./run.sh bench --only restart; docs/BENCHMARKS.md): how soon a restarted node is at full speed, and how
# soon a whole cluster killed at once serves writes again. Nodes are the fat jar started as ./run.sh starts them (the
# java, conf/jvm.options or CAIRN_JAVA_OPTS, and the start-up archive made for that java: bin/node-jvm.sh), on
# 127.0.0.1 with ports of their own and data in a temporary directory. Registrations come from wrk (bench/peers.lua's
# documents, re-registering a bounded set of ids so that the registry stays the same size), in one-second runs, each
# counted on its own (2xx answers per second), from the moment the process starts: before it listens, a run finds
# the port closed and counts nothing.
#   single  one node: the warm rate (the same node after --warm seconds of load, then ten one-second runs: their
#           median), then SIGTERM, a start from the same data directory, and the rate of each second after the start
#   member  a three-node cluster: the same for a follower, with SIGKILL (the two others keep running and leading)
#   cold    a three-node cluster holding --instances instances: SIGKILL of all three, all three started at once;
#           the time until a registration is accepted (2xx) on any node, and until every node's /health is ready;
#           --repeat times on the same data, and where the time went (each node's log, against the start)
# For each restart: the time to /health ready and to the first registration answered 2xx (probes every 50 ms), the
# rate of each second against the warm rate, the mean rate over the first 5, 10 and 20 s, and the seconds until a
# second reaches 80 % of the warm rate (issue 25's target: within 20 s) and until every later one stays there.
# Usage: bench/restart.sh [--cases "single member cold"] [--warm 60] [--after 30] [--connections 32] [--threads 2]
#                         [--instances 10000] [--repeat 3] [--java PATH] [--no-archive]
# Ports: CAIRN_RESTART_PORT_BASE (default 27000): HTTP base+81.., Hazelcast base+171.., Raft base+281...
# Only processes this script started are stopped (by PID); the temporary directory is deleted unless something
# failed or RESTART_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."

CASES="single member cold"
WARM=60
AFTER=30
CONNECTIONS=32
THREADS=2
INSTANCES=10000
REPEAT=3
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES=$2; shift 2 ;;
    --warm) WARM=${2%s}; shift 2 ;;
    --after) AFTER=${2%s}; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --instances) INSTANCES=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --java) export CAIRN_JAVA=$2; shift 2 ;;
    --no-archive) export CAIRN_ARCHIVE=off; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null 2>&1 || { echo "wrk missing (apt-get install wrk; ./run.sh bench installs it)" >&2; exit 1; }
JAR=target/cairn.jar
[ -f "$JAR" ] || { echo "$JAR missing: mvn -B -q -DskipTests package" >&2; exit 1; }
. bin/node-jvm.sh
node_jvm
node_jvm_archive "$JAR"
BASE=${CAIRN_RESTART_PORT_BASE:-27000}
WORK=$(mktemp -d /tmp/cairn-restart.XXXXXX)
FAILED=0
NODE_PIDS=()   # by node index (1..3); empty while a node is down
HELPERS=()     # probes running in the background

stop_nodes() { # signal
  local pid
  for pid in "${NODE_PIDS[@]}"; do [ -n "$pid" ] && kill "-$1" "$pid" 2>/dev/null || true; done
  for pid in "${NODE_PIDS[@]}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 160); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not stop in 40 s: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  NODE_PIDS=()
}
stop_helpers() {
  local pid
  for pid in "${HELPERS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  HELPERS=()
}
on_exit() {
  local rc=$?
  stop_helpers
  stop_nodes TERM
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ] || [ "${RESTART_KEEP:-0}" = 1 ]; then
    echo "logs and data kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
url() { echo "http://127.0.0.1:$((BASE + 80 + $1))"; }

# Starts node i of a cluster of n (n=1: a single node) on its data directory; records the pid.
start_node() { # i n run
  local i=$1 n=$2 run=$3 join="" j
  for j in $(seq 1 "$n"); do join="${join:+$join,}127.0.0.1:$((BASE + 170 + j))"; done
  for j in $((BASE + 80 + i)) $((BASE + 170 + i)) $((BASE + 280 + i)); do
    port_free "$j" || { echo "port $j on 127.0.0.1 is in use; set CAIRN_RESTART_PORT_BASE" >&2; exit 1; }
  done
  "$NODE_JAVA" "${NODE_JVM_FLAGS[@]}" -jar "$JAR" -cluster -cluster-host 127.0.0.1 \
    --node.id="r$i" --node.dataDir="$WORK/$run/data-$i" --http.host=127.0.0.1 --http.port=$((BASE + 80 + i)) \
    --cluster.name="cairn-restart-$run-$$" --cluster.port=$((BASE + 170 + i)) --cluster.portAutoIncrement=false \
    --cluster.join="$join" --cluster.raft.port=$((BASE + 280 + i)) --cluster.raft.bootstrapExpect="$n" \
    --dns.port=0 >>"$WORK/$run/node-$i.log" 2>&1 &
  NODE_PIDS[$i]=$!
}

# Waits until node i answers /health ready and names a leader with n voters.
await_whole() { # i n run
  local i=$1 n=$2 run=$3
  for _ in $(seq 1 720); do
    if curl -fs "$(url "$i")/health" >/dev/null 2>&1 && curl -fs "$(url "$i")/v1/status" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s.get("leader") and len(s.get("raft", {}).get("voters", [])) == int(sys.argv[1]) else 1)' "$n"; then
      return 0
    fi
    kill -0 "${NODE_PIDS[$i]}" 2>/dev/null || { echo "node r$i exited:" >&2; tail -30 "$WORK/$run/node-$i.log" >&2; exit 1; }
    sleep 0.25
  done
  echo "node r$i not ready with a leader and $n voters after 180 s" >&2; exit 1
}

leader_index() { # any-node-index
  curl -fs "$(url "$1")/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leader"][1:])'
}

# Probes in the background (one Python process, so that probing costs the starting JVMs little CPU), each writing
# the time of its first success to DIR/NAME: ready:NAME:URL waits for /health 200; write:NAME:URL,URL... sends a
# registration (PUT) to each URL in turn until one is answered 2xx. Every 50 ms, for at most 300 s.
probe() { # dir spec...
  python3 - "$@" <<'PY' &
import http.client, sys, time, urllib.parse
d, specs = sys.argv[1], [s.split(":", 2) for s in sys.argv[2:]]
pending = {name: (kind, url.split(",")) for kind, name, url in specs}
k = 0
def ok(kind, url):
    global k
    u = urllib.parse.urlsplit(url)
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
        if kind == "ready":
            c.request("GET", "/health")
        else:
            k += 1
            c.request("PUT", "/v1/services/probe-%d" % k, '{"name":"restart-probe","address":"10.9.0.1","port":9000}',
                      {"Content-Type": "application/json"})
        status = c.getresponse().status
        c.close()
        return 200 <= status < 300
    except OSError:
        return False
end = time.time() + 300
while pending and time.time() < end:
    for name, (kind, urls) in list(pending.items()):
        url = urls[0]
        urls.append(urls.pop(0))
        if ok(kind, url):
            open("%s/%s" % (d, name), "w").write("%.3f\n" % time.time())
            del pending[name]
    time.sleep(0.05)
PY
  HELPERS+=($!)
}

# One-second wrk runs against url until `seconds` after t0 (epoch ns), each one's output kept; then one line per run:
# "start end ok p50 p99" (seconds since t0; its 2xx answers; its latency, ms). Parsed at the end, so that nothing but
# wrk runs between two runs.
slices() { # url t0-ns seconds out
  local u=$1 t0=$2 secs=$3 out=$4 s e k=0
  rm -f "$out".*.wrk
  while [ $(( $(date +%s%N) - t0 )) -lt $(( secs * 1000000000 )) ]; do
    k=$((k + 1))
    s=$(date +%s%N)
    PEERS_MODE=cairn-register PEERS_PREFIX=rs PEERS_ID_SPACE=5000 \
      wrk -t"$THREADS" -c"$CONNECTIONS" -d1s --latency -s bench/peers.lua "$u" >"$out.$k.wrk" 2>&1 || true
    e=$(date +%s%N)
    echo "$s $e" >>"$out.$k.wrk"
    # A run that could not connect returns at once: wait a little before the next.
    [ $(( e - s )) -lt 500000000 ] && sleep 0.1
  done
  python3 - "$out" "$t0" "$k" >"$out" <<'PY'
import re, sys
out, t0, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for k in range(1, n + 1):
    text = open("%s.%d.wrk" % (out, k)).read()
    s, e = map(int, text.split()[-2:])
    m = re.search(r"(\d+) requests in", text)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    ok = max(0, (int(m.group(1)) if m else 0) - (int(bad.group(1)) if bad else 0))
    def ms(label):
        x = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not x or ok == 0:
            return float("nan")
        v = float(x.group(1))
        return v / 1000 if x.group(2) == "us" else v * 1000 if x.group(2) == "s" else v
    print("%.2f %.2f %d %.2f %.2f" % ((s - t0) / 1e9, (e - t0) / 1e9, ok, ms("50"), ms("99")))
PY
}

# The warm rate of the node at url: --warm seconds of load, then ten one-second runs; prints their median.
warm_rate() { # url label
  PEERS_MODE=cairn-register PEERS_PREFIX=rs PEERS_ID_SPACE=5000 \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARM}s" -s bench/peers.lua "$1" >"$WORK/$2.warmup.txt" 2>&1
  slices "$1" "$(date +%s%N)" 10 "$WORK/$2.warm"
  python3 - "$WORK/$2.warm" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
rates = [int(r[2]) / (float(r[1]) - float(r[0])) for r in rows]
print("%.0f %.2f %.2f" % (statistics.median(rates), statistics.median(float(r[3]) for r in rows),
                          max(float(r[4]) for r in rows)))
PY
}

# The report of one restart: probes, then each second's rate against the warm rate.
report() { # label t0 warm-rate slices-file ready-file write-file
  python3 - "$@" <<'PY'
import math, os, sys
label, t0, warm, path, ready, write = sys.argv[1], int(sys.argv[2]) / 1e9, float(sys.argv[3]), *sys.argv[4:7]
def at(f):
    return "%.2f s" % (float(open(f).read()) - t0) if os.path.exists(f) and os.path.getsize(f) else "never"
rows = [(float(a), float(b), int(c), float(d), float(e)) for a, b, c, d, e in (l.split() for l in open(path) if l.strip())]
print("%s: /health ready after %s, first registration answered 2xx after %s (since the process started)"
      % (label, at(ready), at(write)))
print("  second  rate/s  of warm  p50 ms  p99 ms")
for s, e, ok, p50, p99 in rows:
    rate = ok / (e - s)
    print("  %4.1f-%4.1f  %6.0f  %5.0f %%  %6s  %6s" % (s, e, rate, 100 * rate / warm,
          "-" if math.isnan(p50) else "%.1f" % p50, "-" if math.isnan(p99) else "%.1f" % p99))
def mean_until(t):
    # over the time the runs covered (a few ms between two runs are not counted as idle)
    part = [(max(0.0, min(e, t) - s) / (e - s), ok, e - s) for s, e, ok, _, _ in rows if s < t]
    covered = sum(f * d for f, _, d in part)
    return sum(f * ok for f, ok, _ in part) / covered if covered else 0.0
first = next((e for s, e, ok, _, _ in rows if ok / (e - s) >= 0.8 * warm), None)
stay = None
for k in range(len(rows)):
    if all(ok / (e - s) >= 0.8 * warm for s, e, ok, _, _ in rows[k:]):
        stay = rows[k][1]
        break
print("  mean rate over the first 5 / 10 / 20 s: %s of the warm rate (%.0f/s)" %
      (" / ".join("%.0f %%" % (100 * mean_until(t) / warm) for t in (5, 10, 20)), warm))
print("  80 %% of the warm rate first reached after %s, held from %s on (target: within 20 s)" %
      ("%.1f s" % first if first else "never", "%.1f s" % stay if stay else "never"))
PY
}

# ---------------------------------------------------------------- the cases

echo "Restarts: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"\
  "$("$NODE_JAVA" -version 2>&1 | head -1), wrk -t$THREADS -c$CONNECTIONS in one-second runs, warm-up ${WARM}s"
echo "node JVM: $NODE_JAVA ${NODE_JVM_FLAGS[*]}"
for CASE in $CASES; do
  echo
  echo "== $CASE; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  mkdir -p "$WORK/$CASE"
  case "$CASE" in
    single)
      start_node 1 1 single
      await_whole 1 1 single
      read -r W P50 P99 < <(warm_rate "$(url 1)" single)
      echo "warm: ${W}/s (median of ten one-second runs after ${WARM} s of load; p50 $P50 ms, worst p99 $P99 ms)"
      stop_nodes TERM
      T0=$(date +%s%N)
      start_node 1 1 single
      probe "$WORK/single" "ready:ready:$(url 1)" "write:write:$(url 1)"
      slices "$(url 1)" "$T0" "$AFTER" "$WORK/single/after"
      stop_helpers
      report "restart after SIGTERM" "$T0" "$W" "$WORK/single/after" "$WORK/single/ready" "$WORK/single/write"
      stop_nodes TERM
      ;;
    member)
      for i in 1 2 3; do start_node "$i" 3 member; done
      for i in 1 2 3; do await_whole "$i" 3 member; done
      L=$(leader_index 1); F=$(( L % 3 + 1 ))
      echo "leader r$L; measured and restarted: follower r$F"
      read -r W P50 P99 < <(warm_rate "$(url "$F")" member)
      echo "warm: ${W}/s through r$F (median of ten one-second runs after ${WARM} s of load; p50 $P50 ms, worst p99 $P99 ms)"
      kill -KILL "${NODE_PIDS[$F]}"; wait "${NODE_PIDS[$F]}" 2>/dev/null || true
      T0=$(date +%s%N)
      start_node "$F" 3 member
      probe "$WORK/member" "ready:ready:$(url "$F")" "write:write:$(url "$F")"
      slices "$(url "$F")" "$T0" "$AFTER" "$WORK/member/after"
      stop_helpers
      report "follower r$F restarted after SIGKILL" "$T0" "$W" "$WORK/member/after" "$WORK/member/ready" "$WORK/member/write"
      stop_nodes TERM
      ;;
    cold)
      for i in 1 2 3; do start_node "$i" 3 cold; done
      for i in 1 2 3; do await_whole "$i" 3 cold; done
      python3 - "$(url "$(leader_index 1)")" "$INSTANCES" <<'PY'
import json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
for chunk in range(0, n, 1000):
    items = [{"id": "cold-%d" % i, "name": "svc-%d" % (i // 10), "address": "10.1.%d.%d" % (i // 250 % 250, i % 250),
              "port": 8000 + i % 10, "tags": ["http", "bench"], "metadata": {"team": "perf", "build": str(i)},
              "region": "eu", "zone": "eu-%d" % (i % 3)} for i in range(chunk, min(n, chunk + 1000))]
    req = urllib.request.Request(base + "/v1/services:bulk", data=json.dumps(items).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    if any(r["status"] >= 300 for r in json.load(urllib.request.urlopen(req, timeout=60))["results"]):
        sys.exit("bulk registration failed")
PY
      echo "registry: $(curl -fs "$(url 1)/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"])') instances"
      for r in $(seq 1 "$REPEAT"); do
        for i in 1 2 3; do kill -KILL "${NODE_PIDS[$i]}"; done
        for i in 1 2 3; do wait "${NODE_PIDS[$i]}" 2>/dev/null || true; done
        for i in 1 2 3; do echo "---- restart $r" >>"$WORK/cold/node-$i.log"; done
        T0=$(date +%s%N)
        for i in 1 2 3; do start_node "$i" 3 cold; done
        probe "$WORK/cold" "ready:ready-$r-1:$(url 1)" "ready:ready-$r-2:$(url 2)" "ready:ready-$r-3:$(url 3)" \
          "write:write-$r:$(url 1),$(url 2),$(url 3)"
        for _ in $(seq 1 1800); do
          [ -f "$WORK/cold/ready-$r-1" ] && [ -f "$WORK/cold/ready-$r-2" ] && [ -f "$WORK/cold/ready-$r-3" ] &&
            [ -f "$WORK/cold/write-$r" ] && break
          sleep 0.1
        done
        stop_helpers
        for i in 1 2 3; do await_whole "$i" 3 cold; done
        python3 - "$WORK/cold" "$r" "$T0" <<'PY' | tee -a "$WORK/cold/summary"
import sys
d, r, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]) / 1e9
def t(name):
    try:
        return float(open("%s/%s" % (d, name)).read()) - t0
    except (OSError, ValueError):
        return float("nan")
ready = [t("ready-%s-%d" % (r, i)) for i in (1, 2, 3)]
print("restart %s: first registration 2xx after %.2f s; /health ready after %s s (every node: %.2f s)"
      % (r, t("write-" + r), " / ".join("%.2f" % x for x in ready), max(ready)))
PY
        # Where the time went: each node's log lines of this restart, as seconds since the start.
        for i in 1 2 3; do
          python3 - "$WORK/cold/node-$i.log" "$T0" "r$i" <<'PY'
import datetime, re, sys
path, t0, node = sys.argv[1], int(sys.argv[2]) / 1e9, sys.argv[3]
lines = open(path, errors="replace").read().split("---- restart")[-1].splitlines()
day = datetime.datetime.fromtimestamp(t0).date()
keys = ("Raft storage", "Forming", "rejoins", "joins", "elected", "leader", "ready", "replay", "snapshot", "Members")
for line in lines:
    m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) ", line)
    if not m or not any(k in line for k in keys):
        continue
    ts = datetime.datetime.combine(day, datetime.time(*map(int, m.groups()[:3]), int(m.group(4)) * 1000)).timestamp()
    print("    %s %6.2f s  %s" % (node, ts - t0, line[13:].strip()[:150]))
PY
        done
      done
      python3 - "$WORK/cold/summary" <<'PY'
import re, statistics, sys
rows = [l for l in open(sys.argv[1]) if l.startswith("restart")]
w = sorted(float(re.search(r"after ([\d.]+) s;", l).group(1)) for l in rows)
a = sorted(float(re.search(r"every node: ([\d.]+) s", l).group(1)) for l in rows)
p99 = lambda xs: xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
print("over %d restarts: first write p50 %.2f s, p99 %.2f s; every node ready p50 %.2f s, p99 %.2f s"
      " (target: writes within 10 s)" % (len(w), statistics.median(w), p99(w), statistics.median(a), p99(a)))
PY
      stop_nodes TERM
      ;;
    *) echo "unknown case $CASE (single, member, cold)" >&2; exit 2 ;;
  esac
done
