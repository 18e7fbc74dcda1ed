package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A node whose join addresses are all dead starts alone, and merges into their cluster when they come up. */
class JoinIT {
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNodeStartedAloneSaysSoRefusesWritesWithoutQuorumAndMergesIntoItsPeersClusterWhenTheyComeUp()
      throws Exception {
    // Quorum 2 without Raft; the Raft variant is the next test.
    cluster = new JarCluster(3, false, "--cluster.quorum=2");
    JarCluster.Node early = cluster.start(0);
    cluster.awaitHealthy(early, Duration.ofSeconds(90));
    assertThat(early.logTail(200)).contains("No member of cluster.join", "runs alone");
    Http.Response alone = register(early, "early-1");
    assertThat(alone.status()).isEqualTo(503);
    assertThat(alone.json().getString("error")).isEqualTo("no-quorum");

    // Its peers come up without knowing it, and form a cluster of their own that takes writes.
    String peersOnly = "--cluster.join=" + cluster.joinList().substring(cluster.joinList().indexOf(',') + 1);
    JarCluster.Node a = cluster.start(1, peersOnly);
    JarCluster.Node b = cluster.start(2, peersOnly);
    cluster.awaitHealthy(a, Duration.ofSeconds(90));
    cluster.awaitHealthy(b, Duration.ofSeconds(90));
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> register(a, "peer-1").status() == 201);

    // The lone node finds them (it knows their addresses), merges, and its replica converges to theirs.
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() ->
        early.aliveCount() == 3 && a.aliveCount() == 3 && early.digest().equals(a.digest()) && a.digest().equals(b.digest()));
    assertThat(Http.get(early.base() + "/v1/services/peer-1").status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> register(early, "early-2").status() == 201);
    await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(b.base() + "/v1/services/early-2").status() == 200);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
        Http.get(early.base() + "/v1/status").json().getString("leader") != null);
  }

  @Test
  void withRaftALoneNodeWaitsForItsPeersAndTheClusterElectsOnceTheyJoinIt() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.members=3");
    JarCluster.Node early = cluster.start(0);
    cluster.awaitHealthy(early, Duration.ofSeconds(90));
    assertThat(early.logTail(200)).contains("runs alone", "writes need 2 members");
    assertThat(register(early, "early-1").json().getString("error")).isEqualTo("no-quorum");
    assertThat(early.status().getString("leader")).as("no leader before Raft has its members").isNull();

    cluster.start(1);
    cluster.start(2);
    cluster.awaitAllHealthy(Duration.ofSeconds(90));
    cluster.awaitWhole(Duration.ofSeconds(90));
    assertThat(register(early, "early-2").status()).isEqualTo(201);
  }

  @Test
  void withRaftNodesThatHazelcastStopsWhileMergingExitSeventyAndFormTheClusterOnceRestarted() throws Exception {
    // The peers do not list the lone node, so they form a cluster of their own while Raft is still forming, and
    // the lone node merges into it. Hazelcast then stops the members whose Raft discovery it upset; each such node
    // exits 70 for its supervisor (this test) to restart it, and restarted nodes form the cluster.
    cluster = new JarCluster(3, false, "--cluster.raft.members=3", "--cluster.raft.missingMemberRemoval=6s");
    JarCluster.Node early = cluster.start(0);
    cluster.awaitHealthy(early, Duration.ofSeconds(90));
    String peersOnly = "--cluster.join=" + cluster.joinList().substring(cluster.joinList().indexOf(',') + 1);
    cluster.start(1, peersOnly);
    cluster.start(2, peersOnly);

    java.util.concurrent.atomic.AtomicInteger restarts = new java.util.concurrent.atomic.AtomicInteger();
    List<String> exits = new java.util.concurrent.CopyOnWriteArrayList<>();
    await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
      for (int i = 0; i < cluster.size(); i++) {
        JarCluster.Node n = cluster.node(i);
        if (!n.running()) {
          // As a supervisor would: restart whatever exited, and say below how each one exited (an assertion here
          // would only be swallowed by ignoreExceptions, and the node never restarted).
          boolean said = n.logTail(5000).contains("exits with status 70");
          exits.add(n.id + " exited " + n.process().exitValue() + (said ? "" : " without saying why"));
          restarts.incrementAndGet();
          cluster.start(i);
          return false;
        }
      }
      return java.util.stream.IntStream.range(0, cluster.size()).allMatch(i -> {
        JarCluster.Node n = cluster.node(i);
        return n.aliveCount() == 3 && n.digest().equals(early.digest()) && n.status().getString("leader") != null;
      });
    });
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> register(early, "joined-1").status() == 201);
    System.out.println("raft start-up merge: " + restarts.get() + " restart(s) by the supervisor: " + exits);
    assertThat(exits).allMatch(e -> e.endsWith(" exited 70"), "each node Hazelcast stopped exited 70, saying why");
  }

  private static Http.Response register(JarCluster.Node n, String id) {
    return Http.put(n.base() + "/v1/services/" + id, new JsonObject().put("name", id.substring(0, id.indexOf('-')))
        .put("address", "127.0.0.1").put("port", 9000).encode());
  }
}
