#!/usr/bin/env bash
# Bridges (./run.sh bench --only bridges; docs/BENCHMARKS.md, issue 27): how fast Cairn's registry reaches etcd and
# Redis through the etcd-export and redis bridges. One etcd member (Debian's etcd-server), one Redis (redis-server, no
# persistence) and --nodes Cairn nodes (the fat jar, started as ./run.sh starts it) on 127.0.0.1, ports of their own,
# data in a temporary directory. Measures (bench/bridges.py):
#   bulk    --instances instances registered in bulk requests of 1,000: Cairn's own rate (to the last answer), and
#           how soon all of them are keys in etcd and fields of Redis's hashes: instances mirrored per second
#   steady  --rate re-registrations a second (each changes the instance's port) for --duration: from each answer to
#           the moment the change is seen in etcd (etcdctl watch) and on the Redis channel (redis-cli SUBSCRIBE):
#           lag p50/p99/max
# Usage: bench/bridges.sh [--nodes 1] [--instances 20000] [--rate 1000] [--duration 30] [--java PATH]
# Ports: CAIRN_BRIDGES_PORT_BASE (default 28000): HTTP base+81.., Hazelcast base+171.., Raft base+281.., etcd
# base+391 (peer base+491), Redis base+601. Only processes this script started are stopped (by PID); the temporary
# directory is deleted unless something failed or BRIDGES_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=1
INSTANCES=20000
RATE=1000
DURATION=30
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES=$2; shift 2 ;;
    --instances) INSTANCES=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=${2%s}; shift 2 ;;
    --java) export CAIRN_JAVA=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

for tool in etcd etcdctl redis-server redis-cli; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool missing (apt-get install etcd-server etcd-client redis-server redis-tools; ./run.sh test installs them)" >&2; exit 1; }
done
JAR=target/cairn.jar
[ -f "$JAR" ] || { echo "$JAR missing: mvn -B -q -DskipTests package" >&2; exit 1; }
. bin/node-jvm.sh
node_jvm
node_jvm_archive "$JAR"
export NODE_JAVA
NODE_FLAGS=$(printf '%s\n' "${NODE_JVM_FLAGS[@]}")
export NODE_FLAGS
exec python3 bench/bridges.py --jar "$JAR" --nodes "$NODES" --instances "$INSTANCES" --rate "$RATE" \
  --duration "$DURATION" --port-base "${CAIRN_BRIDGES_PORT_BASE:-28000}"
