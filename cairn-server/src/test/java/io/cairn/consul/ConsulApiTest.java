package io.cairn.consul;

import io.cairn.support.Http;
import io.cairn.support.OneNodeTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Consul's HTTP API on a real node, as Consul's clients call it (bodies, parameters, headers, answers). */
class ConsulApiTest extends OneNodeTest {

  /** Registers as curl -d does: a JSON body sent as a form, which Consul takes as JSON. */
  private void register(JsonObject definition) {
    Http.Response r = Http.send("PUT", base + "/v1/agent/service/register", "application/x-www-form-urlencoded",
        definition.encode().getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  private static long index(Http.Response r) {
    return Long.parseLong(r.header("X-Consul-Index"));
  }

  @Test
  void aServiceRegisteredWithConsulsDefinitionIsListedInTheCatalogAndItsHealth() {
    String name = unique("web");
    register(new JsonObject().put("id", name + "-1").put("NAME", name).put("Tags", new JsonArray().add("v1").add("http"))
        .put("Address", "10.0.0.7").put("port", 8080).put("Meta", new JsonObject().put("team", "core").put("empty", ""))
        .put("Weights", new JsonObject().put("Passing", 3).put("Warning", 1)).put("EnableTagOverride", null)
        .put("Check", null));
    register(new JsonObject().put("ID", name + "-2").put("Name", name).put("Tags", new JsonArray().add("v2"))
        .put("Address", "10.0.0.8").put("Port", 8080));

    Http.Response catalog = Http.get(base + "/v1/catalog/services");
    assertThat(catalog.status()).isEqualTo(200);
    assertThat(index(catalog)).isPositive();
    assertThat(catalog.header("X-Consul-KnownLeader")).isEqualTo("true");
    assertThat(catalog.header("X-Consul-LastContact")).isEqualTo("0");
    assertThat(catalog.json().getJsonArray(name).getList()).containsExactly("http", "v1", "v2");

    Http.Response health = Http.get(base + "/v1/health/service/" + name);
    assertThat(health.status()).isEqualTo(200);
    JsonArray entries = new JsonArray(health.body());
    assertThat(entries).hasSize(2);
    JsonObject first = entries.getJsonObject(0);
    JsonObject service = first.getJsonObject("Service");
    assertThat(service.getString("ID")).isEqualTo(name + "-1");
    assertThat(service.getString("Service")).isEqualTo(name);
    assertThat(service.getString("Address")).isEqualTo("10.0.0.7");
    assertThat(service.getInteger("Port")).isEqualTo(8080);
    assertThat(service.getJsonArray("Tags").getList()).containsExactly("v1", "http");
    assertThat(service.getJsonObject("Meta").getMap()).isEqualTo(Map.of("team", "core"));
    assertThat(service.getJsonObject("Weights").getInteger("Passing")).isEqualTo(3);
    assertThat(first.getJsonObject("Node").getString("Node")).isEqualTo("n1");
    assertThat(first.getJsonObject("Node").getString("Datacenter")).isEqualTo("dc1");
    JsonArray checks = first.getJsonArray("Checks");
    assertThat(checks.stream().map(c -> ((JsonObject) c).getString("CheckID")))
        .containsExactly("serfHealth", "service:" + name + "-1");
    assertThat(checks.stream().map(c -> ((JsonObject) c).getString("Status"))).containsOnly("passing");

    JsonArray flat = new JsonArray(Http.get(base + "/v1/catalog/service/" + name + "?tag=v2").body());
    assertThat(flat).hasSize(1);
    assertThat(flat.getJsonObject(0).getString("ServiceID")).isEqualTo(name + "-2");
    assertThat(flat.getJsonObject(0).getString("ServiceAddress")).isEqualTo("10.0.0.8");
    assertThat(flat.getJsonObject(0).getInteger("ServicePort")).isEqualTo(8080);

    // Service names are matched without regard to case, as in Consul; repeated tags must all match.
    assertThat(new JsonArray(Http.get(base + "/v1/health/service/" + name.toUpperCase() + "?tag=v1&tag=http").body()))
        .hasSize(1);
    assertThat(new JsonArray(Http.get(base + "/v1/health/service/" + name + "?tag=v1&tag=v2").body())).isEmpty();
    // Tags too, as Consul compares them.
    assertThat(new JsonArray(Http.get(base + "/v1/health/service/" + name + "?tag=V2").body())).hasSize(1);
  }

  @Test
  void anUnknownServiceIsAnEmptyListAndAnIndexOfAtLeastOne() {
    Http.Response r = Http.get(base + "/v1/health/service/" + unique("nothing"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(new JsonArray(r.body())).isEmpty();
    assertThat(index(r)).isGreaterThanOrEqualTo(1);
    assertThat(new JsonArray(Http.get(base + "/v1/catalog/service/" + unique("nothing")).body())).isEmpty();
  }

  @Test
  void passingKeepsOnlyInstancesWhoseEveryCheckPasses() {
    String name = unique("ttl");
    for (int i = 1; i <= 3; i++) {
      register(new JsonObject().put("ID", name + "-" + i).put("Name", name).put("Address", "127.0.0.1").put("Port", 9000 + i)
          .put("Checks", new JsonArray().add(new JsonObject().put("TTL", "30s").put("DeregisterCriticalServiceAfter", "10m"))));
    }
    // Consul's clients URL-encode the check id's colon.
    assertThat(Http.put(base + "/v1/agent/check/warn/service%3A" + name + "-2?note=slow%20disk", "").status())
        .isEqualTo(200);
    assertThat(Http.put(base + "/v1/agent/check/fail/service:" + name + "-3", "").status()).isEqualTo(200);

    JsonArray all = new JsonArray(Http.get(base + "/v1/health/service/" + name).body());
    assertThat(all).hasSize(3);
    assertThat(statuses(all)).containsExactly("passing", "warning", "critical");
    assertThat(all.getJsonObject(1).getJsonArray("Checks").getJsonObject(1).getString("Output")).contains("slow disk");
    for (String yes : List.of("passing", "passing=1", "passing=true", "passing=")) {
      assertThat(ids(Http.get(base + "/v1/health/service/" + name + "?" + yes))).as(yes).containsExactly(name + "-1");
    }
    assertThat(ids(Http.get(base + "/v1/health/service/" + name + "?passing=false"))).hasSize(3);

    JsonArray critical = new JsonArray(Http.get(base + "/v1/health/state/critical").body());
    assertThat(critical.stream().map(c -> ((JsonObject) c).getString("CheckID"))).contains("service:" + name + "-3")
        .doesNotContain("service:" + name + "-1", "service:" + name + "-2");
    JsonArray checks = new JsonArray(Http.get(base + "/v1/health/checks/" + name).body());
    assertThat(checks).hasSize(3);

    // A pass makes it passing again.
    assertThat(Http.put(base + "/v1/agent/check/pass/service:" + name + "-3", "").status()).isEqualTo(200);
    assertThat(statuses(new JsonArray(Http.get(base + "/v1/health/service/" + name).body())))
        .containsExactly("passing", "warning", "passing");
    assertThat(Http.put(base + "/v1/agent/check/pass/web-check", "").status()).isEqualTo(404);
  }

  @Test
  void maintenanceModeShowsACriticalCheckUntilItIsTurnedOff() {
    String name = unique("maint");
    register(new JsonObject().put("ID", name + "-1").put("Name", name).put("Address", "127.0.0.1").put("Port", 7001));
    assertThat(Http.put(base + "/v1/agent/service/maintenance/" + name + "-1?enable=true&reason=deploy", "").status())
        .isEqualTo(200);
    JsonArray entries = new JsonArray(Http.get(base + "/v1/health/service/" + name).body());
    assertThat(entries.getJsonObject(0).getJsonArray("Checks").stream().map(c -> ((JsonObject) c).getString("CheckID")))
        .contains("_service_maintenance:" + name + "-1");
    assertThat(ids(Http.get(base + "/v1/health/service/" + name + "?passing"))).isEmpty();
    assertThat(Http.put(base + "/v1/agent/service/maintenance/" + name + "-1?enable=false", "").status()).isEqualTo(200);
    assertThat(ids(Http.get(base + "/v1/health/service/" + name + "?passing"))).containsExactly(name + "-1");
    assertThat(Http.put(base + "/v1/agent/service/maintenance/" + name + "-1", "").status()).isEqualTo(400);
  }

  @Test
  void aBlockingQueryWaitsForAChangeAndTheIndexNeverGoesBack() throws Exception {
    String name = unique("block");
    register(new JsonObject().put("ID", name + "-1").put("Name", name).put("Address", "127.0.0.1").put("Port", 7100));
    register(new JsonObject().put("ID", name + "-2").put("Name", name).put("Address", "127.0.0.1").put("Port", 7101));
    Http.Response first = Http.get(base + "/v1/health/service/" + name);
    long index = index(first);

    // No change within the wait: the same answer and index after the wait.
    long started = System.nanoTime();
    Http.Response unchanged = Http.get(base + "/v1/health/service/" + name + "?index=" + index + "&wait=1s");
    assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(Duration.ofMillis(900).toNanos());
    assertThat(index(unchanged)).isEqualTo(index);
    assertThat(unchanged.body()).isEqualTo(first.body());

    // Another service's change does not wake it; a deregistration does, with a higher index.
    CompletableFuture<Http.Response> waiting = CompletableFuture.supplyAsync(() ->
        Http.get(base + "/v1/health/service/" + name + "?index=" + index + "&wait=120000ms"));
    register(new JsonObject().put("ID", unique("other")).put("Name", unique("other")).put("Address", "127.0.0.1").put("Port", 1));
    Thread.sleep(300); // a wrong wake-up would have answered by now; the assertion below still holds if it did not
    assertThat(waiting).isNotDone();
    assertThat(Http.put(base + "/v1/agent/service/deregister/" + name + "-2", "").status()).isEqualTo(200);
    Http.Response woken = waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(index(woken)).isGreaterThan(index);
    assertThat(ids(woken)).containsExactly(name + "-1");

    // The last instance gone: the empty answer's index still moves forward.
    assertThat(Http.put(base + "/v1/agent/service/deregister/" + name + "-1", "").status()).isEqualTo(200);
    Http.Response gone = Http.get(base + "/v1/health/service/" + name + "?index=" + index(woken) + "&wait=30s");
    assertThat(new JsonArray(gone.body())).isEmpty();
    assertThat(index(gone)).isGreaterThan(index(woken));

    // No index, index 0, and an index above the current one answer at once.
    for (String q : List.of("", "?index=0&wait=1m", "?index=" + (index(gone) + 1000) + "&wait=1m")) {
      long t0 = System.nanoTime();
      assertThat(Http.get(base + "/v1/health/service/" + name + q).status()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as(q).isLessThan(Duration.ofSeconds(20));
    }
  }

  @Test
  void whatCairnDoesNotSupportIsRefusedAsConsulWould() {
    assertThat(Http.get(base + "/v1/catalog/services?dc=elsewhere").status()).isEqualTo(500);
    assertThat(Http.get(base + "/v1/catalog/services?dc=dc1").status()).isEqualTo(200);
    Http.Response filter = Http.get(base + "/v1/health/service/x?filter=Service.Port%3D%3D80");
    assertThat(filter.status()).isEqualTo(400);
    assertThat(filter.body()).contains("filter");
    Http.Response twoChecks = Http.put(base + "/v1/agent/service/register", new JsonObject().put("Name", unique("two"))
        .put("Port", 80).put("Checks", new JsonArray().add(new JsonObject().put("TTL", "10s"))
            .add(new JsonObject().put("TTL", "20s"))).encode());
    assertThat(twoChecks.status()).isEqualTo(400);
    assertThat(twoChecks.body()).contains("one check per instance");
    assertThat(Http.put(base + "/v1/agent/service/register", "{not json").status()).isEqualTo(400);
    assertThat(Http.put(base + "/v1/agent/service/register", new JsonObject().put("Name", unique("hdr"))
        .put("Address", "127.0.0.1").put("Port", 80).put("Check", new JsonObject().put("HTTP", "http://127.0.0.1/")
            .put("Header", new JsonObject().put("X-Count", new JsonArray().add(1)))).encode()).status()).isEqualTo(400);
    assertThat(Http.put(base + "/v1/agent/service/register", new JsonObject().put("Name", unique("noport")).encode())
        .status()).isEqualTo(400);
    assertThat(Http.get(base + "/v1/health/state/sideways").status()).isEqualTo(400);
    assertThat(Http.get(base + "/v1/health/service/x?wait=forever&index=5").status()).isEqualTo(400);
    assertThat(Http.put(base + "/v1/agent/service/deregister/" + unique("absent"), "").status()).isEqualTo(404);
  }

  @Test
  void theAgentAndStatusEndpointsNameTheDatacenterNodeAndLeader() {
    JsonObject self = Http.get(base + "/v1/agent/self").json();
    assertThat(self.getJsonObject("Config").getString("Datacenter")).isEqualTo("dc1");
    assertThat(self.getJsonObject("Config").getString("NodeName")).isEqualTo("n1");
    Http.Response leader = Http.get(base + "/v1/status/leader");
    assertThat(leader.status()).isEqualTo(200);
    assertThat((String) io.vertx.core.json.Json.decodeValue(leader.body())).isNotEmpty();
    assertThat(new JsonArray(Http.get(base + "/v1/catalog/datacenters").body()).getList()).containsExactly("dc1");
    for (String path : List.of("/v1/agent/self", "/v1/status/leader", "/v1/catalog/datacenters", "/v1/catalog/nodes")) {
      assertThat(Long.parseLong(Http.get(base + path).header("X-Consul-Index"))).as(path).isPositive();
    }
  }

  private static List<String> statuses(JsonArray entries) {
    return entries.stream().map(e -> ((JsonObject) e).getJsonArray("Checks").getJsonObject(1).getString("Status")).toList();
  }

  private static List<String> ids(Http.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return new JsonArray(r.body()).stream().map(e -> ((JsonObject) e).getJsonObject("Service").getString("ID")).toList();
  }
}
