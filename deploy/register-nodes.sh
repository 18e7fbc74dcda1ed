#!/bin/sh
# Registers Cairn nodes as instances of service "cairn" in the registry, for Prometheus to find through
# /v1/sd/prometheus?name=cairn: compose.yaml's "register" step, run in the Cairn image once the nodes are healthy.
#   register-nodes.sh ID=HOST:PORT ...   e.g. node-1=127.0.0.1:8080
#   CAIRN_URL (the node to register through), CAIRN_CA (its CA), CAIRN_TOKEN_FILE (a token that may register)
# Each instance is cairn-ID with a tcp check on the node's HTTP port: a node that is down drops out of discovery.
# A PUT of the same instance again is an update, so running this twice does no harm.
set -eu
token=$(cat "$CAIRN_TOKEN_FILE")
for node in "$@"; do
  id=${node%%=*}
  hostport=${node#*=}
  body=$(printf '{"name":"cairn","address":"%s","port":%s,"tags":["metrics"],"metadata":{"node":"%s"},%s}' \
    "${hostport%:*}" "${hostport##*:}" "$id" '"check":{"type":"tcp","interval":"5s"}')
  curl -fsS --retry 10 --retry-delay 2 --retry-all-errors --cacert "$CAIRN_CA" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -X PUT -d "$body" -o /dev/null "$CAIRN_URL/v1/services/cairn-$id"
  echo "registered cairn-$id ($hostport) through $CAIRN_URL"
done
