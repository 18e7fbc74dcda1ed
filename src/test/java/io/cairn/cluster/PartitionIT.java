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
    cluster = new JarCluster(3, true, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();
    cluster.awaitAllHealthy(Duration.ofSeconds(120));
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> IntStream.range(0, 3).allMatch(i ->
        cluster.node(i).status().getString("leader") != null && cluster.node(i).aliveCount() == 3));
    JarCluster.Node cutOff = cluster.leader();
    JarCluster.Node majority = cluster.other(cutOff);
    long termBefore = majority.status().getLong("term");
    assertThat(register(majority, "before-1")).isEqualTo(201);

    cluster.partition(cutOff.index);

    // The minority: no quorum, so no writes, no leadership, and reads marked stale.
    await().atMost(Duration.ofSeconds(30)).until(() ->
        !cutOff.status().getJsonObject("quorum").getBoolean("quorate"));
    Http.Response refused = put(cutOff, "minority-1");
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.json().getString("error")).isEqualTo("no-quorum");
    Http.Response stale = Http.get(cutOff.base() + "/v1/services/before-1");
    assertThat(stale.status()).isEqualTo(200);
    assertThat(stale.header("X-Cairn-Stale")).isEqualTo("true");
    assertThat(cutOff.status().getString("role")).isEqualTo("follower");

    // The majority: a new leader with a higher term, and writes accepted.
    majority.awaitNewLeader(cutOff.id, termBefore, Duration.ofSeconds(30));
    List<String> acknowledged = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      String id = "during-" + i;
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> register(majority, id) == 201);
      acknowledged.add(id);
    }
    assertThat(Http.get(majority.base() + "/v1/services/before-1").header("X-Cairn-Stale")).isNull();

    cluster.heal(cutOff.index);

    await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() ->
        IntStream.range(0, 3).mapToObj(i -> cluster.node(i).digest()).distinct().count() == 1
            && cutOff.status().getJsonObject("quorum").getBoolean("quorate"));
    for (String id : acknowledged) {
      assertThat(Http.get(cutOff.base() + "/v1/services/" + id).status()).as(id).isEqualTo(200);
    }
    assertThat(Http.get(cutOff.base() + "/v1/services/minority-1").status()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> majority.aliveCount() == 3);
  }

  private static Http.Response put(JarCluster.Node n, String id) {
    return Http.put(n.base() + "/v1/services/" + id, new JsonObject().put("name", "part").put("address", "10.0.0.9")
        .put("port", 9000).encode());
  }

  private static int register(JarCluster.Node n, String id) {
    return put(n, id).status();
  }
}
