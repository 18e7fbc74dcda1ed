package io.cairn.health;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Flap damping belongs to one registration: an instance deregistered while held as flapping and registered again
 * under the same id (a deploy loop restarting a service) starts with no history. The flapping window is a minute
 * here, so that a re-registration that inherited the old history would stay out of discovery far longer than the
 * bound below, however slow the machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlapHistoryTest {
  private TestNodes cluster;
  private String base;
  private Vertx servers;

  @BeforeAll
  void start() {
    cluster = new TestNodes(1);
    base = cluster.start(0, new JsonObject().put("checks", new JsonObject()
        .put("flapping", new JsonObject().put("maxTransitions", 3).put("window", "60s")))).base();
    servers = Vertx.vertx();
  }

  @AfterAll
  void stop() {
    cluster.close();
    servers.close();
  }

  private JsonObject instance(String id) {
    return Http.get(base + "/v1/services/" + id).json();
  }

  private void register(String id, int port) {
    JsonObject body = new JsonObject().put("name", "deploy-loop").put("address", "127.0.0.1").put("port", port)
        .put("check", new JsonObject().put("type", "http").put("path", "/health").put("interval", "200ms")
            .put("timeout", "150ms").put("failuresBeforeUnhealthy", 1).put("successesBeforeHealthy", 1));
    Http.Response r = Http.put(base + "/v1/services/" + id, body.encode());
    assertThat(r.status()).as(r.body()).isIn(200, 201);
  }

  @Test
  void anInstanceRegisteredAgainAfterFlappingStartsWithNoHistory() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    AtomicBoolean alternate = new AtomicBoolean(true);
    HttpServer target = TestNodes.await(servers.createHttpServer().requestHandler(req -> req.response()
        .setStatusCode(alternate.get() && calls.incrementAndGet() % 2 == 0 ? 500 : 200).end())
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    String id = "deploy-loop-1";
    register(id, target.actualPort());
    await().atMost(Duration.ofSeconds(20)).until(() -> "flapping".equals(instance(id).getString("healthReason")));
    assertThat(instance(id).getString("health")).isEqualTo("degraded");

    // The service is restarted: it deregisters, comes back answering 200, and registers again under its id.
    alternate.set(false);
    assertThat(Http.delete(base + "/v1/services/" + id).status()).isEqualTo(200);
    register(id, target.actualPort());

    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
        .until(() -> "healthy".equals(instance(id).getString("health")));
    assertThat(instance(id).getString("healthReason")).isNotEqualTo("flapping");
    assertThat(Http.get(base + "/v1/services?name=deploy-loop").json().getJsonArray("services"))
        .as("back in discovery").hasSize(1);
    TestNodes.await(target.close().toCompletionStage().toCompletableFuture(), 10);
  }
}
