package io.cairn.support;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cairn nodes as real fat-jar processes, the way a user runs them, for kills, restarts and partitions: each on its
 * own ports with a cluster name of its own, either all on 127.0.0.1 or each in a network namespace of its own
 * ({@link Netns}) so that the test can cut them off from each other. Waits fail with the tail of the node's log.
 */
public final class JarCluster implements AutoCloseable {
  private final String clusterName = "cairn-it-" + UUID.randomUUID().toString().substring(0, 8);
  private boolean keepWork;
  private final Path work;
  private final List<String> hosts = new ArrayList<>();
  private final int[] hazelcastPorts;
  private final int[] httpPorts;
  private final int[] raftPorts;
  private final Netns netns;
  private final List<String> commonArgs = new ArrayList<>();
  private final java.util.Map<Integer, List<String>> nodeArgs = new java.util.HashMap<>();
  /** The nodes' JVM flags; null for {@link NodeJvm#flags()}. */
  private List<String> jvmFlags;
  private final Node[] nodes;

  /** A node process: its index, its current process (replaced on restart) and its log file. */
  public final class Node {
    public final int index;
    public final String id;
    private Process process;
    private final Path log;
    private int starts;

    Node(int index) {
      this.index = index;
      this.id = "p" + (index + 1);
      this.log = work.resolve(id + ".log");
    }

    public String base() {
      return "http://" + hosts.get(index) + ":" + httpPorts[index];
    }

    /** Its Raft address, as it tells the others (cluster.host:cluster.raft.port). */
    public String raftAddress() {
      return hosts.get(index) + ":" + raftPorts[index];
    }

    /** GET /v1/status. */
    public io.vertx.core.json.JsonObject status() {
      return Http.get(base() + "/v1/status").json();
    }

    /** GET /v1/status, or null while the node does not answer it (starting, stopped, cut off). */
    public io.vertx.core.json.JsonObject statusOrNull() {
      try {
        Http.Response r = Http.get(base() + "/v1/status");
        return r.status() == 200 ? r.json() : null;
      } catch (RuntimeException notAnswering) {
        return null;
      }
    }

    /** This node's replica digest (/v1/stats). */
    public String digest() {
      return Http.get(base() + "/v1/stats").json().getJsonObject("replica").getString("digest");
    }

    /** The state this node's /v1/nodes gives node {@code id}: alive, suspect, left, failed, or absent. */
    public String nodeStatus(String id) {
      return Http.get(base() + "/v1/nodes").json().getJsonArray("nodes").stream()
          .map(o -> (io.vertx.core.json.JsonObject) o).filter(o -> o.getString("id").equals(id))
          .map(o -> o.getString("status")).findFirst().orElse("absent");
    }

    /** Waits until this node names another leader than {@code previous}, with a term above {@code term}. */
    public void awaitNewLeader(String previous, long term, Duration within) {
      org.awaitility.Awaitility.await().atMost(within).until(() -> {
        io.vertx.core.json.JsonObject s = status();
        return s.getString("leader") != null && !s.getString("leader").equals(previous) && s.getLong("term") > term;
      });
    }

    /** How many nodes this node's /v1/nodes lists as alive. */
    public long aliveCount() {
      return Http.get(base() + "/v1/nodes").json().getJsonArray("nodes").stream()
          .filter(o -> ((io.vertx.core.json.JsonObject) o).getString("status").equals("alive")).count();
    }

    public long pid() {
      return process.pid();
    }

    public boolean running() {
      return process != null && process.isAlive();
    }

    public Process process() {
      return process;
    }

    /** The last lines of this node's log (all of its starts). */
    public String logTail(int lines) {
      try {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }

  /**
   * @param size    nodes
   * @param isolate run each node in a network namespace of its own (needs root and iproute2), so that
   *                {@link #partition} can cut them apart
   * @param args    extra Cairn flags for every node, e.g. {@code --cluster.raft.bootstrapExpect=3}
   */
  public JarCluster(int size, boolean isolate, String... args) throws IOException {
    this(size, isolate, 0, args);
  }

  /**
   * A loopback cluster on fixed ports, for a benchmark that must stay within a range of its own: node i gets
   * Hazelcast {@code firstPort + i}, HTTP {@code firstPort + 10 + i} and Raft {@code firstPort + 20 + i}.
   */
  public static JarCluster onPorts(int size, int firstPort, String... args) throws IOException {
    if (size > 10 || firstPort <= 0) {
      throw new IllegalArgumentException("at most 10 nodes on fixed ports, from a port above 0");
    }
    return new JarCluster(size, false, firstPort, args);
  }

  /** {@code firstPort} 0: free ports from {@link TestNodes#freePort()}. */
  private JarCluster(int size, boolean isolate, int firstPort, String... args) throws IOException {
    work = Files.createTempDirectory("cairn-it");
    hazelcastPorts = new int[size];
    httpPorts = new int[size];
    raftPorts = new int[size];
    nodes = new Node[size];
    netns = isolate ? Netns.create(size) : null;
    for (int i = 0; i < size; i++) {
      if (isolate) {
        hosts.add(netns.address(i));
        hazelcastPorts[i] = 5701;
        httpPorts[i] = 8080;
        raftPorts[i] = 9080;
      } else if (firstPort > 0) {
        hosts.add("127.0.0.1");
        hazelcastPorts[i] = firstPort + i;
        httpPorts[i] = firstPort + 10 + i;
        raftPorts[i] = firstPort + 20 + i;
      } else {
        hosts.add("127.0.0.1");
        hazelcastPorts[i] = TestNodes.freePort();
        httpPorts[i] = TestNodes.freePort();
        raftPorts[i] = TestNodes.freePort();
      }
      nodes[i] = new Node(i);
    }
    Collections.addAll(commonArgs, args);
  }

  /** Cairn flags for node {@code index} alone, at every start of it (a DNS port of its own, say). */
  public JarCluster withNodeArgs(int index, String... args) {
    nodeArgs.put(index, List.of(args));
    return this;
  }

  /** Starts this cluster's nodes with these JVM flags instead of {@link NodeJvm#flags()}. */
  public JarCluster withJvmFlags(List<String> flags) {
    this.jvmFlags = List.copyOf(flags);
    return this;
  }

  /** Fails, with the node's log, unless every node's process is running. */
  public void assertEveryProcessRunning() {
    for (Node n : nodes) {
      assertRunning(n);
    }
  }

  /** The same for the nodes started so far (a cluster started one node at a time). */
  public void assertEveryStartedProcessRunning() {
    for (Node n : nodes) {
      if (n.process() != null) {
        assertRunning(n);
      }
    }
  }

  private static void assertRunning(Node n) {
    if (!n.running()) {
      throw new AssertionError("node " + n.id + (n.process() == null ? " never started"
          : " exited with status " + n.process().exitValue()) + ":\n" + n.logTail(80));
    }
  }

  public Node node(int index) {
    return nodes[index];
  }

  public int size() {
    return nodes.length;
  }

  /** The cluster.join list, every node's Hazelcast address. */
  public String joinList() {
    List<String> join = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      join.add(hosts.get(i) + ":" + hazelcastPorts[i]);
    }
    return String.join(",", join);
  }

  public String clusterName() {
    return clusterName;
  }

  /** Starts (or restarts) a node's process; does not wait for it. */
  public Node start(int index, String... extra) throws IOException {
    return start(index, true, extra);
  }

  /**
   * Starts a node as an operator who sets only ports does: every host (HTTP, cluster, event bus, Raft, DNS) left
   * at its default. Only on loopback clusters.
   */
  public Node startWithDefaultHosts(int index, String... extra) throws IOException {
    assertThat(netns).as("a node with default hosts runs on loopback").isNull();
    return start(index, false, extra);
  }

  private Node start(int index, boolean hostFlags, String... extra) throws IOException {
    Node n = nodes[index];
    String jar = NodeJvm.jar();
    assertThat(new File(jar)).as("build the jar first (mvn package)").exists();
    List<String> cmd = new ArrayList<>();
    if (netns != null) {
      cmd.addAll(netns.exec(index));
    }
    String host = hosts.get(index);
    cmd.add(javaBinary());
    cmd.addAll(jvmFlags != null ? jvmFlags : NodeJvm.flags());
    // Vert.x's file cache in the node's work directory: a killed node leaves its cache behind, and /tmp filled up.
    cmd.add("-Dvertx.cacheDirBase=" + work.resolve(n.id + "-vertx-cache"));
    Collections.addAll(cmd, "-jar", jar, "-cluster");
    if (hostFlags) {
      Collections.addAll(cmd, "-cluster-host", host, "--http.host=" + host, "--cluster.host=" + host);
    }
    Collections.addAll(cmd, "--node.id=" + n.id, "--node.dataDir=" + work.resolve(n.id),
        "--http.port=" + httpPorts[index], "--cluster.name=" + clusterName,
        "--cluster.port=" + hazelcastPorts[index], "--cluster.portAutoIncrement=false",
        "--cluster.join=" + joinList(), "--cluster.raft.port=" + raftPorts[index], "--dns.port=0");
    if (netns != null) {
      // Bound to the namespace's own address, which nothing outside the test's private namespaces can reach.
      cmd.add("--security.allowInsecure=true");
    }
    cmd.addAll(commonArgs);
    cmd.addAll(nodeArgs.getOrDefault(index, List.of()));
    Collections.addAll(cmd, extra);
    n.starts++;
    Files.writeString(n.log, "\n==== start " + n.starts + ": " + String.join(" ", cmd) + "\n",
        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    // Run from the work directory, as a user runs the jar elsewhere: everything (conf defaults, the page) from the jar.
    n.process = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log.toFile())).start();
    return n;
  }

  /** Starts every node at the same moment, as ./run.sh cluster does: they form one Raft group in any order. */
  public void startAll() throws IOException {
    for (int i = 0; i < nodes.length; i++) {
      start(i);
    }
  }

  /** Starts every node, waits until each serves and the cluster is whole. */
  public JarCluster startWhole(Duration within) throws IOException {
    startAll();
    awaitAllHealthy(within);
    awaitWhole(within);
    return this;
  }

  /** Closes the processes when this JVM exits: an interrupted benchmark must not leave nodes behind. */
  public JarCluster closeOnExit() {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        close();
      } catch (Exception ignored) {
        // best effort on the way out
      }
    }));
    return this;
  }

  /** Waits until the node answers /health with 200; fails early, with its log, if its process exits. */
  public void awaitHealthy(Node n, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!n.running()) {
        throw new AssertionError("node " + n.id + " exited with status " + n.process.exitValue() + ":\n"
            + n.logTail(60));
      }
      try {
        if (Http.get(n.base() + "/health").status() == 200) {
          return;
        }
      } catch (Exception notYet) {
        // not listening yet
      }
      pause(200);
    }
    // The other nodes' views and logs too: a node stays unready because of what the group does.
    throw new AssertionError("node " + n.id + " not healthy after " + within + ":\n" + views() + logs(60));
  }

  public void awaitAllHealthy(Duration within) {
    for (Node n : nodes) {
      awaitHealthy(n, within);
    }
  }

  /**
   * Waits until the cluster is whole: every node alive in every replica, a leader, (with Raft) every node a Raft
   * member of full-size groups, and every replica equal. Replicas compare equal only between writes: while a client
   * keeps writing, use {@link #awaitMembersWhole}.
   */
  public void awaitWhole(Duration within) {
    awaitMembersWhole(within);
    awaitReplicasEqual(within);
  }

  /** Every replica has the same digest (compare only while nobody writes). */
  public void awaitReplicasEqual(Duration within) {
    try {
      awaitUntil(within, "replicas not equal",
          () -> java.util.Arrays.stream(nodes).map(Node::digest).distinct().count() == 1);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + replicaDifferences(), e.getCause());
    }
  }

  /** What differs between the first node's replica and each other's: instances and nodes, a few of each. */
  private String replicaDifferences() {
    StringBuilder sb = new StringBuilder("differences from " + nodes[0].id + ":\n");
    try {
      java.util.Map<String, String> reference = entries(nodes[0]);
      for (int i = 1; i < nodes.length; i++) {
        java.util.Map<String, String> other = entries(nodes[i]);
        int shown = 0;
        for (String key : new java.util.TreeSet<>(java.util.Set.copyOf(
            java.util.stream.Stream.concat(reference.keySet().stream(), other.keySet().stream()).toList()))) {
          if (!java.util.Objects.equals(reference.get(key), other.get(key)) && shown++ < 5) {
            sb.append(nodes[i].id).append(" ").append(key).append(":\n  ").append(nodes[0].id).append(": ")
                .append(reference.get(key)).append("\n  ").append(nodes[i].id).append(": ").append(other.get(key))
                .append('\n');
          }
        }
      }
    } catch (RuntimeException e) {
      sb.append("(could not compare: ").append(e).append(")\n");
    }
    return sb.toString();
  }

  private static java.util.Map<String, String> entries(Node n) {
    java.util.Map<String, String> map = new java.util.TreeMap<>();
    for (Object o : Http.get(n.base() + "/v1/services?status=any").json().getJsonArray("services")) {
      io.vertx.core.json.JsonObject e = (io.vertx.core.json.JsonObject) o;
      map.put("service " + e.getString("id"), e.encode());
    }
    for (Object o : Http.get(n.base() + "/v1/nodes").json().getJsonArray("nodes")) {
      io.vertx.core.json.JsonObject e = (io.vertx.core.json.JsonObject) o;
      e.remove("role");
      map.put("node " + e.getString("id"), e.encode());
    }
    io.vertx.core.json.JsonObject status = n.status();
    map.put("leader", status.getString("leader") + " " + status.getLong("term") + " " + status.getLong("leaderSince"));
    return map;
  }

  /**
   * Every node alive in every replica, a leader, and every node in the Raft group: a voter while there are fewer
   * than the group wants, a learner beyond.
   */
  public void awaitMembersWhole(Duration within) {
    awaitUntil(within, "members not whole", () -> java.util.Arrays.stream(nodes).allMatch(n -> {
      io.vertx.core.json.JsonObject s = n.status();
      io.vertx.core.json.JsonObject raft = s.getJsonObject("raft");
      int members = raft.getJsonArray("voters").size() + raft.getJsonArray("learners").size();
      return s.getString("leader") != null && !raft.getString("role").equals("none")
          && members == nodes.length
          && raft.getJsonArray("voters").size() == Math.min(nodes.length, raft.getInteger("votersWanted"))
          && java.util.Arrays.stream(nodes).allMatch(other -> n.nodeStatus(other.id).equals("alive"));
    }));
  }

  private void awaitUntil(Duration within, String what, java.util.concurrent.Callable<Boolean> condition) {
    try {
      org.awaitility.Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
          .until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(what + " after " + within + ":\n" + views() + logs(30), e);
    }
  }

  /** What each node says of itself and the cluster, one line each, for a failure message. */
  public String views() {
    StringBuilder sb = new StringBuilder();
    for (Node n : nodes) {
      sb.append(n.id).append(": ");
      try {
        io.vertx.core.json.JsonObject s = n.status();
        sb.append("ready=").append(s.getBoolean("ready")).append(" leader=").append(s.getString("leader"))
            .append(" term=").append(s.getLong("term")).append(" raft=").append(s.getJsonObject("raft"))
            .append(" alive=").append(n.aliveCount()).append(" revision=").append(s.getLong("revision"))
            .append(" digest=").append(n.digest(), 0, 12);
      } catch (RuntimeException | AssertionError e) {
        sb.append(n.running() ? "not answering: " + e : "not running");
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** The node the cluster names leader, as the first running node sees it. */
  public Node leader() {
    Node asked = java.util.Arrays.stream(nodes).filter(Node::running).findFirst().orElseThrow();
    String leader = asked.status().getString("leader");
    return java.util.Arrays.stream(nodes).filter(n -> n.id.equals(leader)).findFirst()
        .orElseThrow(() -> new AssertionError("no leader:\n" + logs(30)));
  }

  /** The first node that is none of {@code not}. */
  public Node other(Node... not) {
    List<Node> excluded = java.util.Arrays.asList(not);
    return java.util.Arrays.stream(nodes).filter(n -> !excluded.contains(n)).findFirst().orElseThrow();
  }

  /** Starts a stopped node again and waits until it serves and the cluster is whole. */
  public void restart(Node n, Duration within) throws IOException {
    restartWhileWriting(n, within);
    awaitReplicasEqual(within);
  }

  /** Starts a stopped node again and waits until it serves and every member is back (replicas not compared). */
  public void restartWhileWriting(Node n, Duration within) throws IOException {
    start(n.index);
    awaitHealthy(n, within);
    awaitMembersWhole(within);
  }

  /** SIGKILL: the process dies on the spot, saying nothing to anyone. */
  public void kill(Node n) throws InterruptedException {
    n.process.destroyForcibly();
    n.process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * SIGKILL of every running node at the same instant (one thread per node, released together), as a power cut
   * would: no node outlives another by more than the time the operating system takes to deliver the signals.
   */
  public void killAll() throws InterruptedException {
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<Thread> killers = new ArrayList<>();
    for (Node n : nodes) {
      if (n.running()) {
        Thread t = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          n.process.destroyForcibly();
        }, "kill-" + n.id);
        t.start();
        killers.add(t);
      }
    }
    go.countDown();
    for (Thread t : killers) {
      t.join();
    }
    for (Node n : nodes) {
      if (n.process != null && !n.process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("node " + n.id + " still running 30 s after SIGKILL");
      }
    }
  }

  /** Every instance id in this node's replica, whatever its status (GET /v1/services?status=any). */
  public java.util.Set<String> ids(Node n) {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    Http.Response r = Http.get(n.base() + "/v1/services?status=any");
    assertThat(r.status()).as("GET /v1/services?status=any on " + n.id + ": " + r.body()).isEqualTo(200);
    for (Object o : r.json().getJsonArray("services")) {
      ids.add(((io.vertx.core.json.JsonObject) o).getString("id"));
    }
    return ids;
  }

  /**
   * Waits until every node answers /health with 200, polling all of them in turn every 100 ms, and returns, per
   * node, when it was first seen healthy ({@link System#nanoTime}); fails early, with its log, if a process exits.
   */
  public long[] awaitAllHealthyAt(Duration within) {
    long[] at = new long[nodes.length];
    long deadline = System.nanoTime() + within.toNanos();
    int healthy = 0;
    while (healthy < nodes.length) {
      if (System.nanoTime() > deadline) {
        StringBuilder sb = new StringBuilder("not every node healthy after " + within + ":\n");
        for (Node n : nodes) {
          if (at[n.index] == 0) {
            sb.append("---- ").append(n.id).append(" ----\n").append(n.logTail(60)).append('\n');
          }
        }
        throw new AssertionError(sb.toString());
      }
      for (Node n : nodes) {
        if (at[n.index] != 0) {
          continue;
        }
        if (!n.running()) {
          throw new AssertionError("node " + n.id + " exited with status " + n.process.exitValue() + ":\n"
              + n.logTail(60));
        }
        try {
          if (Http.get(n.base() + "/health").status() == 200) {
            at[n.index] = System.nanoTime();
            healthy++;
          }
        } catch (Exception notYet) {
          // not listening yet
        }
      }
      pause(100);
    }
    return at;
  }

  /** SIGTERM, as `./run.sh stop` sends; returns the exit status. */
  public int terminate(Node n, Duration within) throws InterruptedException {
    n.process.destroy();
    if (!n.process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("node " + n.id + " still running " + within + " after SIGTERM:\n" + n.logTail(40));
    }
    return n.process.exitValue();
  }

  /** Cuts node {@code index} off from every other node (the test process still reaches all of them). */
  public void partition(int index) throws IOException, InterruptedException {
    netns.isolate(index);
  }

  public void heal(int index) throws IOException, InterruptedException {
    netns.reconnect(index);
  }

  /** Every log, for a failure message. */
  public String logs(int lines) {
    StringBuilder sb = new StringBuilder();
    for (Node n : nodes) {
      sb.append("---- ").append(n.id).append(" ----\n").append(n.logTail(lines)).append('\n');
    }
    return sb.toString();
  }

  @Override
  public void close() throws Exception {
    for (Node n : nodes) {
      if (n.running()) {
        n.process.destroyForcibly();
      }
    }
    for (Node n : nodes) {
      if (n.process != null) {
        n.process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    if (netns != null) {
      netns.close();
    }
    // Each cluster's data and logs are tens of MB: left behind, a CI run leaves a gigabyte in /tmp. A failure's
    // message carries the logs' tails; -Dcairn.it.keepWork=true keeps everything, for a closer look.
    if (!keepWork && !Boolean.getBoolean("cairn.it.keepWork")) {
      TempDirs.delete(work);
    }
  }

  /** Keeps the nodes' data and logs after {@link #close} (a benchmark that failed). */
  public void keepWorkDir() {
    keepWork = true;
  }

  /** Deletes a stopped node's data directory: it starts again with nothing on disk. */
  public void wipe(Node n) {
    assertThat(n.running()).as(n.id + " must be stopped before its data is wiped").isFalse();
    TempDirs.delete(work.resolve(n.id));
  }

  /** A directory of this cluster's work area for the test's own files (logs of other processes). */
  public Path workDir() {
    return work;
  }

  /** Runs {@code mainClass} from the fat jar as a process of its own, its output appended to {@code log}. */
  public static Process runJarClass(String mainClass, Path log, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.addAll(NodeJvm.jarClassFlags());
    Collections.addAll(cmd, "-cp", NodeJvm.jar(), mainClass);
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Sleeps between two polls of a loop that measures how long something takes (not a wait for a condition). */
  public static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
