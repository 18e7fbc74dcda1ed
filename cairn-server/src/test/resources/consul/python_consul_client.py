"""Drives Cairn's Consul API with python-consul2 (Debian's python3-consul2), a real Consul client, the way a
discovery tool does: register with a TTL check, list the catalog, read a service's health (all, and passing only),
report the TTL check, wait on a blocking query until a deregistration wakes it. Prints one JSON object per step,
for the Java test to check. Usage: python_consul_client.py HOST PORT NAME"""
import json
import sys
import threading

import consul

host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = consul.Consul(host=host, port=port)


def step(what, **values):
    print(json.dumps(dict(step=what, **values)), flush=True)


for i in (1, 2):
    c.agent.service.register(name, service_id="%s-%d" % (name, i), address="127.0.0.1", port=9300 + i,
                             tags=["py", "v%d" % i], check=consul.Check.ttl("30s"))
index, services = c.catalog.services()
step("catalog", index=index, tags=sorted(services.get(name, [])))

index, nodes = c.health.service(name)
step("health", index=index, ids=sorted(n["Service"]["ID"] for n in nodes),
     checks=sorted(ch["CheckID"] for n in nodes for ch in n["Checks"]))

c.agent.check.ttl_fail("service:%s-2" % name, notes="disk full")
index, passing = c.health.service(name, passing=True)
step("after_fail", ids=sorted(n["Service"]["ID"] for n in passing))
c.agent.check.ttl_pass("service:%s-2" % name)
index, passing = c.health.service(name, passing=True)
step("after_pass", index=index, ids=sorted(n["Service"]["ID"] for n in passing))

woken = {}


def wait_for_change():
    woken["index"], nodes = c.health.service(name, index=index, wait="60s")
    woken["ids"] = sorted(n["Service"]["ID"] for n in nodes)


waiter = threading.Thread(target=wait_for_change)
waiter.start()
waiter.join(1.0)
blocked = waiter.is_alive()
c.agent.service.deregister("%s-2" % name)
waiter.join(60)
step("blocking", blocked=blocked, before=index, after=woken.get("index"), ids=woken.get("ids"))
step("leader", leader=c.status.leader())
