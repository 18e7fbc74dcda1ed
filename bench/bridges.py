"""The bridges benchmark (bench/bridges.sh starts it): etcd, Redis and Cairn nodes with an etcd-export and a redis
bridge; a bulk load (instances mirrored per second), then a steady rate of writes (lag from each answer to the change
seen in etcd and on the Redis channel). Every process it starts it stops, by PID."""
import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

PREFIX = "/bench"
KEY_PREFIX = "bench"
CHANNEL = "bench.events"


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--jar", required=True)
    p.add_argument("--nodes", type=int, default=1)
    p.add_argument("--instances", type=int, default=20000)
    p.add_argument("--rate", type=int, default=1000)
    p.add_argument("--duration", type=int, default=30)
    p.add_argument("--port-base", type=int, default=28000)
    return p.parse_args()


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def wait_until(what, check, seconds=180, every=0.2):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(every)
    sys.exit("gave up waiting for " + what)


class Processes:
    def __init__(self, work):
        self.work = work
        self.started = []

    def start(self, name, cmd, env=None):
        log = open(os.path.join(self.work, name + ".log"), "w")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.started.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.started):
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.started):
            try:
                p.wait(timeout=40)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100.0 * (len(s) - 1))))]


class RedisSubscriber(threading.Thread):
    """SUBSCRIBE over a socket of its own (RESP parsed here): when each event arrived, by (id, port)."""

    def __init__(self, port, seen):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL.encode()))
        self.file = self.sock.makefile("rb")
        self.seen = seen

    def read(self):
        line = self.file.readline()
        if not line:
            raise EOFError
        kind, rest = line[:1], line[1:-2]
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        if kind == b"$":
            data = self.file.read(int(rest) + 2)
            return data[:-2]
        return rest

    def run(self):
        try:
            while True:
                msg = self.read()
                if isinstance(msg, list) and len(msg) == 3 and msg[0] == b"message":
                    now = time.time()
                    event = json.loads(msg[2])
                    s = event.get("service")
                    if s:
                        self.seen.setdefault((s["id"], s["port"]), now)
        except (EOFError, OSError):
            pass


class EtcdWatcher(threading.Thread):
    """etcdctl watch on the prefix: when each put arrived, by (id, port)."""

    def __init__(self, processes, endpoint, seen):
        super().__init__(daemon=True)
        env = dict(os.environ, ETCDCTL_API="3")
        self.proc = subprocess.Popen(["etcdctl", "--endpoints", endpoint, "watch", "--prefix", PREFIX + "/services/"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        processes.started.append(self.proc)
        self.seen = seen

    def run(self):
        for line in self.proc.stdout:
            if line.startswith(b"{"):
                now = time.time()
                try:
                    doc = json.loads(line)
                    self.seen.setdefault((doc["id"], doc["port"]), now)
                except (ValueError, KeyError):
                    pass


def etcd_count(endpoint):
    # --limit 1: etcd still counts the whole range (etcdctl 3.4 has no --count-only)
    out = subprocess.run(["etcdctl", "--endpoints", endpoint, "get", "--prefix", PREFIX + "/services/", "--limit", "1",
                          "-w", "json"], env=dict(os.environ, ETCDCTL_API="3"), capture_output=True, check=True)
    return json.loads(out.stdout).get("count", 0)


COUNT_HASHES = ("local n = 0 for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
                "n = n + redis.call('HLEN', ARGV[1] .. name) end return n")


def redis_count(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "EVAL", COUNT_HASHES, "1", KEY_PREFIX + ":services",
                          KEY_PREFIX + ":service:"], capture_output=True, check=True)
    return int(out.stdout.strip() or 0)


def bulk(base, instances):
    start = time.time()
    for r in range(0, instances, 1000):
        items = [{"id": "b-%d" % i, "name": "bulk-%d" % (i % 100), "address": "10.2.%d.%d" % (i // 250 % 250, i % 250),
                  "port": 8000 + i % 1000, "tags": ["bulk"], "metadata": {"team": "perf"}}
                 for i in range(r, min(instances, r + 1000))]
        req = urllib.request.Request(base + "/v1/services:bulk", data=json.dumps(items).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        results = json.load(urllib.request.urlopen(req, timeout=60))["results"]
        if any(x["status"] >= 300 for x in results):
            sys.exit("bulk registration refused: %s" % [x for x in results if x["status"] >= 300][:3])
    return start, time.time()


def steady(bases, rate, duration, instances, acks):
    """rate re-registrations a second from 4 threads, each a keep-alive connection to a node, paced by the clock."""
    threads = 4
    per_thread = rate / threads
    stop_at = time.time() + duration
    errors = []

    def writer(t):
        host, port = bases[t % len(bases)].replace("http://", "").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        n = 0
        begin = time.time()
        while True:
            due = begin + n / per_thread
            now = time.time()
            if due > stop_at:
                return
            if due > now:
                time.sleep(due - now)
            i = (n * threads + t) % instances
            new_port = 20000 + (n * threads + t) % 40000
            body = json.dumps({"name": "bulk-%d" % (i % 100), "address": "10.2.%d.%d" % (i // 250 % 250, i % 250),
                               "port": new_port, "tags": ["bulk"], "metadata": {"team": "perf"}})
            try:
                conn.request("PUT", "/v1/services/b-%d" % i, body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status < 300:
                    acks.append(("b-%d" % i, new_port, time.time()))
                else:
                    errors.append(r.status)
            except (OSError, http.client.HTTPException) as e:
                errors.append(str(e))
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            n += 1

    ts = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errors


def lags(acks, seen):
    values, missing = [], 0
    for id_, port, at in acks:
        arrived = seen.get((id_, port))
        if arrived is None:
            missing += 1
        else:
            values.append(max(0.0, arrived - at) * 1000)
    return values, missing


def main():
    a = parse_args()
    base = a.port_base
    http_ports = [base + 81 + i for i in range(a.nodes)]
    hz_ports = [base + 171 + i for i in range(a.nodes)]
    raft_ports = [base + 281 + i for i in range(a.nodes)]
    etcd_port, etcd_peer, redis_port = base + 391, base + 491, base + 601
    for p in http_ports + hz_ports + raft_ports + [etcd_port, etcd_peer, redis_port]:
        if not port_free(p):
            sys.exit("port %d on 127.0.0.1 is in use; set CAIRN_BRIDGES_PORT_BASE" % p)
    work = tempfile.mkdtemp(prefix="cairn-bridges.")
    procs = Processes(work)
    failed = True
    try:
        etcd_url = "http://127.0.0.1:%d" % etcd_port
        procs.start("etcd", ["etcd", "--name", "b1", "--data-dir", os.path.join(work, "etcd"),
                             "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
                             "--listen-peer-urls", "http://127.0.0.1:%d" % etcd_peer,
                             "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % etcd_peer,
                             "--initial-cluster", "b1=http://127.0.0.1:%d" % etcd_peer])
        procs.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", work])
        bridges = [{"type": "etcd-export", "id": "bench-etcd", "endpoints": [etcd_url], "prefix": PREFIX},
                   {"type": "redis", "id": "bench-redis", "endpoint": "redis://127.0.0.1:%d" % redis_port,
                    "channel": CHANNEL, "keyPrefix": KEY_PREFIX}]
        join = ",".join("127.0.0.1:%d" % p for p in hz_ports)
        flags = [f for f in os.environ.get("NODE_FLAGS", "").split("\n") if f]
        for i in range(a.nodes):
            procs.start("node-%d" % (i + 1), [os.environ.get("NODE_JAVA", "java")] + flags + [
                "-jar", a.jar, "-cluster", "-cluster-host", "127.0.0.1", "--node.id=b%d" % (i + 1),
                "--node.dataDir=" + os.path.join(work, "data-%d" % (i + 1)), "--http.host=127.0.0.1",
                "--http.port=%d" % http_ports[i], "--cluster.name=cairn-bridges-%d" % os.getpid(),
                "--cluster.port=%d" % hz_ports[i], "--cluster.portAutoIncrement=false", "--cluster.join=" + join,
                "--cluster.raft.port=%d" % raft_ports[i], "--cluster.raft.bootstrapExpect=%d" % a.nodes,
                "--dns.port=0", "--bridges=" + json.dumps(bridges)])
        bases = ["http://127.0.0.1:%d" % p for p in http_ports]

        def bridges_connected():
            answer = get_json(bases[0] + "/v1/bridges")["bridges"]
            return len(answer) == 2 and all(b["running"] and b["connected"] for b in answer)

        for b in bases:
            wait_until(b + " ready", lambda b=b: get_json(b + "/health")["status"] == "ready")
        wait_until("both bridges connected", bridges_connected)
        etcd_seen, redis_seen = {}, {}
        EtcdWatcher(procs, etcd_url, etcd_seen).start()
        RedisSubscriber(redis_port, redis_seen).start()

        # ---- bulk
        start, acked = bulk(bases[0], a.instances)
        done = {}

        def poll(name, count):
            while name not in done:
                if count() >= a.instances:
                    done[name] = time.time()
                    return
                time.sleep(0.05)

        pollers = [threading.Thread(target=poll, args=("etcd", lambda: etcd_count(etcd_url)), daemon=True),
                   threading.Thread(target=poll, args=("redis", lambda: redis_count(redis_port)), daemon=True)]
        for t in pollers:
            t.start()
        for t in pollers:
            t.join(timeout=300)
        for name in ("etcd", "redis"):
            if name not in done:
                sys.exit("%s did not get all %d instances within 300 s of the last answer" % (name, a.instances))
        cairn_rate = a.instances / (acked - start)
        print("Bridges, %d Cairn node(s), one etcd member, one Redis, on 127.0.0.1" % a.nodes)
        print()
        print("| measure | result |")
        print("|---|---|")
        print("| bulk: Cairn registrations/s (1 client, 1,000 per request, %d instances) | %.0f |" % (a.instances,
                                                                                                  cairn_rate))
        for name in ("etcd", "redis"):
            print("| bulk: instances mirrored to %s per second (first request to the last key) | %.0f (%.2f s after "
                  "the last answer) |" % (name, a.instances / (done[name] - start), done[name] - acked))

        # ---- steady
        acks = []
        errors = steady(bases, a.rate, a.duration, min(a.instances, 5000), acks)
        time.sleep(5)  # what is still on its way arrives
        achieved = len(acks) / a.duration
        print("| steady: writes/s asked, answered 2xx (%d s; errors %d) | %d, %.0f |" % (a.duration, len(errors),
                                                                                        a.rate, achieved))
        for name, seen in (("etcd", etcd_seen), ("redis", redis_seen)):
            values, missing = lags(acks, seen)
            print("| steady: lag from the answer to the change in %s, p50 / p99 / max (not seen: %d) | %.1f / %.1f / "
                  "%.1f ms |" % (name, missing, percentile(values, 50), percentile(values, 99),
                                 max(values) if values else float("nan")))
        status = get_json(bases[0] + "/v1/bridges")["bridges"]
        print()
        print("bridges at the end: " + "; ".join("%s on %s, lag %d revisions, %d errors" % (
            b["id"], b["node"], b["lagRevisions"], b["errors"]) for b in status))
        failed = False
    finally:
        procs.stop_all()
        if failed or os.environ.get("BRIDGES_KEEP") == "1":
            print("logs and data kept in " + work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
