package io.cairn.consul;

import io.cairn.support.Http;
import io.cairn.support.OneNodeTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.consul.ConsulClient;
import io.vertx.ext.consul.ConsulClientOptions;
import io.vertx.ext.consul.ServiceEntryList;
import io.vertx.ext.consul.ServiceOptions;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.consul.ConsulServiceImporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Vert.x's own Consul client and its service-discovery bridge, unchanged, against a Cairn node. */
class ConsulClientsTest extends OneNodeTest {
  private Vertx vertx;

  @BeforeAll
  void startClientVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  void stopClientVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void vertxConsulClientRegistersDiscoversAndDeregisters() throws Exception {
    ConsulClient consul = ConsulClient.create(vertx, new ConsulClientOptions().setHost("127.0.0.1")
        .setPort(node.httpPort()));
    String name = unique("orders");
    consul.registerService(new ServiceOptions().setId(name + "-1").setName(name).setAddress("10.1.1.1").setPort(8080)
        .setTags(List.of("blue"))).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    ServiceEntryList found = consul.healthServiceNodes(name, true).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    assertThat(found.getList()).hasSize(1);
    assertThat(found.getList().get(0).getService().getAddress()).isEqualTo("10.1.1.1");
    assertThat(found.getList().get(0).getService().getPort()).isEqualTo(8080);
    assertThat(found.getList().get(0).getService().getTags()).containsExactly("blue");
    assertThat(found.getIndex()).isPositive();
    assertThat(consul.catalogServices().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).getList())
        .anySatisfy(s -> assertThat(s.getName()).isEqualTo(name));

    consul.deregisterService(name + "-1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(consul.healthServiceNodes(name, false).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS).getList()).isEmpty();
    consul.close();
  }

  @Test
  void vertxServiceDiscoveryImportsCairnsServicesThroughItsConsulBridge() {
    String name = unique("catalog");
    String id = name + "-1";
    Http.Response r = Http.put(node.base() + "/v1/services/" + id, new JsonObject().put("name", name)
        .put("address", "127.0.0.1").put("port", 9301).put("tags", new JsonArray().add("http-endpoint")).encode());
    assertThat(r.status()).isEqualTo(201);

    ServiceDiscovery discovery = ServiceDiscovery.create(vertx);
    try {
      discovery.registerServiceImporter(new ConsulServiceImporter(), new JsonObject().put("host", "127.0.0.1")
          .put("port", node.httpPort()).put("scan-period", 300));
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        List<Record> records = records(discovery, name);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).getType()).isEqualTo("http-endpoint");
        assertThat(records.get(0).getLocation().getString("host")).isEqualTo("127.0.0.1");
        assertThat(records.get(0).getLocation().getInteger("port")).isEqualTo(9301);
      });

      // Drained: no longer passing, so the bridge (which imports passing instances) drops it.
      assertThat(Http.post(node.base() + "/v1/services/" + id + "/drain", "").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(records(discovery, name)).isEmpty());
    } finally {
      discovery.close();
    }
  }

  private static List<Record> records(ServiceDiscovery discovery, String name) throws Exception {
    return discovery.getRecords(new JsonObject().put("name", name)).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }
}
