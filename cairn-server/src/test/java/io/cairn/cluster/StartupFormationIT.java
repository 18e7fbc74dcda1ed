package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start-up of a new cluster of three fat-jar processes with {@code --cluster.raft.bootstrapExpect=3} (issue 12,
 * "Start-up"): started at the same instant, or one at a time in reverse order with 10 s gaps, they form one Raft group
 * of three voters and elect one leader, and no process exits on the way. No time bound is held here (the waits are
 * generous), so these run with the other process tests; the timed first-leader case is StartupIT's.
 */
class StartupFormationIT {
  /**
   * Generous: three JVMs starting at once on a loaded 2-core machine (one run under a load average of 33 took 80 s
   * to start the processes and 30 s more to elect).
   */
  private static final Duration FORM = Duration.ofSeconds(180);
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void threeNodesStartedAtTheSameInstantFormOneGroupAndElectOneLeader() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();

    awaitOneGroup(FORM);
    cluster.assertEveryProcessRunning();
    cluster.awaitWhole(FORM);
    cluster.assertEveryProcessRunning();
  }

  @Test
  void threeNodesStartedInReverseOrderTenSecondsApartFormOneGroupAndElectOneLeader() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");

    cluster.start(2);
    holdFor(Duration.ofSeconds(10));
    cluster.assertEveryStartedProcessRunning();
    assertNoGroupYet(2);

    cluster.start(1);
    holdFor(Duration.ofSeconds(10));
    cluster.assertEveryStartedProcessRunning();
    // Two nodes of an expected three must not form a group of their own.
    assertNoGroupYet(2);
    assertNoGroupYet(1);

    cluster.start(0);
    awaitOneGroup(FORM);
    cluster.assertEveryProcessRunning();
    cluster.awaitWhole(FORM);
    cluster.assertEveryProcessRunning();
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Until every node is ready and all agree: one leader and term (the log's, and Raft's), the same three voters, no
   * learners. Fails at once, with its log, if any process exits meanwhile.
   */
  private void awaitOneGroup(Duration within) {
    awaitRunning(within, "one group with one leader", () -> {
      TreeSet<String> views = new TreeSet<>();
      for (int i = 0; i < cluster.size(); i++) {
        JsonObject s = cluster.node(i).statusOrNull();
        if (s == null || !s.getBoolean("ready", false) || s.getString("leader") == null) {
          return false;
        }
        JsonObject raft = s.getJsonObject("raft");
        if (!s.getString("leader").equals(raft.getString("leader")) || raft.getJsonArray("voters").size() != 3
            || !raft.getJsonArray("learners").isEmpty() || !raft.getJsonArray("voters").contains(s.getString("leader"))) {
          return false;
        }
        views.add(s.getString("leader") + " " + s.getLong("term") + " " + new TreeSet<>(raft.getJsonArray("voters").getList()));
      }
      return views.size() == 1;
    });
  }

  /** Polls {@code condition} until true; fails at once when a started process is no longer running. */
  private void awaitRunning(Duration within, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      cluster.assertEveryStartedProcessRunning();
      boolean met;
      try {
        met = condition.getAsBoolean();
      } catch (RuntimeException notYet) {
        met = false;
      }
      if (met) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not after " + within + ":\n" + cluster.views() + cluster.logs(40));
      }
      JarCluster.pause(200);
    }
  }

  /** Waits this long, failing at once if a started process exits meanwhile. */
  private void holdFor(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      cluster.assertEveryStartedProcessRunning();
      JarCluster.pause(200);
    }
  }

  /**
   * The node answers (waiting for it if the machine is too slow for it to answer within the gap), is not ready, and
   * belongs to no Raft group.
   */
  private void assertNoGroupYet(int index) {
    JarCluster.Node n = cluster.node(index);
    awaitRunning(FORM, n.id + " answering", () -> n.statusOrNull() != null);
    JsonObject s = n.status();
    assertThat(s.getJsonObject("raft").getString("role")).as(n.id + " raft.role before enough nodes started: " + s)
        .isEqualTo("none");
    assertThat(s.getBoolean("ready")).as(n.id + " ready before enough nodes started").isFalse();
    assertThat(Http.get(n.base() + "/health").status()).as(n.id + " /health").isNotEqualTo(200);
  }
}
