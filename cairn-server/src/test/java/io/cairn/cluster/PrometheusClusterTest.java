package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.Prometheus;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus in front of a three-node cluster: it finds the nodes through {@code GET /v1/sd/prometheus}
 * (each node registers itself as service {@code cairn}), scrapes them every second, and every panel of
 * {@code conf/grafana/cairn.json} answers with data. Each node runs the proxy, and requests to service {@code cairn}
 * through it (to the nodes' own APIs) feed the Proxy row.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusClusterTest {
  private TestNodes cluster;
  private Prometheus prometheus;
  private final List<TestNodes.Node> nodes = new ArrayList<>();
  private final List<Integer> proxyPorts = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    cluster = new TestNodes(3);
    for (int i = 0; i < 3; i++) {
      proxyPorts.add(TestNodes.freePort());
      nodes.add(cluster.start(i, new JsonObject().put("proxy", new JsonObject().put("port", proxyPorts.get(i)))));
    }
    String first = nodes.get(0).base();
    for (int i = 0; i < 3; i++) {
      TestNodes.Node n = nodes.get(i);
      // Each node as an instance of service "cairn": what Prometheus scrapes. A tcp check on its own port gives
      // the check panels something to show.
      assertThat(Http.put(first + "/v1/services/cairn-" + n.id(), new JsonObject().put("name", "cairn")
          .put("version", "1.2.3").put("address", "127.0.0.1").put("port", n.httpPort()).put("region", "local")
          .put("zone", "z" + (i + 1)).put("tags", new JsonArray().add("metrics"))
          .put("check", new JsonObject().put("type", "tcp").put("interval", "500ms")).encode()).status())
          .isEqualTo(201);
    }
    // Something with another tag and nothing listening: only the tag-filtered job may find it.
    assertThat(Http.put(first + "/v1/services/decoy-1", new JsonObject().put("name", "decoy")
        .put("address", "127.0.0.1").put("port", TestNodes.freePort()).put("tags", new JsonArray().add("other"))
        .encode()).status()).isEqualTo(201);
    String sd = "http://127.0.0.1:" + nodes.get(0).httpPort() + "/v1/sd/prometheus";
    prometheus = Prometheus.start(""
        + "  - job_name: cairn\n"
        + "    http_sd_configs:\n"
        + "      - url: " + sd + "?name=cairn\n"
        + "        refresh_interval: 1s\n"
        + "  - job_name: tagged-other\n"
        + "    http_sd_configs:\n"
        + "      - url: " + sd + "?tag=other\n"
        + "        refresh_interval: 1s\n");
  }

  @AfterAll
  void stop() {
    if (prometheus != null) {
      prometheus.close();
    }
    cluster.close();
  }

  private List<JsonObject> targets(String job) {
    return prometheus.activeTargets().stream().map(t -> (JsonObject) t)
        .filter(t -> job.equals(t.getJsonObject("labels").getString("job"))).toList();
  }

  @Test
  void prometheusDiscoversTheNodesThroughTheSdEndpointWithTheirLabelsAndScrapesThem() {
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      List<JsonObject> found = targets("cairn");
      assertThat(found).hasSize(3);
      assertThat(found).allSatisfy(t -> assertThat(t.getString("health")).as(t.encode()).isEqualTo("up"));
      Map<String, String> zones = found.stream().collect(Collectors.toMap(
          t -> t.getJsonObject("labels").getString("instance"), t -> t.getJsonObject("labels").getString("zone")));
      assertThat(zones).containsOnlyKeys(nodes.stream().map(n -> "127.0.0.1:" + n.httpPort()).toArray(String[]::new));
      assertThat(zones.values()).containsExactlyInAnyOrder("z1", "z2", "z3");
      assertThat(found.get(0).getJsonObject("labels").getMap()).containsEntry("name", "cairn")
          .containsEntry("version", "1.2.3").containsEntry("region", "local").containsEntry("tags", ",metrics,");
    });
    await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
      List<JsonObject> other = targets("tagged-other");
      assertThat(other).hasSize(1);
      assertThat(other.get(0).getJsonObject("labels").getString("name")).isEqualTo("decoy");
    });
  }

  @Test
  void everyPanelOfTheGrafanaDashboardAnswersWithData() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(Path.of("conf/grafana/cairn.json")));
    List<String> queries = new ArrayList<>();
    addQueries(dashboard.getJsonArray("panels"), queries);
    assertThat(queries).hasSizeGreaterThanOrEqualTo(10);
    assertThat(String.join("\n", queries)).as("the Proxy row").contains("cairn_proxy_requests_total",
        "cairn_proxy_request_duration_seconds_bucket", "cairn_proxy_retries_total", "cairn_proxy_active_requests",
        "cairn_proxy_ejections_active", "cairn_proxy_breaker_open");
    // Some traffic for the request-latency panel and the proxy's; the tcp checks run by themselves.
    for (TestNodes.Node n : nodes) {
      Http.get(n.base() + "/v1/services?name=cairn");
    }
    proxyRequests();
    for (String panelQuery : queries) {
      // What Grafana would put in: every job, and a rate window of a few scrapes.
      String promql = panelQuery.replace("$__rate_interval", "15s").replace("$job", ".+");
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        for (TestNodes.Node n : nodes) {
          Http.get(n.base() + "/v1/status");
        }
        proxyRequests();
        JsonObject data = prometheus.query(promql);
        JsonArray result = data.getJsonArray("result");
        assertThat(result).as("%s answered %s", promql, data.encode()).isNotEmpty();
        assertThat(result.stream().map(r -> ((JsonObject) r).getJsonArray("value").getString(1)))
            .as("%s answered %s", promql, data.encode()).anyMatch(v -> !v.equals("NaN"));
      });
    }
  }

  /** The panels' queries; a row's own panels too (a collapsed row holds them), a row itself has none. */
  private static void addQueries(JsonArray panels, List<String> queries) {
    for (Object o : panels) {
      JsonObject panel = (JsonObject) o;
      if ("row".equals(panel.getString("type"))) {
        addQueries(panel.getJsonArray("panels", new JsonArray()), queries);
        continue;
      }
      assertThat(panel.getJsonArray("targets")).as("panel %s", panel.getString("title")).isNotEmpty();
      for (Object t : panel.getJsonArray("targets")) {
        queries.add(((JsonObject) t).getString("expr"));
      }
    }
  }

  /** A request to service cairn (the nodes' own APIs) through each node's proxy. */
  private void proxyRequests() {
    for (int port : proxyPorts) {
      Http.raw("http://127.0.0.1:" + port, "GET", "/v1/status", "cairn.cairn");
    }
  }
}
