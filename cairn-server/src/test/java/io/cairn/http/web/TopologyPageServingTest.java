package io.cairn.http.web;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page's files at {@code /}, and the cross-origin answers that let a page served by one node of the cluster
 * follow the cluster to another node (and nobody else's page read the API).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TopologyPageServingTest {
  private TestNodes cluster;
  private String base;
  private String otherNode;

  @BeforeAll
  void start() {
    cluster = new TestNodes(2);
    base = cluster.start(0).base();
    otherNode = cluster.start(1).base();
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  @Test
  void servesThePageAndItsModulesAtTheRoot() {
    Http.Response page = Http.get(base + "/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).startsWith("text/html");
    assertThat(page.body()).contains("<script type=\"module\" src=\"app.js\"></script>");
    Http.Response module = Http.get(base + "/app.js");
    assertThat(module.status()).isEqualTo(200);
    assertThat(module.header("Content-Type")).contains("javascript");
    // The API's own 404 stays JSON: the files do not swallow unknown API paths.
    Http.Response unknown = Http.get(base + "/v1/nothing-here");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().getString("error")).isEqualTo("not_found");
    assertThat(Http.get(base + "/no-such-file.js").status()).isEqualTo(404);
  }

  @Test
  void aPageFromAnotherNodeOfTheClusterMayReadAndActOnTheApi() {
    Http.Response nodes = Http.withHeaders("GET", base + "/v1/nodes", Map.of("Origin", otherNode));
    assertThat(nodes.status()).isEqualTo(200);
    assertThat(nodes.header("Access-Control-Allow-Origin")).isEqualTo(otherNode);
    assertThat(nodes.header("Access-Control-Expose-Headers")).contains("X-Cairn-Revision");

    Http.Response preflight = Http.withHeaders("OPTIONS", base + "/v1/services/x/disable", Map.of("Origin", otherNode,
        "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization"));
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.header("Access-Control-Allow-Methods")).contains("POST");
    assertThat(preflight.header("Access-Control-Allow-Headers")).contains("Authorization");

    // The same node under another loopback name (a page opened at localhost).
    String localhost = "http://localhost:" + URI.create(otherNode).getPort();
    assertThat(Http.withHeaders("GET", base + "/v1/nodes", Map.of("Origin", localhost))
        .header("Access-Control-Allow-Origin")).isEqualTo(localhost);
  }

  @Test
  void aPageFromElsewhereGetsNoCrossOriginPermission() {
    Http.Response nodes = Http.withHeaders("GET", base + "/v1/nodes", Map.of("Origin", "http://evil.example"));
    assertThat(nodes.header("Access-Control-Allow-Origin")).isNull();
    Http.Response preflight = Http.withHeaders("OPTIONS", base + "/v1/services/x/disable",
        Map.of("Origin", "http://evil.example", "Access-Control-Request-Method", "POST"));
    assertThat(preflight.header("Access-Control-Allow-Origin")).isNull();
    assertThat(preflight.status()).isNotEqualTo(204);
  }
}
