package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The registry's quota is the leader's rule as well as the receiving node's (issue 21): a node whose own setting would
 * let a registration through still gets 507 insufficient_storage when the leader's quota is full, and every node holds
 * the same instances afterwards.
 */
class QuotaClusterTest {
  private static final JsonObject QUOTA_3 = new JsonObject().put("registry", new JsonObject().put("maxInstances", 3));
  private TestNodes cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theLeaderRefusesRegistrationsPastItsQuotaFromANodeWithoutOne() {
    cluster = new TestNodes(3);
    // n1 forms the group and leads; n2 and n3 join it. n3 has no quota of its own.
    List<TestNodes.Node> nodes = new ArrayList<>();
    nodes.add(cluster.start(0, QUOTA_3));
    nodes.add(cluster.start(1, QUOTA_3));
    TestNodes.Node unlimited = cluster.start(2, new JsonObject().put("registry", new JsonObject().put("maxInstances", 0)));
    nodes.add(unlimited);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> Http.get(unlimited.base() + "/v1/status")
        .json().getJsonObject("raft").getJsonArray("voters").size() == 3);
    assertThat(Http.get(unlimited.base() + "/v1/status").json().getString("leader")).isNotEqualTo(unlimited.id());

    List<Integer> statuses = new ArrayList<>();
    Http.Response refused = null;
    for (int i = 1; i <= 5; i++) {
      Http.Response r = Http.put(unlimited.base() + "/v1/services/q-" + i, new JsonObject().put("name", "q")
          .put("address", "10.0.0.1").put("port", 8000 + i).encode());
      statuses.add(r.status());
      if (r.status() == 507) {
        refused = r;
      }
    }
    assertThat(statuses).as("registrations through the node without a quota").containsExactly(201, 201, 201, 507, 507);
    assertThat(refused.json().getString("error")).isEqualTo("insufficient_storage");
    assertThat(refused.json().getString("message")).contains("registry.maxInstances");
    // An update of an instance the registry holds is no new instance: it goes through.
    assertThat(Http.put(unlimited.base() + "/v1/services/q-1", new JsonObject().put("name", "q")
        .put("address", "10.0.0.2").put("port", 8001).encode()).status()).isEqualTo(200);
    for (TestNodes.Node n : nodes) {
      await().atMost(Duration.ofSeconds(30)).until(() ->
          Http.get(n.base() + "/v1/services?status=any").json().getJsonArray("services").size() == 3);
    }
  }
}
