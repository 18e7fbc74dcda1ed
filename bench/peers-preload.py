"""The 10,000 preloaded instances of bench/peers.sh (1,000 names svc-0 .. svc-999 x 10), the same documents for every
peer, loaded into one of them:
  peers-preload.py cairn URL       bulk requests of 1,000 (a request that fails is reported as an ANOMALY and its
                                   instances sent again in requests of 100, which is safe: bulk registers or replaces)
  peers-preload.py etcd URL        URL with the gateway prefix (/v3): transactions of 100 puts, key services/NAME/ID
  peers-preload.py eureka URL      one POST /eureka/apps/APP per instance (Eureka has no bulk registration), 16 at once
  peers-preload.py tsv FILE        the instances as lines "name TAB id TAB document" for ZooKeeper's load generator
"""
import base64
import json
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def instances():
    items = []
    for i in range(10000):
        name = "svc-%d" % (i // 10)
        items.append({"id": "%s-%d" % (name, i % 10), "name": name, "address": "10.1.%d.%d" % (i // 250 % 250, i % 250),
                      "port": 8000 + i % 10, "version": "2.%d.0" % (i % 4), "tags": ["http", "bench"],
                      "metadata": {"team": "perf", "build": str(i)}, "region": "eu", "zone": "eu-%d" % (i % 3)})
    return items


def post(url, body, timeout=60):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def cairn(url, items):
    def bulk(chunk):
        start = time.time()
        try:
            results = post(url + "/v1/services:bulk", chunk)["results"]
        except urllib.error.HTTPError as e:
            return "HTTP %d after %.1f s: %s" % (e.code, time.time() - start, e.read().decode(errors="replace")[:300])
        except Exception as e:
            return "%s after %.1f s" % (e, time.time() - start)
        bad = [r for r in results if r["status"] >= 300]
        return "refused items: %s" % bad[:3] if bad else None

    for chunk in range(0, len(items), 1000):
        err = bulk(items[chunk:chunk + 1000])
        if not err:
            continue
        print("ANOMALY: Cairn POST /v1/services:bulk of 1,000 instances (%d..%d) failed: %s"
              % (chunk, chunk + 999, err), flush=True)
        for small in range(chunk, chunk + 1000, 100):
            for _ in range(5):
                err = bulk(items[small:small + 100])
                if not err:
                    break
                print("ANOMALY: Cairn bulk of 100 (%d..) failed: %s" % (small, err), flush=True)
                time.sleep(2)
            else:
                sys.exit("Cairn preload failed")


def etcd(url, items):
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    for chunk in range(0, len(items), 100):
        ops = [{"request_put": {"key": b64("services/%s/%s" % (it["name"], it["id"])), "value": b64(json.dumps(it))}}
               for it in items[chunk:chunk + 100]]
        if not post(url + "/kv/txn", {"success": ops}).get("succeeded"):
            sys.exit("etcd preload transaction failed")


def eureka_instance(it):
    """Eureka's registration document of an instance: its InstanceInfo in Eureka's JSON codec, carrying the same data
    (metadata is a map of strings there: version, tags, region and zone join the instance's own metadata)."""
    metadata = {"version": it["version"], "tags": ",".join(it["tags"]), "region": it["region"], "zone": it["zone"]}
    metadata.update(it["metadata"])
    return {"instance": {
        "instanceId": it["id"], "hostName": it["address"], "app": it["name"].upper(), "ipAddr": it["address"],
        "status": "UP", "port": {"$": it["port"], "@enabled": "true"}, "securePort": {"$": 443, "@enabled": "false"},
        "vipAddress": it["name"],
        "dataCenterInfo": {"@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", "name": "MyOwn"},
        "metadata": metadata}}


def eureka(url, items):
    def register(it):
        for attempt in range(3):
            try:
                post("%s/eureka/apps/%s" % (url, it["name"].upper()), eureka_instance(it))
                return None
            except Exception as e:
                err = e
                time.sleep(1)
        return "%s: %s" % (it["id"], err)

    with ThreadPoolExecutor(16) as pool:
        failed = [e for e in pool.map(register, items) if e]
    if failed:
        sys.exit("Eureka preload: %d registrations failed, e.g. %s" % (len(failed), failed[0]))


def tsv(path, items):
    with open(path, "w") as out:
        for it in items:
            out.write("%s\t%s\t%s\n" % (it["name"], it["id"], json.dumps(it)))


if __name__ == "__main__":
    what, where = sys.argv[1], sys.argv[2]
    {"cairn": cairn, "etcd": etcd, "eureka": eureka, "tsv": tsv}[what](where, instances())
