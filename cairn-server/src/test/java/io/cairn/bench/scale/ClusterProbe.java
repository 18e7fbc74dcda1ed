package io.cairn.bench.scale;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** What the benchmark asks the nodes over HTTP while it waits for them, and the waits themselves. */
final class ClusterProbe {
  private static final long POLL_MILLIS = 50;

  private ClusterProbe() {
  }

  /** GET /v1/status, or null while the node does not answer. */
  static JsonObject status(JarCluster.Node n) {
    return n.statusOrNull();
  }

  /** The instances in the node's replica (/v1/stats), or -1 while it does not answer. */
  static long services(JarCluster.Node n) {
    try {
      Http.Response r = Http.get(n.base() + "/v1/stats");
      return r.status() == 200 ? r.json().getJsonObject("replica").getLong("services") : -1;
    } catch (RuntimeException notAnswering) {
      return -1;
    }
  }

  static long revision(JarCluster.Node n) {
    return n.status().getLong("revision");
  }

  /** Whether /health answers 200. */
  static boolean ready(JarCluster.Node n) {
    try {
      return Http.get(n.base() + "/health").status() == 200;
    } catch (RuntimeException notListening) {
      return false;
    }
  }

  /** Waits until each node is ready and they agree on a leader, with {@code voters} Raft voters. */
  static void awaitFormed(List<JarCluster.Node> nodes, int voters, Duration within) {
    await(within, "a leader and " + voters + " voters on every node", () -> nodes.stream().allMatch(n -> {
      JsonObject s = status(n);
      return s != null && ready(n) && s.getString("leader") != null
          && s.getJsonObject("raft").getJsonArray("voters").size() == voters;
    }));
  }

  /** Waits until every node applied {@code revision} and holds {@code services} instances. */
  static void awaitApplied(List<JarCluster.Node> nodes, long revision, long services, Duration within) {
    await(within, "revision " + revision + " and " + services + " instances on every node",
        () -> nodes.stream().allMatch(n -> caughtUp(n, revision, services)));
  }

  static boolean caughtUp(JarCluster.Node n, long revision, long services) {
    JsonObject s = status(n);
    return s != null && s.getLong("revision") >= revision && services(n) == services;
  }

  static void await(Duration within, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not " + what + " after " + within);
      }
      JarCluster.pause(POLL_MILLIS);
    }
  }

  /** Polls {@code condition} every 50 ms; the milliseconds since {@code since} (nanoTime) when it first held. */
  static long millisUntil(long since, Duration within, String what, BooleanSupplier condition) {
    await(within, what, condition);
    return (System.nanoTime() - since) / 1_000_000;
  }

  /**
   * Starts a node's process and notes its PID and the cluster's name in the file named by {@code cairn.scale.pidFile}
   * (if set): run-bench.sh stops what is listed there should this JVM be killed before its shutdown hook runs.
   */
  static void start(JarCluster cluster, JarCluster.Node n) throws IOException {
    cluster.start(n.index);
    String pidFile = System.getProperty("cairn.scale.pidFile");
    if (pidFile != null) {
      Files.writeString(Path.of(pidFile), n.pid() + " " + cluster.clusterName() + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  /** Sum of cairn_watchers{kind} over /metrics of a node. */
  static long watchers(JarCluster.Node n, String kind) {
    String metrics = Http.get(n.base() + "/metrics").body();
    long sum = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith("cairn_watchers{") && line.contains("kind=\"" + kind + "\"")) {
        sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }
}
