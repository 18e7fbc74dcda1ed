package io.cairn.client.discovery;

import io.cairn.support.Http;
import io.cairn.support.OneNodeTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.Status;
import io.vertx.servicediscovery.types.HttpEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Vert.x application that knows only a stock {@code ServiceDiscovery} and Cairn's importer and exporter: it reaches
 * Cairn's instances through {@code HttpEndpoint.getWebClient}, and its own records show up in Cairn.
 */
class ServiceDiscoveryBridgeTest extends OneNodeTest {
  private Vertx app;

  @BeforeAll
  void startApplication() {
    app = Vertx.vertx();
  }

  @AfterAll
  void stopApplication() throws Exception {
    app.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private JsonObject cairn() {
    return new JsonObject().put("nodes", new JsonArray().add("127.0.0.1:" + node.httpPort()));
  }

  private HttpServer server(String answer) throws Exception {
    return app.createHttpServer().requestHandler(r -> r.response().end(answer)).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void anApplicationReachesAHealthyInstanceThroughHttpEndpointAndStopsReachingItOnceItDrains() throws Exception {
    String name = unique("greeter");
    HttpServer greeter = server("hello from " + name);
    assertThat(Http.put(base + "/v1/services/" + name + "-1", new JsonObject().put("name", name)
        .put("address", "127.0.0.1").put("port", greeter.actualPort()).encode()).status()).isEqualTo(201);

    ServiceDiscovery discovery = ServiceDiscovery.create(app);
    try {
      discovery.registerServiceImporter(new CairnServiceImporter(), cairn().put("names", new JsonArray().add(name)))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      JsonObject filter = new JsonObject().put("name", name);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        WebClient web = HttpEndpoint.getWebClient(discovery, filter).toCompletionStage().toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
        try {
          assertThat(web.get("/").send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
              .bodyAsString()).isEqualTo("hello from " + name);
        } finally {
          ServiceDiscovery.releaseServiceObject(discovery, web);
        }
      });

      assertThat(Http.post(base + "/v1/services/" + name + "-1/drain", "").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(catchFailure(() ->
          HttpEndpoint.getWebClient(discovery, filter).toCompletionStage().toCompletableFuture()
              .get(30, TimeUnit.SECONDS))).isNotNull());
      Record drained = discovery.getRecord(r -> r.getName().equals(name), true).toCompletionStage()
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(drained.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);

      // Deregistered: the record goes.
      assertThat(Http.delete(base + "/v1/services/" + name + "-1").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(discovery.getRecord(
          r -> r.getName().equals(name), true).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS))
          .isNull());
    } finally {
      discovery.close();
      greeter.close();
    }
  }

  @Test
  void recordsPublishedInAServiceDiscoveryAreRegisteredInCairnAndLeaveWithThem() throws Exception {
    String name = unique("exported");
    ServiceDiscovery discovery = ServiceDiscovery.create(app);
    try {
      discovery.registerServiceExporter(new CairnServiceExporter(), cairn().put("ttl", "5s"))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Record published = discovery.publish(HttpEndpoint.createRecord(name, "127.0.0.1", 9555, "/api"))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        JsonArray found = Http.get(base + "/v1/services?name=" + name).json().getJsonArray("services");
        assertThat(found).hasSize(1);
        assertThat(found.getJsonObject(0).getInteger("port")).isEqualTo(9555);
        assertThat(found.getJsonObject(0).getString("health")).isEqualTo("healthy");
      });
      // Kept alive: still healthy after more than its ttl.
      Thread.sleep(6_000);
      assertThat(Http.get(base + "/v1/services?name=" + name).json().getJsonArray("services")).hasSize(1);

      discovery.unpublish(published.getRegistration()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
          Http.get(base + "/v1/services?name=" + name + "&status=any").json().getJsonArray("services")).isEmpty());
    } finally {
      discovery.close();
    }
  }

  private static Throwable catchFailure(java.util.concurrent.Callable<?> call) {
    try {
      call.call();
      return null;
    } catch (Exception e) {
      return e;
    }
  }
}
