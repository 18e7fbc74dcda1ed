# The java a Cairn node runs on, its flags and its start-up archive. Sourced (from the top of the repository) by
# run.sh and bench/restart.sh, so that every script starts nodes alike.
#   CAIRN_JAVA         the java to run; default $JAVA_HOME/bin/java when JAVA_HOME is set, else java on the PATH
#   CAIRN_JAVA_OPTS    JVM flags used instead of conf/jvm.options
#   CAIRN_ARCHIVE=off  start without the start-up archive
# node_jvm sets NODE_JAVA and the array NODE_JVM_FLAGS; node_jvm_archive JAR appends the archive made for that java.

node_jvm() {
  NODE_JAVA=${CAIRN_JAVA:-}
  if [ -z "$NODE_JAVA" ]; then
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then NODE_JAVA=$JAVA_HOME/bin/java; else NODE_JAVA=java; fi
  fi
  if [ -n "${CAIRN_JAVA_OPTS:-}" ]; then
    read -r -a NODE_JVM_FLAGS <<<"$CAIRN_JAVA_OPTS"
  else
    NODE_JVM_FLAGS=(@conf/jvm.options)
  fi
  # A JVM out of memory exits, whatever else was asked: one that lingers answers nothing and is never restarted by a
  # supervisor, while a restarted node catches up from its log.
  NODE_JVM_FLAGS+=(-XX:+ExitOnOutOfMemoryError)
}

# java.runtime.version of NODE_JAVA (17.0.15+6-Debian-1deb12u1, 25.0.3+9-LTS): from the JDK's release file, which
# costs nothing, else from the JVM itself.
node_java_version() {
  local bin home v=""
  bin=$(command -v "$NODE_JAVA") || return 1
  home=$(dirname "$(dirname "$(readlink -f "$bin")")")
  [ -f "$home/release" ] && v=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$home/release")
  [ -n "$v" ] || v=$("$NODE_JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.runtime\.version = //p')
  printf '%s\n' "$v"
}

# The start-up archive of JAR for NODE_JAVA: its class-data-sharing archive (Java 17-23) or its ahead-of-time cache
# (24+), made by the build (io.cairn.startup.TrainingRun, for the build's java) or here, once per jar and JVM, for
# another java. Named after the JVM as TrainingRun names it. A JVM that cannot use an archive (another build of
# Java, a jar rebuilt since) ignores it; its complaint is silenced so that node logs stay quiet.
node_jvm_archive() {
  local jar=$1 v ext dir archive
  [ "${CAIRN_ARCHIVE:-on}" = off ] && return 0
  v=$(node_java_version) || return 0
  [ -n "$v" ] || return 0
  ext=jsa
  [ "${v%%[!0-9]*}" -ge 24 ] 2>/dev/null && ext=aot
  dir=$(dirname "$jar")
  archive="$dir/cairn-$(printf %s "$v" | tr -c 'A-Za-z0-9.+_-' '_').$ext"
  # A training run that failed for this jar is not tried again on every start (the marker is newer than the jar).
  if [ ! "$archive" -nt "$jar" ] && [ ! "$archive.failed" -nt "$jar" ]; then
    echo "Making the start-up archive of $jar for Java $v (once per jar and java; 20-60 s) ..." >&2
    "$NODE_JAVA" -Xmx64m -cp "$jar" io.cairn.startup.TrainingRun --jar "$jar" --out-dir "$dir" \
      -- "${NODE_JVM_FLAGS[@]}" >&2 || true
    [ "$archive" -nt "$jar" ] || touch "$archive.failed"
  fi
  [ "$archive" -nt "$jar" ] || return 0
  if [ "$ext" = aot ]; then
    NODE_JVM_FLAGS+=("-XX:AOTCache=$archive" -Xlog:aot=off -Xlog:cds=off)
  else
    NODE_JVM_FLAGS+=("-XX:SharedArchiveFile=$archive" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
}
