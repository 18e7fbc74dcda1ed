package io.cairn.cluster;

import io.cairn.support.JarCluster;
import io.cairn.support.Writers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No acknowledged write is lost when the whole cluster dies at once (issue 12, "what must hold" 1): three jar
 * processes, a writer on every node registering new instances, and at a random moment while they write, SIGKILL
 * of all three at the same instant. Restarted from their data directories, every node must hold every instance any
 * node acknowledged, in this round and every earlier one. The writers keep writing through the restart, as
 * clients retrying would, and every node takes writes again; then every replica is equal. Three rounds on the same
 * cluster in the suite (ColdRestartIT kills a whole cluster too); -Dcairn.wholeKills=10 for a closer look.
 */
class NoAcknowledgedWriteLostIT {
  private static final int ROUNDS = Integer.getInteger("cairn.wholeKills", 3);
  private static final Duration FORM = Duration.ofSeconds(180);
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyAcknowledgedWriteIsOnEveryNodeAfterAllThreeAreKilledAtOnceDuringWrites() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    System.out.println("NoAcknowledgedWriteLostIT: seed " + seed + ", logs in " + cluster.workDir()
        + " (deleted at the end unless -Dcairn.it.keepWork=true)");
    cluster.startAll();
    cluster.awaitAllHealthy(FORM);
    cluster.awaitWhole(FORM);

    Set<String> acknowledged = new LinkedHashSet<>();
    List<String> report = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      Writers writers = new Writers(cluster, "r" + round);
      long killAfter;
      int beforeKill;
      long wholeAfter;
      try {
        // The writers are under way once each has had a write acknowledged through its node; then, at a random
        // moment 1-4 s later, while they are still writing, every node dies at once.
        await().atMost(Duration.ofSeconds(60)).until(() ->
            java.util.stream.IntStream.range(0, cluster.size()).allMatch(i -> writers.acknowledgedCount(i) > 0));
        killAfter = 1000 + random.nextInt(3001);
        Thread.sleep(killAfter);
        cluster.killAll();
        beforeKill = writers.acknowledged().size();

        // The writers go on, as clients retrying through a cold start would, while the nodes start again from
        // their data directories; each node takes writes again once the cluster is whole.
        long restartedAt = System.nanoTime();
        cluster.startAll();
        cluster.awaitAllHealthy(FORM);
        cluster.awaitMembersWhole(FORM);
        wholeAfter = (System.nanoTime() - restartedAt) / 1_000_000;
        int[] acks = java.util.stream.IntStream.range(0, cluster.size()).map(writers::acknowledgedCount).toArray();
        await().atMost(Duration.ofSeconds(60)).until(() -> java.util.stream.IntStream.range(0, cluster.size())
            .allMatch(i -> writers.acknowledgedCount(i) > acks[i]));
      } finally {
        writers.stop();
      }
      assertThat(writers.unexpected()).as("answers a valid registration must never get").isEmpty();
      Set<String> thisRound = writers.acknowledged();
      acknowledged.addAll(thisRound);
      String line = String.format("round %d: killed %d ms into the writes, %d writes acknowledged before the kill, "
          + "%d after the restart; whole again %d ms after the restart (%s)", round, killAfter, beforeKill,
          thisRound.size() - beforeKill, wholeAfter, writers.summary());
      report.add(line);
      System.out.println("NoAcknowledgedWriteLostIT " + line);

      cluster.awaitReplicasEqual(FORM);
      for (int i = 0; i < cluster.size(); i++) {
        JarCluster.Node n = cluster.node(i);
        Set<String> missing = new TreeSet<>(acknowledged);
        missing.removeAll(cluster.ids(n));
        assertThat(missing).as("acknowledged writes missing on %s after round %d (seed %d; %s)\n%s", n.id, round,
            seed, report, cluster.views()).isEmpty();
      }
    }
    System.out.println("NoAcknowledgedWriteLostIT: " + acknowledged.size() + " acknowledged writes over " + ROUNDS
        + " rounds, none lost (seed " + seed + ")");
  }
}
