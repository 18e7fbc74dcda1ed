"""The table and issue 25's targets at the end of bench/peers.sh, from the <label>.sum files of its runs:
"rate p50_ms p99_ms errors answers server_cpu_us_per_answer server_cores [socket errors]".
Usage: peers-report.py WORK_DIR WARMUP_SECONDS
A target is evaluated only at the warm-up it names (10 s or 60 s); the others say "n/a at this warm-up". A peer or case
that was not run makes its targets "n/a" too.
"""
import os
import sys

work, warmup = sys.argv[1], float(sys.argv[2])
CASES = (("one", "1 node"), ("three", "3 nodes"))


def load(label):
    path = os.path.join(work, label + ".sum")
    if not os.path.exists(path):
        return None
    f = open(path).read().split()
    return dict(rps=float(f[0]), p50=float(f[1]), p99=float(f[2]), bad=int(f[3]), reqs=int(f[4]), cpu=int(f[5]),
                cores=float(f[6]), errs=" ".join(f[7:]))


# (measure, [(peer shown, label suffix, case it runs in or None for every case)]); Cairn first, then its anchors.
# The bare HTTP measure repeats Cairn's registrations beside the ping: shown only where the ping ran.
REPEATS = {"bare Vert.x HTTP"}
MEASURES = (
    ("registrations", (("Cairn", "cairn-reg", None), ("etcd put", "etcd-put", None),
                       ("ZooKeeper create (Curator shape)", "zk-reg", "three"),
                       ("Eureka register", "eureka-reg", "one"))),
    ("discovery", (("Cairn", "cairn-disc", None), ("etcd serializable range", "etcd-range-ser", None),
                   ("etcd linearizable range (information)", "etcd-range", None),
                   ("ZooKeeper getChildren + getData", "zk-disc", "three"),
                   ("Eureka GET /eureka/apps/{app}", "eureka-disc", "one"))),
    ("bare Vert.x HTTP", (("Cairn", "cairn-reg", None), ("GET /ping (bench/PingServer.java)", "ping", "one"))),
)


def fmt_rate(x):
    return format(int(round(x["rps"])), ",")


print("| case | measure | peer | rate /s | p50 ms | p99 ms | errors | server CPU per op | server cores | Cairn / peer |")
print("|---|---|---|---|---|---|---|---|---|---|")
for case, shown in CASES:
    for measure, peers in MEASURES:
        cairn = load("%s-%s" % (case, peers[0][1]))
        if measure in REPEATS and not any(load("%s-%s" % (case, suffix)) for _, suffix, only in peers[1:]
                                          if not only or only == case):
            continue
        for peer, suffix, only in peers:
            if only and only != case:
                continue
            x = load("%s-%s" % (case, suffix))
            if x is None:
                continue
            ratio = "" if peer == "Cairn" or not cairn or not x["rps"] else "%.2f" % (cairn["rps"] / x["rps"])
            print("| %s | %s | %s | %s | %.2f | %.2f | %d%s | %s us | %.2f | %s |"
                  % (shown, measure, peer, fmt_rate(x), x["p50"], x["p99"], x["bad"],
                     (" " + x["errs"]) if x["errs"] else "", format(x["cpu"], ","), x["cores"], ratio))

print()
print("Issue 25's targets at a %g s warm-up (one run, the same wrk settings and documents for every peer):" % warmup)


def target(title, at, cairn_label, checks):
    """checks: (anchor label or None, anchor's name, kind, bound). kind "rate": Cairn rate >= bound x anchor's;
    "p99": Cairn p99 <= bound ms; "cpu": Cairn CPU per op <= bound x anchor's."""
    if at is not None and abs(warmup - at) > 0.5:
        print("- %s: n/a at this warm-up (set --warmup %ds)" % (title, at))
        return
    c = load(cairn_label)
    if c is None:
        print("- %s: n/a (Cairn's run of this case was not made)" % title)
        return
    parts, verdicts, missing = [], [], False
    for anchor_label, anchor, kind, bound in checks:
        if kind == "p99":
            ok = c["p99"] <= bound
            parts.append("p99 %.2f ms (<= %g ms)" % (c["p99"], bound))
            verdicts.append(ok)
            continue
        a = load(anchor_label) if anchor_label else None
        if a is None:
            parts.append("vs %s: n/a (not run)" % anchor)
            missing = True
            continue
        if kind == "rate":
            r = c["rps"] / a["rps"] if a["rps"] else float("inf")
            parts.append("%.2fx %s's %s/s (>= %gx)" % (r, anchor, fmt_rate(a), bound))
            verdicts.append(r >= bound)
        else:
            r = c["cpu"] / a["cpu"] if a["cpu"] else float("inf")
            parts.append("%s us = %.2fx %s's %s us (<= %gx)" % (format(c["cpu"], ","), r, anchor, format(a["cpu"], ","),
                                                                bound))
            verdicts.append(r <= bound)
    clean = c["bad"] == 0 and not c["errs"]
    if not clean:
        parts.append("Cairn had %d errors %s" % (c["bad"], c["errs"]))
    if not verdicts:
        verdict = "n/a"
    elif not (all(verdicts) and clean):
        verdict = "**missed**"
    else:
        verdict = "met where measured (an anchor was not run)" if missing else "met"
    print("- %s: Cairn %s/s; %s: %s" % (title, fmt_rate(c), "; ".join(parts), verdict))


target("3 nodes, registrations, 10 s warm-up", 10, "three-cairn-reg",
       (("three-etcd-put", "etcd", "rate", 1.5), (None, None, "p99", 50)))
target("3 nodes, registrations, 60 s warm-up", 60, "three-cairn-reg",
       (("three-etcd-put", "etcd", "rate", 2), ("three-zk-reg", "ZooKeeper", "rate", 2)))
target("1 node, registrations, 60 s warm-up", 60, "one-cairn-reg",
       (("one-etcd-put", "etcd", "rate", 3), ("one-eureka-reg", "Eureka", "rate", 1), (None, None, "p99", 20)))
# Eureka runs standalone, in case one only: its figure is the anchor of both cases.
target("1 node, discovery", None, "one-cairn-disc",
       (("one-etcd-range-ser", "etcd serializable range", "rate", 20), ("one-eureka-disc", "Eureka", "rate", 2)))
target("3 nodes, discovery (Eureka: its standalone server of case one)", None, "three-cairn-disc",
       (("three-etcd-range-ser", "etcd serializable range", "rate", 20), ("one-eureka-disc", "Eureka", "rate", 2)))
target("3 nodes, CPU per registration, warm", 60, "three-cairn-reg", (("three-etcd-put", "etcd", "cpu", 0.5),))
target("1 node, CPU per registration against a bare Vert.x /ping", None, "one-cairn-reg",
       (("one-ping", "a /ping", "cpu", 3),))
print("- time to full speed after a node's start, all three nodes restarted at once: not measured by this script")
