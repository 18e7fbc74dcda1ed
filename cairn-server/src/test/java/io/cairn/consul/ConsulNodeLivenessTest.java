package io.cairn.consul;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A service's Consul answers show the liveness of the node its instances were registered through (the serfHealth
 * check): a client blocked on the service wakes, with a higher index, when that node leaves.
 */
class ConsulNodeLivenessTest {
  private TestNodes cluster;

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aBlockedHealthQueryWakesWhenTheNodeOfItsInstancesLeaves() throws Exception {
    cluster = new TestNodes(3);
    TestNodes.Node first = cluster.start(0);
    cluster.start(1);
    TestNodes.Node third = cluster.start(2);
    await().atMost(Duration.ofSeconds(120)).until(() ->
        Http.get(first.base() + "/v1/status").json().getJsonObject("raft").getJsonArray("voters").size() == 3);
    JsonObject instance = new JsonObject().put("ID", "liveness-1").put("Name", "liveness").put("Address", "127.0.0.1")
        .put("Port", 7300).put("Check", new JsonObject().put("TTL", "10m"));
    assertThat(Http.put(third.base() + "/v1/agent/service/register", instance.encode()).status()).isEqualTo(200);
    String query = first.base() + "/v1/health/service/liveness";
    await().atMost(Duration.ofSeconds(60)).until(() -> new JsonArray(Http.get(query + "?passing").body()).size() == 1);
    Http.Response before = Http.get(query);
    long index = Long.parseLong(before.header("X-Consul-Index"));

    CompletableFuture<Http.Response> waiting = CompletableFuture.supplyAsync(() ->
        Http.get(query + "?index=" + index + "&wait=100s"));
    cluster.stop(third);
    Http.Response woken = waiting.get(90, TimeUnit.SECONDS);
    assertThat(Long.parseLong(woken.header("X-Consul-Index"))).isGreaterThan(index);
    JsonObject serf = new JsonArray(woken.body()).getJsonObject(0).getJsonArray("Checks").getJsonObject(0);
    assertThat(serf.getString("CheckID")).isEqualTo("serfHealth");
    assertThat(serf.getString("Status")).isEqualTo("critical");
    assertThat(new JsonArray(Http.get(query + "?passing").body())).isEmpty();
  }
}
