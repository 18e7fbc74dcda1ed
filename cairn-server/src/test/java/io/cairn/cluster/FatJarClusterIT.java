package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The real fat jar, three processes, the way a user runs it: register through one node, discover through another. */
class FatJarClusterIT {
  private JarCluster cluster;

  @AfterEach
  void stopProcesses() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void threeJarProcessesFormAClusterThatRegistersOnOneAndDiscoversOnAnother() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();
    cluster.awaitAllHealthy(Duration.ofSeconds(90));
    String[] base = {cluster.node(0).base(), cluster.node(1).base(), cluster.node(2).base()};
    String cluster3 = cluster.clusterName();
    String join = cluster.joinList();
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
        Http.get(base[2] + "/v1/nodes").json().getJsonArray("nodes").stream()
            .filter(n -> ((JsonObject) n).getString("status").equals("alive")).count() == 3);

    Http.Response registered = Http.post(base[0] + "/v1/services", new JsonObject()
        .put("name", "checkout").put("address", "127.0.0.1").put("port", 9443).put("version", "3.1.0").encode());
    assertThat(registered.status()).isEqualTo(201);
    String id = registered.json().getString("id");

    await().atMost(Duration.ofSeconds(10)).until(() ->
        Http.get(base[1] + "/v1/services?name=checkout&version=%5E3").json()
            .getJsonArray("services").size() == 1);
    JsonArray found = Http.get(base[1] + "/v1/services?name=checkout").json().getJsonArray("services");
    assertThat(found.getJsonObject(0).getString("id")).isEqualTo(id);
    assertThat(found.getJsonObject(0).getString("node")).isEqualTo("p1");

    // Another JVM (this one) joins the Hazelcast cluster with plain Vert.x, runs no Cairn, and uses the event-bus API.
    io.cairn.config.CairnConfig plainCfg = io.cairn.config.CairnConfig.of(new JsonObject()
        .put("cluster", new JsonObject().put("name", cluster3).put("host", "127.0.0.1").put("port", TestNodes.freePort())
            .put("portAutoIncrement", false).put("join", join)));
    io.vertx.core.Vertx plain = TestNodes.plainMember(plainCfg);
    try {
      java.util.List<JsonObject> events = java.util.Collections.synchronizedList(new ArrayList<>());
      TestNodes.await(plain.eventBus().<JsonObject>consumer(io.cairn.client.RegistryService.EVENTS, m -> events.add(m.body()))
          .completion().toCompletionStage().toCompletableFuture(), 10);
      io.cairn.client.RegistryService registry = io.cairn.client.RegistryService.createProxy(plain);
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
        TestNodes.await(registry.put("ledger-1", new JsonObject().put("name", "ledger").put("address", "127.0.0.1")
            .put("port", 7001), null).toCompletionStage().toCompletableFuture(), 10);
        return events.stream().anyMatch(e -> e.getJsonObject("service") != null
            && "ledger-1".equals(e.getJsonObject("service").getString("id")));
      });
      await().atMost(Duration.ofSeconds(10)).until(() ->
          Http.get(base[2] + "/v1/services/ledger-1").status() == 200);
      JsonObject viaBus = TestNodes.await(registry.discover(new JsonObject().put("name", "checkout"))
          .toCompletionStage().toCompletableFuture(), 10);
      assertThat(viaBus.getJsonArray("services").getJsonObject(0).getString("id")).isEqualTo(id);
    } finally {
      TestNodes.await(plain.close().toCompletionStage().toCompletableFuture(), 30);
    }

    // A node stopped with SIGTERM says goodbye: its peers record it as left, not failed.
    assertThat(cluster.terminate(cluster.node(2), Duration.ofSeconds(30))).as("exit status after SIGTERM").isZero();
    await().atMost(Duration.ofSeconds(20)).until(() ->
        Http.get(base[0] + "/v1/nodes").json().getJsonArray("nodes").stream()
            .map(n -> (JsonObject) n).anyMatch(n -> n.getString("id").equals("p3") && n.getString("status").equals("left")));
  }
}
