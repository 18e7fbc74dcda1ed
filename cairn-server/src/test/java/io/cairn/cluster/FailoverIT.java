package io.cairn.cluster;

import io.cairn.support.JarCluster;
import io.cairn.support.Percentiles;
import io.cairn.support.TimedProcessTest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Failover times on three fat-jar processes (issue 12, "Failover"), measured as a client of another node sees them:
 *
 * <ul>
 *   <li>SIGKILL of the leader, {@link #LEADER_KILLS} times: from the kill until a surviving node's
 *       {@code GET /v1/status} names another leader with a higher term. p99 at most 3 s, taken by nearest rank,
 *       which is the highest of the samples (the 2nd-highest is printed too).</li>
 *   <li>SIGKILL of a follower, twice: from the kill until every surviving node's {@code GET /v1/nodes} shows it
 *       {@code failed} (the leader's {@code nodeFailed}, after Hazelcast's failure detection), at most 3 s each.
 *       MembershipIT checks what a failed node's instances become and that the leader stays; this measures when.</li>
 * </ul>
 * The killed node is restarted and the cluster made whole before each next kill.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TimedProcessTest
class FailoverIT {
  private static final Duration WHOLE = Duration.ofSeconds(120);
  /** Beyond this a kill counts as "never": the test fails at once with the nodes' views and logs. */
  private static final Duration GIVE_UP = Duration.ofSeconds(30);
  /**
   * Four, as StalledLeaderIT's rounds: p99 is then the worst of four, each under the bound. This runs in the suite's
   * serial part, where every round costs its whole time (twenty took 92 s, six about 40 s), and the suite must stay
   * under 20 minutes; -Dcairn.leaderKills=20 (or more) for a closer look (bench: ./run.sh bench --only cluster).
   */
  private static final int LEADER_KILLS = Integer.getInteger("cairn.leaderKills", 4);
  private static final int FOLLOWER_KILLS = 2;
  private static final long BOUND_MILLIS = 3000;
  private JarCluster cluster;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();
    cluster.awaitAllHealthy(WHOLE);
    cluster.awaitWhole(WHOLE);
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void aKilledFollowerIsShownFailedOnTheOthersWithinThreeSeconds() throws Exception {
    List<Long> first = new ArrayList<>();
    List<Long> all = new ArrayList<>();
    for (int k = 0; k < FOLLOWER_KILLS; k++) {
      JarCluster.Node leader = cluster.leader();
      JarCluster.Node victim = cluster.other(leader);
      List<JarCluster.Node> witnesses = others(victim);

      long killedAt = System.nanoTime();
      cluster.kill(victim);
      long firstSeen = -1;
      List<JarCluster.Node> pending = new ArrayList<>(witnesses);
      while (!pending.isEmpty()) {
        for (java.util.Iterator<JarCluster.Node> it = pending.iterator(); it.hasNext(); ) {
          if ("failed".equals(nodeStatusOrNull(it.next(), victim.id))) {
            it.remove();
            if (firstSeen < 0) {
              firstSeen = (System.nanoTime() - killedAt) / 1_000_000;
            }
          }
        }
        if (!pending.isEmpty() && System.nanoTime() - killedAt > GIVE_UP.toNanos()) {
          throw new AssertionError("follower kill " + (k + 1) + ": " + victim.id + " not failed on " + pending.stream()
              .map(n -> n.id).toList() + " " + GIVE_UP + " after SIGKILL:\n" + cluster.views() + cluster.logs(40));
        }
        JarCluster.pause(2);
      }
      long everywhere = (System.nanoTime() - killedAt) / 1_000_000;
      first.add(firstSeen);
      all.add(everywhere);
      System.out.printf("follower kill %d/%d: %s killed, failed on one other node after %d ms, on all after %d ms%n",
          k + 1, FOLLOWER_KILLS, victim.id, firstSeen, everywhere);
      assertThat(leader.status().getString("leader")).as("losing a follower keeps the leader").isEqualTo(leader.id);
      cluster.restart(victim, WHOLE);
    }
    System.out.printf("failure detection (SIGKILL of a follower -> failed in GET /v1/nodes): n=%d, on one other node "
        + "max=%d ms %s, on all others max=%d ms %s%n", all.size(), Collections.max(first), first, Collections.max(all),
        all);
    assertThat(Collections.max(all)).as("ms from SIGKILL of a follower to `failed` on every other node; samples %s",
        all).isLessThanOrEqualTo(BOUND_MILLIS);
  }

  @Test
  @Order(2)
  void aKilledLeaderIsReplacedWithAHigherTermWithinThreeSecondsAtP99() throws Exception {
    List<Long> samples = new ArrayList<>();
    List<Long> raftSamples = new ArrayList<>();
    try {
      killLeaders(samples, raftSamples);
    } finally {
      if (samples.size() < LEADER_KILLS) {
        System.out.printf("leader failover: stopped after %d of %d kills; new leader after %s ms (raft.leader moved "
            + "after %s ms)%n", samples.size(), LEADER_KILLS, samples, raftSamples);
      }
    }

    List<Long> sorted = new ArrayList<>(samples);
    Collections.sort(sorted);
    long p50 = Percentiles.nearestRank(sorted, 50);
    long p99 = Percentiles.nearestRank(sorted, 99);
    System.out.printf("leader failover (SIGKILL of the leader -> new leader with a higher term on another node): "
            + "n=%d p50=%d ms p99=%d ms (nearest rank: the max of %d; 2nd-highest %d ms) all=%s; raft.leader moved "
            + "after %s%n", sorted.size(), p50, p99, sorted.size(), sorted.get(sorted.size() - 2), samples, raftSamples);
    assertThat(p99).as("p99 (the highest of %d) ms from SIGKILL of the leader to a new leader seen on another node; "
        + "samples %s", sorted.size(), samples).isLessThanOrEqualTo(BOUND_MILLIS);
  }

  /** LEADER_KILLS times: SIGKILL the leader, time it until another node names a new one, restart it, wait whole. */
  private void killLeaders(List<Long> samples, List<Long> raftSamples) throws Exception {
    for (int k = 0; k < LEADER_KILLS; k++) {
      JarCluster.Node leader = cluster.leader();
      List<JarCluster.Node> witnesses = others(leader);
      long term = witnesses.get(0).status().getLong("term");

      long killedAt = System.nanoTime();
      cluster.kill(leader);
      String seen = null;
      long raftMillis = -1; // when Raft's leader (raft.leader) moved, before the log recorded it: for the figures
      while (seen == null) {
        for (JarCluster.Node w : witnesses) {
          JsonObject s = w.statusOrNull();
          if (s == null) {
            continue;
          }
          JsonObject raft = s.getJsonObject("raft");
          if (raftMillis < 0 && raft.getString("leader") != null && !raft.getString("leader").equals(leader.id)
              && raft.getLong("term", 0L) > term) {
            raftMillis = (System.nanoTime() - killedAt) / 1_000_000;
          }
          if (s.getString("leader") != null && !s.getString("leader").equals(leader.id)
              && s.getLong("term", 0L) > term) {
            seen = s.getString("leader") + " term " + s.getLong("term") + " on " + w.id;
            break;
          }
        }
        if (seen == null && System.nanoTime() - killedAt > GIVE_UP.toNanos()) {
          throw new AssertionError("kill " + (k + 1) + ": no new leader " + GIVE_UP + " after killing leader "
              + leader.id + " (term " + term + "):\n" + cluster.views() + cluster.logs(40));
        }
        JarCluster.pause(2);
      }
      long millis = (System.nanoTime() - killedAt) / 1_000_000;
      samples.add(millis);
      raftSamples.add(raftMillis);
      System.out.printf("leader kill %d/%d: %s (term %d) killed, raft.leader moved after %d ms, new leader %s after "
          + "%d ms%n", k + 1, LEADER_KILLS, leader.id, term, raftMillis, seen, millis);
      cluster.restart(leader, WHOLE);
    }
  }

  // ---------------------------------------------------------------- helpers

  private List<JarCluster.Node> others(JarCluster.Node not) {
    List<JarCluster.Node> out = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.node(i) != not) {
        out.add(cluster.node(i));
      }
    }
    return out;
  }

  private static String nodeStatusOrNull(JarCluster.Node n, String id) {
    try {
      return n.nodeStatus(id);
    } catch (RuntimeException notAnswering) {
      return null;
    }
  }

}
