#!/bin/sh
# The container's start: a Cairn node, configured by its CAIRN_* variables (docs/OPERATIONS.md, "Configuration"),
# with any arguments given to the container as further flags (--section.key=value). exec: java replaces this shell
# as the container's PID 1, so `docker stop` (SIGTERM) reaches the node, which leaves the cluster gracefully.
#   CAIRN_JAVA_OPTS  the JVM flags instead of the image's /opt/cairn/jvm.options (-Xmx1g, say; docs/OPERATIONS.md)
set -eu
if [ -n "${CAIRN_JAVA_OPTS:-}" ]; then
  # shellcheck disable=SC2086 # the flags are words
  set -- $CAIRN_JAVA_OPTS -XX:+ExitOnOutOfMemoryError -jar "$CAIRN_JAR" -cluster "$@"
else
  set -- @/opt/cairn/jvm.options -XX:+ExitOnOutOfMemoryError -jar "$CAIRN_JAR" -cluster "$@"
fi
exec java "$@"
