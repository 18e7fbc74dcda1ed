package io.cairn.http;

import io.cairn.support.Http;
import io.cairn.support.OneNodeTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every REST endpoint of a real node, as a client uses it. Bad input is covered by {@link BadInputTest}. */
class RestApiTest extends OneNodeTest {

  private static String instance(String name, int port) {
    return new JsonObject().put("name", name).put("address", "127.0.0.1").put("port", port).encode();
  }

  @Test
  void aConsistentReadAnswersWithWhatWasCommittedBeforeIt() {
    String name = unique("linear");
    Http.Response written = Http.put(base + "/v1/services/" + name + "-1", instance(name, 7000));
    assertThat(written.status()).isEqualTo(201);
    Http.Response one = Http.get(base + "/v1/services/" + name + "-1?consistent=true");
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.revisionHeader()).isGreaterThanOrEqualTo(written.json().getLong("revision"));
    Http.Response found = Http.get(base + "/v1/services?name=" + name + "&consistent");
    assertThat(found.status()).isEqualTo(200);
    assertThat(found.json().getInteger("count")).isEqualTo(1);
    assertThat(Http.get(base + "/v1/services?name=" + name + "&consistent=false").json().getInteger("count")).isEqualTo(1);
  }

  @Test
  void postRegistersAndAnswers201WithTheInstanceItsRevisionAndLocation() {
    String name = unique("web");
    Http.Response r = Http.post(base + "/v1/services", new JsonObject().put("name", name).put("address", "10.1.2.3")
        .put("port", 8443).put("version", "1.2.3").put("tags", new JsonArray().add("https"))
        .put("metadata", new JsonObject().put("team", "core")).put("region", "eu").put("zone", "eu-1").put("weight", 5).encode());
    assertThat(r.status()).isEqualTo(201);
    JsonObject e = r.json();
    assertThat(e.getString("id")).startsWith(name + "-");
    assertThat(e.getString("health")).isEqualTo("healthy");
    assertThat(e.getString("node")).isEqualTo("n1");
    assertThat(e.getInteger("weight")).isEqualTo(5);
    assertThat(e.getLong("revision")).isEqualTo(r.revisionHeader()).isPositive();
    assertThat(r.headers().firstValue("Location")).hasValue("/v1/services/" + e.getString("id"));
    Http.Response got = Http.get(base + "/v1/services/" + e.getString("id"));
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json().getString("address")).isEqualTo("10.1.2.3");
    assertThat(got.revisionHeader()).isGreaterThanOrEqualTo(e.getLong("revision"));
  }

  @Test
  void postWithAnExistingIdIsAConflict() {
    String id = unique("dup");
    String body = new JsonObject(instance("dup", 80)).put("id", id).encode();
    assertThat(Http.post(base + "/v1/services", body).status()).isEqualTo(201);
    Http.Response again = Http.post(base + "/v1/services", body);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().getString("error")).isEqualTo("already_exists");
  }

  @Test
  void putRegistersThenReplaces() {
    String id = unique("put");
    Http.Response created = Http.put(base + "/v1/services/" + id, instance("put", 80));
    assertThat(created.status()).isEqualTo(201);
    Http.Response replaced = Http.put(base + "/v1/services/" + id, instance("put", 81));
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.json().getInteger("port")).isEqualTo(81);
    assertThat(replaced.json().getLong("revision")).isGreaterThan(created.json().getLong("revision"));
  }

  @Test
  void putWithCasAnswers409WhenTheInstanceChangedAfterThatRevision() {
    String id = unique("cas");
    long first = Http.put(base + "/v1/services/" + id, instance("cas", 80)).json().getLong("revision");
    Http.Response ok = Http.put(base + "/v1/services/" + id + "?cas=" + first, instance("cas", 81));
    assertThat(ok.status()).isEqualTo(200);
    Http.Response stale = Http.put(base + "/v1/services/" + id + "?cas=" + first, instance("cas", 82));
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.json().getString("error")).isEqualTo("cas_failed");
    assertThat(Http.get(base + "/v1/services/" + id).json().getInteger("port")).isEqualTo(81);
    assertThat(Http.put(base + "/v1/services/" + unique("cas") + "?cas=0", instance("cas", 80)).status()).isEqualTo(201);
    assertThat(Http.put(base + "/v1/services/" + id + "?cas=0", instance("cas", 80)).status()).isEqualTo(409);
  }

  @Test
  void deleteDeregisters() {
    String id = unique("del");
    long registered = Http.put(base + "/v1/services/" + id, instance("del", 80)).json().getLong("revision");
    Http.Response r = Http.delete(base + "/v1/services/" + id);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("id")).isEqualTo(id);
    assertThat(r.revisionHeader()).as("the revision that holds the deregistration").isGreaterThan(registered);
    assertThat(Http.get(base + "/v1/services/" + id).status()).isEqualTo(404);
    Http.Response again = Http.delete(base + "/v1/services/" + id);
    assertThat(again.status()).isEqualTo(404);
    assertThat(again.json().getString("error")).isEqualTo("not_found");
  }

  @Test
  void discoveryFiltersByEveryCriterion() {
    String name = unique("disc");
    register(name, "a", "1.2.0", List.of("http", "blue"), new JsonObject().put("team", "x"), "eu", "eu-1");
    register(name, "b", "1.9.1", List.of("http"), new JsonObject().put("team", "y"), "eu", "eu-2");
    register(name, "c", "2.0.0", List.of("http", "blue"), new JsonObject().put("team", "x"), "us", "us-1");
    assertThat(ids("name=" + name)).containsExactly(name + "-a", name + "-b", name + "-c");
    assertThat(ids("name=" + name + "&version=1.2.0")).containsExactly(name + "-a");
    assertThat(ids("name=" + name + "&version=%5E1.2")).containsExactly(name + "-a", name + "-b");
    assertThat(ids("name=" + name + "&version=%3E%3D1.5%20%3C3")).containsExactly(name + "-b", name + "-c");
    assertThat(ids("name=" + name + "&tag=http&tag=blue")).containsExactly(name + "-a", name + "-c");
    assertThat(ids("name=" + name + "&region=eu")).containsExactly(name + "-a", name + "-b");
    assertThat(ids("name=" + name + "&zone=us-1")).containsExactly(name + "-c");
    assertThat(ids("name=" + name + "&meta.team=x")).containsExactly(name + "-a", name + "-c");
    assertThat(ids("name=" + name + "&node=n1")).hasSize(3);
    assertThat(ids("name=" + name + "&node=n9")).isEmpty();
    assertThat(ids("name=" + name + "&status=healthy")).hasSize(3);
    assertThat(ids("name=" + name + "&status=unhealthy")).isEmpty();
  }

  @Test
  void discoveryByDefaultHidesDisabledAndDrainingInstancesAndStatusAnyShowsThem() {
    String name = unique("rot");
    register(name, "a", "1.0.0", List.of(), new JsonObject(), null, null);
    register(name, "b", "1.0.0", List.of(), new JsonObject(), null, null);
    register(name, "c", "1.0.0", List.of(), new JsonObject(), null, null);
    assertThat(Http.post(base + "/v1/services/" + name + "-a/disable", "").status()).isEqualTo(200);
    Http.Response drained = Http.post(base + "/v1/services/" + name + "-b/drain", "");
    assertThat(drained.json().getBoolean("draining")).isTrue();
    assertThat(ids("name=" + name)).containsExactly(name + "-c");
    assertThat(ids("name=" + name + "&status=any")).containsExactly(name + "-a", name + "-b", name + "-c");
    assertThat(ids("name=" + name + "&status=passing")).containsExactly(name + "-c");
    Http.Response enabled = Http.post(base + "/v1/services/" + name + "-a/enable", "");
    assertThat(enabled.json().getBoolean("enabled")).isTrue();
    assertThat(ids("name=" + name)).containsExactly(name + "-a", name + "-c");
    assertThat(Http.post(base + "/v1/services/nope-" + name + "/enable", "").status()).isEqualTo(404);
  }

  @Test
  void everyReadCarriesTheRevisionInBodyAndHeader() {
    String name = unique("rev");
    long written = register(name, "a", "1.0.0", List.of(), new JsonObject(), null, null);
    Http.Response r = Http.get(base + "/v1/services?name=" + name);
    assertThat(r.json().getLong("revision")).isEqualTo(r.revisionHeader()).isGreaterThanOrEqualTo(written);
    for (String path : List.of("/v1/status", "/v1/nodes", "/v1/topology", "/v1/stats")) {
      Http.Response view = Http.get(base + path);
      assertThat(view.status()).as(path).isEqualTo(200);
      assertThat(view.json().getLong("revision")).as(path).isEqualTo(view.revisionHeader()).isGreaterThanOrEqualTo(written);
    }
  }

  @Test
  void aCachedDiscoveryAnswerChangesAsSoonAsItsServiceChanges() {
    String name = unique("cache");
    register(name, "a", "1.0.0", List.of(), new JsonObject(), null, null);
    assertThat(ids("name=" + name)).containsExactly(name + "-a");
    assertThat(ids("name=" + name)).containsExactly(name + "-a");
    register(name, "b", "1.0.0", List.of(), new JsonObject(), null, null);
    assertThat(ids("name=" + name)).containsExactly(name + "-a", name + "-b");
    Http.delete(base + "/v1/services/" + name + "-a");
    assertThat(ids("name=" + name)).containsExactly(name + "-b");
  }

  @Test
  void bulkRegistersManyWithAResultPerItem() {
    String name = unique("bulk");
    JsonArray items = new JsonArray()
        .add(new JsonObject(instance(name, 1)).put("id", name + "-1"))
        .add(new JsonObject().put("name", name).put("address", "127.0.0.1").put("port", 70000))
        .add(new JsonObject(instance(name, 3)).put("id", name + "-3"));
    Http.Response r = Http.post(base + "/v1/services:bulk", items.encode());
    assertThat(r.status()).isEqualTo(200);
    JsonArray results = r.json().getJsonArray("results");
    assertThat(results.getJsonObject(0).getInteger("status")).isEqualTo(201);
    assertThat(results.getJsonObject(1).getInteger("status")).isEqualTo(400);
    assertThat(results.getJsonObject(1).getString("field")).isEqualTo("port");
    assertThat(results.getJsonObject(2).getInteger("status")).isEqualTo(201);
    assertThat(ids("name=" + name)).containsExactly(name + "-1", name + "-3");
    Http.Response wrapped = Http.post(base + "/v1/services:bulk",
        new JsonObject().put("services", new JsonArray().add(new JsonObject(instance(name, 1)).put("id", name + "-1"))).encode());
    assertThat(wrapped.json().getJsonArray("results").getJsonObject(0).getInteger("status")).isEqualTo(200);
  }

  @Test
  void aTtlInstanceStaysHealthyWhileItHeartbeatsThenTurnsUnhealthyThenIsDeregistered() {
    String id = unique("ttl");
    JsonObject body = new JsonObject(instance("ttl", 80)).put("ttl", "2s")
        .put("check", new JsonObject().put("type", "ttl").put("deregisterAfter", "1s"));
    assertThat(Http.put(base + "/v1/services/" + id, body.encode()).status()).isEqualTo(201);
    long until = System.currentTimeMillis() + 3000;
    while (System.currentTimeMillis() < until) {
      Http.Response hb = Http.put(base + "/v1/services/" + id + "/heartbeat", "");
      assertThat(hb.status()).isEqualTo(200);
      assertThat(Http.get(base + "/v1/services/" + id).json().getString("health")).isEqualTo("healthy");
      pause(200); // a client heartbeating every 200ms, well inside its 2s ttl
    }
    await().atMost(Duration.ofSeconds(10)).until(() ->
        "unhealthy".equals(Http.get(base + "/v1/services/" + id).json().getString("health")));
    assertThat(ids("name=ttl&status=unhealthy")).contains(id);
    await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(base + "/v1/services/" + id).status() == 404);
  }

  @Test
  void aHeartbeatRevivesAnUnhealthyTtlInstance() {
    String id = unique("revive");
    Http.put(base + "/v1/services/" + id, new JsonObject(instance("revive", 80)).put("ttl", "500ms").encode());
    await().atMost(Duration.ofSeconds(5)).until(() ->
        "unhealthy".equals(Http.get(base + "/v1/services/" + id).json().getString("health")));
    Http.Response hb = Http.put(base + "/v1/services/" + id + "/heartbeat", "");
    assertThat(hb.status()).isEqualTo(200);
    assertThat(hb.json().getString("health")).isEqualTo("healthy");
    assertThat(Http.get(base + "/v1/services/" + id).json().getString("health")).isEqualTo("healthy");
  }

  @Test
  void heartbeatsForUnknownOrNonTtlInstancesAreRefused() {
    assertThat(Http.put(base + "/v1/services/" + unique("none") + "/heartbeat", "").status()).isEqualTo(404);
    String id = unique("nottl");
    Http.put(base + "/v1/services/" + id, instance("nottl", 80));
    Http.Response r = Http.put(base + "/v1/services/" + id + "/heartbeat", "");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getString("error")).isEqualTo("not_ttl");
  }

  @Test
  void statusNodesTopologyAndStatsDescribeTheNodeAndCluster() {
    String name = unique("topo");
    register(name, "a", "1.0.0", List.of(), new JsonObject(), "mars", "crater");
    JsonObject status = Http.get(base + "/v1/status").json();
    assertThat(status.getString("node")).isEqualTo("n1");
    assertThat(status.getBoolean("ready")).isTrue();
    assertThat(status.getString("leader")).isEqualTo("n1");
    assertThat(status.getBoolean("isLeader")).isTrue();
    JsonArray nodes = Http.get(base + "/v1/nodes").json().getJsonArray("nodes");
    assertThat(nodes).hasSize(1);
    assertThat(nodes.getJsonObject(0).getString("status")).isEqualTo("alive");
    assertThat(nodes.getJsonObject(0).getBoolean("leader")).isTrue();
    JsonObject topology = Http.get(base + "/v1/topology").json();
    assertThat(topology.getString("leader")).isEqualTo("n1");
    assertThat(topology.getJsonObject("byRegion").getInteger("mars")).isEqualTo(1);
    assertThat(topology.getJsonObject("byZone").getInteger("crater")).isEqualTo(1);
    assertThat(topology.getJsonObject("byStatus").getInteger("healthy")).isPositive();
    assertThat(topology.getJsonObject("byNode").getInteger("n1")).isEqualTo(topology.getInteger("total"));
    JsonObject stats = Http.get(base + "/v1/stats").json();
    assertThat(stats.getJsonObject("replica").getInteger("services")).isEqualTo(topology.getInteger("total"));
    assertThat(stats.getJsonObject("log").getLong("commandsAppended")).isPositive();
    assertThat(stats.getJsonObject("cache").fieldNames()).contains("hits", "misses", "entries");
  }

  @Test
  void concurrentWritesShareRaftEntries() throws Exception {
    JsonObject before = Http.get(base + "/v1/stats").json().getJsonObject("log");
    String name = unique("batch");
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(32);
    try {
      List<java.util.concurrent.Future<Integer>> statuses = new java.util.ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String id = name + "-" + i;
        statuses.add(pool.submit(() -> Http.put(base + "/v1/services/" + id, instance(name, 8000)).status()));
      }
      for (java.util.concurrent.Future<Integer> status : statuses) {
        assertThat(status.get()).isEqualTo(201);
      }
    } finally {
      pool.shutdownNow();
    }
    JsonObject after = Http.get(base + "/v1/stats").json().getJsonObject("log");
    long commands = after.getLong("commandsAppended") - before.getLong("commandsAppended");
    long calls = after.getLong("appendCalls") - before.getLong("appendCalls");
    // Housekeeping of earlier tests' ttl instances may append a few commands of its own meanwhile.
    assertThat(commands).isGreaterThanOrEqualTo(400);
    assertThat(calls).as("%d commands in %d Raft entries", commands, calls).isLessThan(commands * 3 / 4);
    assertThat(ids("name=" + name + "&status=any")).hasSize(400);
  }

  @Test
  void healthSaysReadyAndMetricsSpeakPrometheus() {
    Http.Response health = Http.get(base + "/health");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().getString("status")).isEqualTo("ready");
    Http.Response metrics = Http.get(base + "/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("cairn_services{health=\"healthy\",node=\"n1\"}").contains("cairn_log_commands_applied_total");
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private long register(String name, String suffix, String version, List<String> tags, JsonObject meta, String region, String zone) {
    JsonObject body = new JsonObject().put("name", name).put("address", "10.0.0.1").put("port", 8080)
        .put("version", version).put("tags", new JsonArray(tags)).put("metadata", meta);
    if (region != null) {
      body.put("region", region);
    }
    if (zone != null) {
      body.put("zone", zone);
    }
    Http.Response r = Http.put(base + "/v1/services/" + name + "-" + suffix, body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().getLong("revision");
  }

  private List<String> ids(String query) {
    Http.Response r = Http.get(base + "/v1/services?" + query);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray services = r.json().getJsonArray("services");
    assertThat(r.json().getInteger("count")).isEqualTo(services.size());
    return services.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }
}
