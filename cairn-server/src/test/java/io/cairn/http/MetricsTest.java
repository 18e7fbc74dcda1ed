package io.cairn.http;

import io.cairn.support.Http;
import io.cairn.support.Prometheus;
import io.cairn.support.SseStream;
import io.cairn.support.OneNodeTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code /metrics} of a real node: the figures an operator graphs, in text promtool accepts, with bounded labels. */
class MetricsTest extends OneNodeTest {

  private String metrics() {
    Http.Response r = Http.get(base + "/metrics");
    assertThat(r.status()).isEqualTo(200);
    return r.body();
  }

  /** The value of the one sample whose name and labels start with {@code series}, or -1 when there is none. */
  private static double value(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }

  @Test
  void promtoolAcceptsTheExposition() throws Exception {
    // Some traffic first, so that the HTTP, route and check families have samples.
    Http.get(base + "/v1/services");
    Http.get(base + "/v1/status");
    assertThat(Prometheus.checkMetrics(metrics())).isEmpty();
  }

  @Test
  void everyFigureOfTheIssueIsThere() {
    Http.get(base + "/v1/status");
    String m = metrics();
    for (String family : new String[] {"cairn_services{", "cairn_service_registrations_total",
        "cairn_service_deregistrations_total", "cairn_leader_elections_total", "cairn_is_leader",
        "cairn_raft_term", "cairn_cluster_size", "cairn_raft_commit_index", "cairn_raft_applied_index",
        "cairn_watchers{", "cairn_connected_agents", "vertx_http_server_response_time_seconds_bucket",
        "jvm_memory_used_bytes"}) {
      assertThat(m).as(family).contains(family);
    }
    assertThat(value(m, "cairn_is_leader{node=\"n1\"}")).isEqualTo(1);
    assertThat(value(m, "cairn_cluster_size{node=\"n1\"}")).isEqualTo(1);
    assertThat(value(m, "cairn_raft_term{node=\"n1\"}")).isPositive();
    assertThat(value(m, "cairn_leader_elections_total{node=\"n1\"}")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void registrationsDeregistrationsAndInstancesByHealthAreCounted() {
    String m = metrics();
    double registered = value(m, "cairn_service_registrations_total{node=\"n1\"}");
    double deregistered = value(m, "cairn_service_deregistrations_total{node=\"n1\"}");
    double healthy = value(m, "cairn_services{health=\"healthy\",node=\"n1\"}");
    String id = "counted-" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(Http.put(base + "/v1/services/" + id, new JsonObject().put("name", "counted")
        .put("address", "127.0.0.1").put("port", 9).encode()).status()).isEqualTo(201);
    m = metrics();
    assertThat(value(m, "cairn_service_registrations_total{node=\"n1\"}")).isEqualTo(registered + 1);
    assertThat(value(m, "cairn_services{health=\"healthy\",node=\"n1\"}")).isEqualTo(healthy + 1);
    assertThat(Http.delete(base + "/v1/services/" + id).status()).isEqualTo(200);
    m = metrics();
    assertThat(value(m, "cairn_service_deregistrations_total{node=\"n1\"}")).isEqualTo(deregistered + 1);
    assertThat(value(m, "cairn_services{health=\"healthy\",node=\"n1\"}")).isEqualTo(healthy);
  }

  @Test
  void healthCheckRunsAreCountedByTypeAndResultAndTimed() throws Exception {
    try (ServerSocket listening = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      String id = "probed-" + UUID.randomUUID().toString().substring(0, 8);
      assertThat(Http.put(base + "/v1/services/" + id, new JsonObject().put("name", "probed")
          .put("address", "127.0.0.1").put("port", listening.getLocalPort())
          .put("check", new JsonObject().put("type", "tcp").put("interval", "200ms").put("timeout", "100ms")).encode())
          .status()).isEqualTo(201);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        String m = metrics();
        assertThat(value(m, "cairn_health_checks_total{node=\"n1\",result=\"healthy\",type=\"tcp\"}")).isPositive();
        assertThat(value(m, "cairn_health_check_duration_seconds_count{node=\"n1\",type=\"tcp\"}")).isPositive();
        assertThat(m).contains("cairn_health_check_duration_seconds_bucket{node=\"n1\",type=\"tcp\",le=\"0.001\"}");
      });
      Http.delete(base + "/v1/services/" + id);
    }
  }

  @Test
  void openWatchesAreCountedByKind() {
    try (SseStream sse = SseStream.open(node.vertx(), base + "/v1/events", null)) {
      await().atMost(Duration.ofSeconds(30))
          .until(() -> value(metrics(), "cairn_watchers{kind=\"sse\",node=\"n1\"}") == 1);
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> value(metrics(), "cairn_watchers{kind=\"sse\",node=\"n1\"}") == 0);
  }

  @Test
  void requestLatencyIsByRouteTemplateAndUnknownPathsAddNoLabel() {
    String unknown = "no-such-" + UUID.randomUUID().toString().substring(0, 8);
    Http.get(base + "/v1/services/" + unknown);
    Http.get(base + "/" + unknown);
    Http.get(base + "/v1/" + unknown + "/x");
    String m = metrics();
    assertThat(m).doesNotContain(unknown);
    assertThat(m).contains("route=\"/v1/services/:id\"");
    Matcher routes = Pattern.compile("vertx_http_server_response_time_seconds_count\\{[^}]*route=\"([^\"]*)\"").matcher(m);
    java.util.Set<String> seen = new java.util.TreeSet<>();
    while (routes.find()) {
      seen.add(routes.group(1));
    }
    assertThat(seen).contains("/v1/services/:id", "unmatched", "page")
        .allMatch(r -> r.equals("unmatched") || r.equals("page") || r.startsWith("/"));
    assertThat(seen).noneMatch(r -> r.contains(">") || r.equals("/v1/"));
  }

  @Test
  void theSdEndpointGroupsTargetsByServiceAndFiltersByNameAndTag() {
    String name = "sd-" + UUID.randomUUID().toString().substring(0, 8);
    register(name + "-1", name, "1.0.0", 7001, "eu-1", "web", "blue");
    register(name + "-2", name, "1.0.0", 7002, "eu-1", "blue", "web");
    register(name + "-3", name, "2.0.0", 7003, "eu-2", "web");
    register(name + "-x", name + "-other", "1.0.0", 7004, "eu-1", "web");
    Http.Response r = Http.get(base + "/v1/sd/prometheus?name=" + name);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    JsonArray groups = new JsonArray(r.body());
    assertThat(groups).hasSize(2);
    JsonObject v1 = group(groups, "1.0.0");
    assertThat(v1.getJsonArray("targets").getList()).containsExactlyInAnyOrder("127.0.0.1:7001", "127.0.0.1:7002");
    assertThat(v1.getJsonObject("labels").getMap()).containsEntry("name", name).containsEntry("zone", "eu-1")
        .containsEntry("region", "eu").containsEntry("tags", ",blue,web,");
    assertThat(group(groups, "2.0.0").getJsonArray("targets").getList()).containsExactly("127.0.0.1:7003");

    JsonArray tagged = new JsonArray(Http.get(base + "/v1/sd/prometheus?name=" + name + "&tag=blue").body());
    assertThat(tagged).hasSize(1);
    assertThat(tagged.getJsonObject(0).getJsonArray("targets")).hasSize(2);
    assertThat(new JsonArray(Http.get(base + "/v1/sd/prometheus?tag=web").body()).stream()
        .map(g -> ((JsonObject) g).getJsonObject("labels").getString("name")))
        .contains(name, name + "-other");
  }

  @Test
  void theSdEndpointRefusesWhatItDoesNotTakeWithTheApiErrorModel() {
    Http.Response r = Http.get(base + "/v1/sd/prometheus?version=1");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getString("error")).isEqualTo("unknown_parameter");
    assertThat(r.json().getString("field")).isEqualTo("version");
  }

  private static JsonObject group(JsonArray groups, String version) {
    return groups.stream().map(g -> (JsonObject) g)
        .filter(g -> version.equals(g.getJsonObject("labels").getString("version"))).findFirst().orElseThrow();
  }

  private void register(String id, String name, String version, int port, String zone, String... tags) {
    assertThat(Http.put(base + "/v1/services/" + id, new JsonObject().put("name", name).put("version", version)
        .put("address", "127.0.0.1").put("port", port).put("region", "eu").put("zone", zone)
        .put("tags", new JsonArray(java.util.List.of(tags))).encode()).status()).isEqualTo(201);
  }

  @Test
  void aRequestIdIsAnsweredBackAndMadeUpWhenTheClientSentNone() {
    assertThat(Http.withHeaders("GET", base + "/v1/status", java.util.Map.of("X-Request-Id", "abc-123"))
        .header("X-Request-Id")).isEqualTo("abc-123");
    String made = Http.get(base + "/v1/status").header("X-Request-Id");
    assertThat(made).isNotBlank().isNotEqualTo(Http.get(base + "/v1/status").header("X-Request-Id"));
    assertThat(Http.withHeaders("GET", base + "/v1/status", java.util.Map.of("X-Request-Id", "long".repeat(20)))
        .header("X-Request-Id")).doesNotContain("long");
  }
}
