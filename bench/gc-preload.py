"""Preloads a Cairn node with N instances through POST /v1/services:bulk, 1,000 per request (bench/gc.sh).

The instances have the shape of bench/register.lua's (1,000 names, two tags, metadata, region, zone, version), under
names and ids of their own (pre-<k>, pre-<i>) so that the measured run's registrations (names reg-<k>) never replace
them. Two requests are in flight at once: one client waiting for each answer would leave the node idle between
requests, and more than two gain nothing on two cores. A request answered 503 or not at all (a node in a long
pause) is sent again (bulk registers or replaces, so a repeat is harmless) up to five times; any other refusal (400,
507 past the registry's quota, which is an eighth of the heap), or a fifth failure, ends the preload.

Usage: python3 bench/gc-preload.py BASE_URL COUNT
Prints "preloaded COUNT instances in S s (R/s)" and exits 0, or names the failure and exits 1.
"""
import json
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PER_REQUEST = 1000
IN_FLIGHT = 2
ATTEMPTS = 5


def instance(i):
    return {"id": "pre-%d" % i, "name": "pre-%d" % (i % 1000), "address": "10.%d.%d.%d" % (i // 62500 % 250, i // 250 % 250, i % 250),
            "port": 1000 + i % 60000, "version": "1.2.%d" % (i % 7), "tags": ["bench", "t%d" % (i % 5)],
            "metadata": {"team": "perf", "build": str(i % 100)}, "region": "eu", "zone": "eu-%d" % (i % 3)}


def send(base, start, end):
    body = json.dumps([instance(i) for i in range(start, end)]).encode()
    last = None
    for attempt in range(ATTEMPTS):
        try:
            req = urllib.request.Request(base + "/v1/services:bulk", data=body, headers={"Content-Type": "application/json"})
            results = json.load(urllib.request.urlopen(req, timeout=60))["results"]
            bad = [r for r in results if r["status"] >= 300]
            if not bad:
                return
            last = "refused items: %s" % bad[:3]
            break
        except urllib.error.HTTPError as e:
            last = "HTTP %d: %s" % (e.code, e.read().decode(errors="replace")[:300])
            if e.code != 503:  # a refusal (400, 507 over the registry's quota) stays a refusal
                break
        except Exception as e:  # a timeout or a closed connection: the node may be in a long pause; try again
            last = str(e)
        print("preload: bulk %d..%d failed (attempt %d): %s" % (start, end - 1, attempt + 1, last), file=sys.stderr, flush=True)
        time.sleep(2)
    raise RuntimeError("bulk %d..%d failed: %s" % (start, end - 1, last))


def main():
    base, count = sys.argv[1], int(sys.argv[2])
    began = time.time()
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        try:
            for f in [pool.submit(send, base, s, min(s + PER_REQUEST, count)) for s in range(0, count, PER_REQUEST)]:
                f.result()
        except RuntimeError:
            pool.shutdown(cancel_futures=True)  # the requests not yet sent would only fail the same way
            raise
    took = time.time() - began
    print("preloaded %d instances in %.1f s (%.0f/s)" % (count, took, count / took if took else 0))


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("preload failed: %s" % e, file=sys.stderr)
        sys.exit(1)
