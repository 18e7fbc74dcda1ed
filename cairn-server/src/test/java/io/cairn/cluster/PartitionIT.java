package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.Writers;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real network partition (issue 12, "what must hold" 2): three fat-jar processes, each in a network namespace of
 * its own; one node (the leader in one test, a follower in the other) is cut off from the other two with blackhole
 * routes for 20 s while a writer on every node, the cut-off one included, registers new instances through it; then
 * the cut is healed.
 *
 * <p>What a user must see: while cut off, the lone node refuses writes (503 no-quorum, or 503 when it cannot tell),
 * marks its reads stale and refuses linearizable ones (?consistent=true), while the other two have (or elect) a
 * leader with a term no lower than before and go on accepting writes; after healing, every write any node
 * acknowledged, the lone node's included, is on every node, and every replica has the same digest.
 *
 * <p>Both tests use one cluster (each ends with the cut healed and every member back, and each begins by waiting for
 * the cluster to be whole), with ids and writers of their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PartitionIT {
  private static final Duration FORM = Duration.ofSeconds(180);
  private static final Duration CUT = Duration.ofSeconds(20);
  /** How long the lone node may take to acknowledge writes again once healed (it took 4-12 s on a loaded machine). */
  private static final Duration AFTER_HEAL = Duration.ofSeconds(120);
  private JarCluster cluster;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new JarCluster(3, true, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();
    cluster.awaitAllHealthy(FORM);
    cluster.awaitWhole(FORM);
  }

  @AfterAll
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theLeaderCutOffForTwentySecondsLosesNoAcknowledgedWriteAndTheMajorityElectsAnother() throws Exception {
    cluster.awaitWhole(FORM);
    JarCluster.Node leader = cluster.leader();
    cutOffWhileWriting(leader, true);
  }

  @Test
  void aFollowerCutOffForTwentySecondsLosesNoAcknowledgedWriteAndTheMajorityKeepsWriting() throws Exception {
    cluster.awaitWhole(FORM);
    JarCluster.Node leader = cluster.leader();
    cutOffWhileWriting(cluster.other(leader), false);
  }

  private void cutOffWhileWriting(JarCluster.Node cutOff, boolean wasLeader) throws Exception {
    JarCluster.Node majority = cluster.other(cutOff);
    JarCluster.Node majority2 = cluster.other(cutOff, majority);
    String leaderBefore = majority.status().getJsonObject("raft").getString("leader");
    long termBefore = majority.status().getJsonObject("raft").getLong("term");
    assertThat(leaderBefore).isNotNull();
    assertThat(leaderBefore.equals(cutOff.id)).as("the node cut off is the leader").isEqualTo(wasLeader);
    // Ids of this test's own: the other test ran (or runs) on the same cluster.
    String beforeCut = wasLeader ? "before-cut-l" : "before-cut-f";
    assertThat(put(majority, beforeCut).status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
        Http.get(cutOff.base() + "/v1/services/" + beforeCut).status() == 200);

    Writers writers = new Writers(cluster, wasLeader ? "part-l" : "part-f");
    Map<String, Integer> cutOffAtHeal;
    int majorityAcksAtCut;
    int majorityAcksAtHeal;
    long writableAfterHeal;
    String stuckAfterHeal = null;
    AtomicBoolean staleReadSeen = new AtomicBoolean();
    AtomicReference<JsonObject> majorityLeader = new AtomicReference<>();
    boolean cut = false;
    try {
      await().atMost(Duration.ofSeconds(60)).until(() ->
          java.util.stream.IntStream.range(0, cluster.size()).allMatch(i -> writers.acknowledgedCount(i) > 0));

      cluster.partition(cutOff.index);
      cut = true;
      long cutAt = System.nanoTime();
      majorityAcksAtCut = writers.acknowledgedCount(majority.index) + writers.acknowledgedCount(majority2.index);

      // The lone node: it learns it has no quorum, and marks what it serves stale, within the cut.
      await().atMost(CUT).ignoreExceptions().until(() -> !cutOff.status().getBoolean("quorate"));
      await().atMost(CUT).ignoreExceptions().until(() -> {
        Http.Response read = Http.get(cutOff.base() + "/v1/services/" + beforeCut);
        staleReadSeen.set(read.status() == 200 && "true".equals(read.header("X-Cairn-Stale")));
        return staleReadSeen.get();
      });
      // A linearizable read cannot be had there.
      await().atMost(CUT).ignoreExceptions().until(() ->
          Http.get(cutOff.base() + "/v1/services/" + beforeCut + "?consistent=true").status() == 503);
      // The majority: a leader of its own side (another one when the leader was cut off), quorate, at a term no
      // lower than before.
      await().atMost(CUT).ignoreExceptions().until(() -> {
        JsonObject raft = majority.status().getJsonObject("raft");
        boolean ok = raft.getString("leader") != null && !raft.getString("leader").equals(cutOff.id)
            && raft.getBoolean("quorate") && raft.getLong("term") >= termBefore;
        if (ok) {
          majorityLeader.set(raft);
        }
        return ok;
      });
      Http.Response majorityRead = Http.get(majority.base() + "/v1/services/" + beforeCut);
      assertThat(majorityRead.status()).isEqualTo(200);
      assertThat(majorityRead.header("X-Cairn-Stale")).as("a read on the majority side").isNull();
      assertThat(Http.get(majority.base() + "/v1/services/" + beforeCut + "?consistent=true").status())
          .as("a linearizable read on the majority side").isEqualTo(200);

      long left = CUT.toNanos() - (System.nanoTime() - cutAt);
      if (left > 0) {
        Thread.sleep(left / 1_000_000);
      }
      majorityAcksAtHeal = writers.acknowledgedCount(majority.index) + writers.acknowledgedCount(majority2.index);
      cutOffAtHeal = writers.outcomes(cutOff.index);
      cluster.heal(cutOff.index);
      cut = false;

      // Healed: the lone node takes writes again (asserted last, so that a node that never does still has every
      // other promise checked).
      long healedAt = System.nanoTime();
      int cutOffAcks = writers.acknowledgedCount(cutOff.index);
      try {
        await().atMost(AFTER_HEAL).pollInterval(Duration.ofMillis(50))
            .until(() -> writers.acknowledgedCount(cutOff.index) > cutOffAcks);
        writableAfterHeal = (System.nanoTime() - healedAt) / 1_000_000;
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        writableAfterHeal = -1;
        stuckAfterHeal = "the lone node " + cutOff.id + " acknowledged no write in " + AFTER_HEAL
            + " after healing; writers: " + writers.summary() + "\n" + cluster.views() + "---- " + cutOff.id
            + " ----\n" + cutOff.logTail(20);
      }
    } finally {
      writers.stop();
      if (cut) {
        cluster.heal(cutOff.index); // failed while cut off: leave the shared cluster whole for the other test
      }
    }
    // Every replica the same, and then every member back.
    cluster.awaitReplicasEqual(FORM);

    String context = "cut off " + cutOff.id + (wasLeader ? " (the leader)" : " (a follower)") + "; writers: "
        + writers.summary() + "; lone node's answers until healed: " + cutOffAtHeal;
    System.out.println("PartitionIT " + context + "; majority acknowledged " + (majorityAcksAtHeal - majorityAcksAtCut)
        + " writes during the cut, leader then " + majorityLeader.get().getString("leader") + " term "
        + majorityLeader.get().getLong("term") + " (before: " + leaderBefore + " term " + termBefore + "); the lone node "
        + "acknowledged writes again " + (writableAfterHeal < 0 ? "never" : writableAfterHeal + " ms") + " after healing");
    assertThat(writers.unexpected()).as("answers a valid registration must never get").isEmpty();
    assertThat(staleReadSeen).as("reads on the lone node marked stale while cut off").isTrue();
    assertThat(cutOffAtHeal).as("the lone node refused writes with no-quorum while cut off (" + context + ")")
        .containsKey("503 no-quorum");
    assertThat(majorityAcksAtHeal).as("the majority went on acknowledging writes during the cut (" + context + ")")
        .isGreaterThan(majorityAcksAtCut);
    if (wasLeader) {
      assertThat(majorityLeader.get().getLong("term")).as("the majority's new leader's term").isGreaterThan(termBefore);
    }

    // Every write that any node acknowledged, the lone node's first, is on every node.
    for (int i = 0; i < cluster.size(); i++) {
      JarCluster.Node n = cluster.node(i);
      Set<String> ids = cluster.ids(n);
      Set<String> lostOfLone = new TreeSet<>(writers.acknowledgedBy(cutOff.index));
      lostOfLone.removeAll(ids);
      assertThat(lostOfLone).as("writes the lone node acknowledged, missing on %s (%s)", n.id, context).isEmpty();
      Set<String> lost = new TreeSet<>(writers.acknowledged());
      lost.removeAll(ids);
      assertThat(lost).as("acknowledged writes missing on %s (%s)", n.id, context).isEmpty();
    }
    assertThat(stuckAfterHeal).as("the lone node takes writes again after healing").isNull();
    cluster.awaitMembersWhole(FORM);
    for (int i = 0; i < cluster.size(); i++) {
      JsonObject s = cluster.node(i).status();
      assertThat(s.getBoolean("quorate")).as(cluster.node(i).id + " quorate after healing").isTrue();
      assertThat(s.getJsonObject("raft").getLong("term")).as(cluster.node(i).id + " term after healing")
          .isGreaterThanOrEqualTo(termBefore);
    }
  }

  private static Http.Response put(JarCluster.Node n, String id) {
    return Http.put(n.base() + "/v1/services/" + id, new JsonObject().put("name", "part").put("address", "10.0.0.9")
        .put("port", 9000).encode());
  }
}
