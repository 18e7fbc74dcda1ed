package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.TimedProcessTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A whole cluster stopped the way `./run.sh stop` stops it (SIGTERM to each node in turn, each exiting 0) and started
 * again from its data directories (issue 12, "what must hold" 4): a leader within 5 s of the last node becoming
 * ready, every instance back with its data on every node, and writes accepted. (Every node SIGKILLed at once is
 * NoAcknowledgedWriteLostIT's.)
 */
@TimedProcessTest
class ColdRestartIT {
  /** The bound: from the last node ready (/health 200) to a leader. */
  private static final long LEADER_WITHIN_MILLIS = 5000;
  private static final Duration FORM = Duration.ofSeconds(180);
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void registerMany(String prefix, int count) {
    for (int i = 0; i < count; i++) {
      JarCluster.Node through = cluster.node(i % cluster.size());
      JsonObject body = new JsonObject().put("name", prefix).put("address", "10.0.0." + (i % 250 + 1)).put("port", 8000 + i)
          .put("version", "1.2." + i).put("tags", new JsonArray().add("t" + (i % 3)))
          .put("metadata", new JsonObject().put("n", Integer.toString(i)));
      Http.Response r = Http.put(through.base() + "/v1/services/" + prefix + "-" + i, body.encode());
      assertThat(r.status()).as("PUT %s-%d through %s: %s", prefix, i, through.id, r.body()).isEqualTo(201);
    }
  }

  /** Each instance as "id address port version tags metadata", from one node. */
  private static Set<String> definitions(JarCluster.Node node) {
    Set<String> out = new TreeSet<>();
    for (Object o : Http.get(node.base() + "/v1/services?status=any").json().getJsonArray("services")) {
      JsonObject e = (JsonObject) o;
      out.add(e.getString("id") + " " + e.getString("address") + " " + e.getInteger("port") + " "
          + e.getString("version") + " " + e.getJsonArray("tags") + " " + e.getJsonObject("metadata"));
    }
    return out;
  }

  /**
   * The leader every node names, once they all agree: the log's record of it (top-level leader and term) matches
   * Raft's view on every node, and every node is quorate. Null otherwise.
   */
  private JsonObject agreedLeader() {
    JsonObject first = null;
    for (int i = 0; i < cluster.size(); i++) {
      JsonObject s = cluster.node(i).status();
      JsonObject raft = s.getJsonObject("raft");
      if (s.getString("leader") == null || !s.getString("leader").equals(raft.getString("leader"))
          || !s.getBoolean("quorate") || s.getLong("term") != raft.getLong("term").longValue()) {
        return null;
      }
      if (first == null) {
        first = s;
      } else if (!first.getString("leader").equals(s.getString("leader"))
          || first.getLong("term").longValue() != s.getLong("term")) {
        return null;
      }
    }
    return first;
  }

  @Test
  void afterEveryNodeWasStoppedCleanlyTheClusterHasALeaderWithinFiveSecondsAndEveryInstanceBack() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();
    cluster.awaitAllHealthy(FORM);
    cluster.awaitWhole(FORM);
    registerMany("before-stop", 60);
    cluster.awaitReplicasEqual(FORM);
    Set<String> expected = definitions(cluster.node(0));
    assertThat(expected).hasSize(60);
    long termBefore = cluster.node(0).status().getLong("term");

    // ./run.sh stop: SIGTERM to each node in turn, each exits 0.
    for (int i = 0; i < cluster.size(); i++) {
      assertThat(cluster.terminate(cluster.node(i), Duration.ofSeconds(60))).as("exit status of " + cluster.node(i).id
          + " after SIGTERM").isZero();
    }

    cluster.startAll();
    long[] healthyAt = cluster.awaitAllHealthyAt(FORM);
    long lastReadyNanos = java.util.Arrays.stream(healthyAt).max().orElseThrow();
    long lastReadyWall = System.currentTimeMillis() - (System.nanoTime() - lastReadyNanos) / 1_000_000;
    AtomicReference<JsonObject> leader = new AtomicReference<>();
    AtomicReference<Long> seenAfter = new AtomicReference<>();
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
        leader.set(agreedLeader());
        if (leader.get() != null) {
          seenAfter.set((System.nanoTime() - lastReadyNanos) / 1_000_000);
        }
        return leader.get() != null;
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("no leader that every node agrees on, 60 s after the last node was ready:\n"
          + cluster.views() + cluster.logs(40), e);
    }
    // The leader's own clock says when it took office (leaderSince, the same machine's clock): polling late on a
    // busy machine does not count against it.
    long leaderAfter = leader.get().getLong("leaderSince") - lastReadyWall;
    System.out.printf("ColdRestartIT: leader %s term %d (was term %d) %d ms after the last node was ready (seen by "
        + "polling after %d ms)%n", leader.get().getString("leader"), leader.get().getLong("term"), termBefore,
        leaderAfter, seenAfter.get());
    assertThat(leaderAfter).as("ms from the last node ready to a leader (%s)", cluster.views())
        .isLessThanOrEqualTo(LEADER_WITHIN_MILLIS);
    assertThat(leader.get().getLong("term")).isGreaterThan(termBefore);

    cluster.awaitWhole(FORM);
    for (int i = 0; i < cluster.size(); i++) {
      assertThat(definitions(cluster.node(i))).as("after a clean stop and a start, on " + cluster.node(i).id)
          .isEqualTo(expected);
    }

    // And the cluster takes writes again, through every node.
    registerMany("after", 3);
    await().atMost(Duration.ofSeconds(30)).until(() -> definitions(cluster.node(2)).size() == 63);
  }
}
