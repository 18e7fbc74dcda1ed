package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real network partition: three fat-jar processes, each in a network namespace of its own; the leader is cut
 * off from the other two with blackhole routes, then reconnected.
 */
class PartitionIT {
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theMinorityRefusesWritesServesStaleReadsAndConvergesWithEverythingTheMajorityAcceptedWhenHealed()
      throws Exception {
    cluster = new JarCluster(3, true, "--cluster.raft.members=3");
    cluster.startAll();
    cluster.awaitAllHealthy(Duration.ofSeconds(120));
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> IntStream.range(0, 3).allMatch(i ->
        status(cluster.node(i)).getString("leader") != null && aliveCount(cluster.node(i)) == 3));
    String leaderId = status(cluster.node(0)).getString("leader");
    JarCluster.Node cutOff = IntStream.range(0, 3).mapToObj(cluster::node).filter(n -> n.id.equals(leaderId))
        .findFirst().orElseThrow();
    JarCluster.Node majority = cluster.node(cutOff.index == 0 ? 1 : 0);
    long termBefore = status(majority).getLong("term");
    assertThat(register(majority, "before-1")).isEqualTo(201);

    cluster.partition(cutOff.index);

    // The minority: no quorum, so no writes, no leadership, and reads marked stale.
    await().atMost(Duration.ofSeconds(30)).until(() ->
        !status(cutOff).getJsonObject("quorum").getBoolean("quorate"));
    Http.Response refused = put(cutOff, "minority-1");
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.json().getString("error")).isEqualTo("no-quorum");
    Http.Response stale = Http.get(cutOff.base() + "/v1/services/before-1");
    assertThat(stale.status()).isEqualTo(200);
    assertThat(stale.header("X-Cairn-Stale")).isEqualTo("true");
    assertThat(status(cutOff).getString("role")).isEqualTo("follower");

    // The majority: a new leader with a higher term, and writes accepted.
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      JsonObject s = status(majority);
      return s.getString("leader") != null && !s.getString("leader").equals(leaderId) && s.getLong("term") > termBefore;
    });
    List<String> acknowledged = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      String id = "during-" + i;
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> register(majority, id) == 201);
      acknowledged.add(id);
    }
    assertThat(Http.get(majority.base() + "/v1/services/before-1").header("X-Cairn-Stale")).isNull();

    cluster.heal(cutOff.index);

    await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() ->
        IntStream.range(0, 3).mapToObj(i -> digest(cluster.node(i))).distinct().count() == 1
            && status(cutOff).getJsonObject("quorum").getBoolean("quorate"));
    for (String id : acknowledged) {
      assertThat(Http.get(cutOff.base() + "/v1/services/" + id).status()).as(id).isEqualTo(200);
    }
    assertThat(Http.get(cutOff.base() + "/v1/services/minority-1").status()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> aliveCount(majority) == 3);
  }

  private static JsonObject status(JarCluster.Node n) {
    return Http.get(n.base() + "/v1/status").json();
  }

  private static String digest(JarCluster.Node n) {
    return Http.get(n.base() + "/v1/stats").json().getJsonObject("replica").getString("digest");
  }

  private static long aliveCount(JarCluster.Node n) {
    return Http.get(n.base() + "/v1/nodes").json().getJsonArray("nodes").stream()
        .filter(o -> ((JsonObject) o).getString("status").equals("alive")).count();
  }

  private static Http.Response put(JarCluster.Node n, String id) {
    return Http.put(n.base() + "/v1/services/" + id, new JsonObject().put("name", "part").put("address", "10.0.0.9")
        .put("port", 9000).encode());
  }

  private static int register(JarCluster.Node n, String id) {
    return put(n, id).status();
  }
}
