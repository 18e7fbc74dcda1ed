package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.Percentiles;
import io.cairn.support.TimedProcessTest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A leader that stalls (SIGSTOP: a long GC pause, a frozen VM) or is cut off by a partition (blackhole routes in its
 * network namespace) is replaced as fast as a killed one (issue 21). Three fat-jar processes, each in a network
 * namespace of its own; 4 rounds of each in the suite (-Dcairn.stalledLeaderRounds for more). Every round: writers
 * register through both other nodes, a new write every 50 ms on each, each write on its own; the leader is stopped or
 * cut off; the round's figure is the time from then until the first write started after it is acknowledged, that is
 * until the majority has a leader that commits.
 * The leader is then resumed or reconnected and the cluster made whole before the next round. p99 at most 3 s (with 4
 * samples, nearest rank: the highest, so every round under the bound).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TimedProcessTest
class StalledLeaderIT {
  private static final Duration WHOLE = Duration.ofSeconds(120);
  private static final Duration GIVE_UP = Duration.ofSeconds(30);
  private static final int ROUNDS = Integer.getInteger("cairn.stalledLeaderRounds", 4);
  private static final long BOUND_MILLIS = 3000;
  private JarCluster cluster;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new JarCluster(3, true, "--cluster.raft.bootstrapExpect=3").startWhole(WHOLE);
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aPausedLeaderIsReplacedByALeaderThatCommitsWithinThreeSecondsAtP99() throws Exception {
    rounds("pause (SIGSTOP of the leader)", new Stall() {
      @Override
      public void begin(JarCluster.Node leader) throws Exception {
        signal(leader, "STOP");
      }

      @Override
      public void end(JarCluster.Node leader) throws Exception {
        signal(leader, "CONT");
      }
    });
  }

  @Test
  void aLeaderCutOffIsReplacedByALeaderThatCommitsWithinThreeSecondsAtP99() throws Exception {
    rounds("partition (the leader cut off)", new Stall() {
      @Override
      public void begin(JarCluster.Node leader) throws Exception {
        cluster.partition(leader.index);
      }

      @Override
      public void end(JarCluster.Node leader) throws Exception {
        cluster.heal(leader.index);
      }
    });
  }

  private interface Stall {
    void begin(JarCluster.Node leader) throws Exception;

    void end(JarCluster.Node leader) throws Exception;
  }

  private void rounds(String what, Stall stall) throws Exception {
    List<Long> samples = new ArrayList<>();
    List<Long> raftSamples = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      JarCluster.Node leader = agreedLeader();
      List<JarCluster.Node> majority = List.of(cluster.other(leader), cluster.other(leader, cluster.other(leader)));
      long term = majority.get(0).status().getJsonObject("raft").getLong("term");
      long[] figures;
      try (Probe probe = new Probe(majority, "stall" + round)) {
        probe.awaitFirstAcknowledged(WHOLE);
        // From the moment the signal is delivered or the last route is in place: a write that started before then
        // may still be committed by the old leader.
        stall.begin(leader);
        long stalledAt = System.nanoTime();
        try {
          figures = awaitCommittingLeader(probe, majority, leader, term, stalledAt, what + " round " + round);
        } finally {
          stall.end(leader);
        }
      }
      samples.add(figures[0]);
      raftSamples.add(figures[1]);
      System.out.printf("%s %d/%d: %s (term %d), raft leader moved after %d ms, first write committed after %d ms%n",
          what, round, ROUNDS, leader.id, term, figures[1], figures[0]);
      cluster.awaitMembersWhole(WHOLE);
      cluster.awaitReplicasEqual(WHOLE);
    }
    List<Long> sorted = new ArrayList<>(samples);
    Collections.sort(sorted);
    long p50 = Percentiles.nearestRank(sorted, 50);
    long p99 = Percentiles.nearestRank(sorted, 99);
    System.out.printf("leader failover by %s -> a leader that commits a write on the majority: n=%d p50=%d ms "
        + "p99=%d ms all=%s; raft leader moved after %s%n", what, sorted.size(), p50, p99, samples, raftSamples);
    assertThat(p99).as("p99 ms from the %s to the first write the majority committed; samples %s", what, samples)
        .isLessThanOrEqualTo(BOUND_MILLIS);
  }

  /** The leader every node names, in Raft and in the log, once they agree (after a round they may not yet). */
  private JarCluster.Node agreedLeader() {
    long deadline = System.nanoTime() + WHOLE.toNanos();
    while (System.nanoTime() < deadline) {
      java.util.Set<String> named = new java.util.HashSet<>();
      for (int i = 0; i < cluster.size(); i++) {
        JsonObject s = statusOrNull(cluster.node(i));
        named.add(s == null ? null : s.getString("leader"));
        named.add(s == null ? null : s.getJsonObject("raft").getString("leader"));
      }
      if (named.size() == 1 && !named.contains(null)) {
        String id = named.iterator().next();
        for (int i = 0; i < cluster.size(); i++) {
          if (cluster.node(i).id.equals(id)) {
            return cluster.node(i);
          }
        }
      }
      JarCluster.pause(100);
    }
    throw new AssertionError("the nodes do not agree on a leader:\n" + cluster.views());
  }

  /** {ms until a write started after the stall is acknowledged, ms until Raft's leader moved on a majority node}. */
  private long[] awaitCommittingLeader(Probe probe, List<JarCluster.Node> majority, JarCluster.Node leader, long term,
      long stalledAt, String round) {
    long raftMillis = -1;
    while (true) {
      long committed = probe.firstAcknowledgedStartedAfter(stalledAt);
      if (raftMillis < 0) {
        for (JarCluster.Node n : majority) {
          JsonObject s = statusOrNull(n);
          JsonObject raft = s == null ? null : s.getJsonObject("raft");
          if (raft != null && raft.getString("leader") != null && !raft.getString("leader").equals(leader.id)
              && raft.getLong("term", 0L) > term) {
            raftMillis = (System.nanoTime() - stalledAt) / 1_000_000;
          }
        }
      }
      if (committed > 0) {
        return new long[] {(committed - stalledAt) / 1_000_000, raftMillis};
      }
      if (System.nanoTime() - stalledAt > GIVE_UP.toNanos()) {
        throw new AssertionError(round + ": no write committed " + GIVE_UP + " after stalling leader " + leader.id
            + ":\n" + cluster.views() + cluster.logs(40));
      }
      JarCluster.pause(5);
    }
  }

  private static JsonObject statusOrNull(JarCluster.Node n) {
    try {
      Http.Response r = Http.get(n.base() + "/v1/status");
      return r.status() == 200 ? r.json() : null;
    } catch (RuntimeException notAnswering) {
      return null;
    }
  }

  private static void signal(JarCluster.Node n, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(n.pid())).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", signal, n.pid()).isZero();
  }


  /**
   * Writes through the given nodes, a new one every 50 ms on each, each on its own thread (so that one waiting on a
   * stalled leader holds up no other), recording when the first write started after a moment was acknowledged.
   */
  private static final class Probe implements AutoCloseable {
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "stall-probe");
      t.setDaemon(true);
      return t;
    });
    private final Thread ticker;
    private final List<long[]> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicLong firstAck = new AtomicLong();
    private volatile boolean running = true;

    Probe(List<JarCluster.Node> nodes, String prefix) {
      ticker = new Thread(() -> {
        while (running) {
          for (JarCluster.Node n : nodes) {
            long startedAt = System.nanoTime();
            String id = prefix + "-" + n.id + "-" + sequence.incrementAndGet();
            pool.execute(() -> write(n, id, startedAt));
          }
          JarCluster.pause(50);
        }
      }, "stall-probe-ticker");
      ticker.setDaemon(true);
      ticker.start();
    }

    private void write(JarCluster.Node n, String id, long startedAt) {
      try {
        Http.Response r = Http.put(n.base() + "/v1/services/" + id, new JsonObject().put("name", "stall")
            .put("address", "10.9.0.1").put("port", 9000).encode());
        if (r.status() >= 200 && r.status() < 300) {
          long at = System.nanoTime();
          acknowledged.add(new long[] {startedAt, at});
          firstAck.compareAndSet(0, at);
        }
      } catch (RuntimeException noAnswer) {
        // a stalled node, or a timeout: only acknowledgements count
      }
    }

    void awaitFirstAcknowledged(Duration within) {
      long deadline = System.nanoTime() + within.toNanos();
      while (firstAck.get() == 0) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("no write acknowledged within " + within);
        }
        JarCluster.pause(10);
      }
    }

    /** When the earliest acknowledgement of a write started after {@code moment} came, or 0 if none yet. */
    long firstAcknowledgedStartedAfter(long moment) {
      synchronized (acknowledged) {
        return acknowledged.stream().filter(a -> a[0] > moment).mapToLong(a -> a[1]).min().orElse(0);
      }
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      ticker.join();
      pool.shutdown();
    }
  }
}
