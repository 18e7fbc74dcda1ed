package io.cairn.proxy;

import io.cairn.support.GeneratedBody;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.NodeJvm;
import io.cairn.support.TestNodes;
import io.cairn.support.Upstreams;
import io.cairn.support.Upstreams.Upstream;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bodies stream through the proxy with back-pressure: a 1 GB upload and a 1 GB download through a node whose heap
 * is 256 MB (-Xmx256m), each arriving whole, the node alive and healthy after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ProxyLargeBodiesIT {
  private static final long GIB = 1L << 30;

  private JarCluster cluster;
  private Upstream upstream;
  private int proxyPort;
  private final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void start() throws Exception {
    // The test run's node flags, with the heap of the contract whatever cairn.it.heap says.
    List<String> flags = new ArrayList<>(NodeJvm.flags().stream().filter(f -> !f.startsWith("-Xmx")).toList());
    flags.add(0, "-Xmx256m");
    proxyPort = TestNodes.freePort();
    cluster = new JarCluster(1, false, "--proxy.port=" + proxyPort).withJvmFlags(flags);
    cluster.start(0);
    upstream = Upstreams.start("BULK");
    cluster.awaitAllHealthy(Duration.ofSeconds(180));
    cluster.awaitWhole(Duration.ofSeconds(180));
    String base = cluster.node(0).base();
    Http.Response registered = Http.put(base + "/v1/services/bulk-1", new JsonObject().put("name", "bulk")
        .put("address", "127.0.0.1").put("port", upstream.port).encode());
    assertThat(registered.status()).as(registered.body()).isIn(200, 201);
    // Generous timeouts: a gigabyte on a loaded machine may take a minute.
    Http.Response route = Http.put(base + "/v1/routes/bulk", "{\"match\":{\"pathPrefix\":\"/bulk/\"},"
        + "\"service\":\"bulk\",\"stripPrefix\":true,\"timeouts\":{\"try\":\"300s\",\"request\":\"300s\"}}");
    assertThat(route.status()).as(route.body()).isIn(200, 201);
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (upstream != null) {
        upstream.stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  @Order(1)
  void aGigabyteUploadPassesThroughANodeWithA256MbHeap() throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = jdk.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort
            + "/bulk/upload")).timeout(Duration.ofSeconds(300)).header("Content-Type", "application/octet-stream")
            .POST(GeneratedBody.of(GIB)).build(),
        HttpResponse.BodyHandlers.ofString());
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("ProxyLargeBodiesIT upload: 1 GiB in %.1f s; node: %s%n", seconds, heap());
    assertThat(r.statusCode()).as(() -> r.body() + "\n" + cluster.node(0).logTail(30)).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getLong("bytes")).as("bytes the upstream received").isEqualTo(GIB);
    assertNodeFine();
  }

  @Test
  @Order(2)
  void aGigabyteDownloadPassesThroughANodeWithA256MbHeap() throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = jdk.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort
            + "/bulk/download?bytes=" + GIB)).timeout(Duration.ofSeconds(300)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    long count = 0;
    try (InputStream in = r.body()) {
      byte[] buf = new byte[256 * 1024];
      int n;
      while ((n = in.read(buf)) != -1) {
        count += n;
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("ProxyLargeBodiesIT download: %d bytes in %.1f s; node: %s%n", count, seconds, heap());
    assertThat(count).as("bytes the client received").isEqualTo(GIB);
    assertNodeFine();
  }

  private void assertNodeFine() {
    JarCluster.Node node = cluster.node(0);
    assertThat(node.running()).as(() -> "the node is alive:\n" + node.logTail(40)).isTrue();
    assertThat(Http.get(node.base() + "/health").status()).isEqualTo(200);
  }

  private String heap() {
    try {
      return String.valueOf(Http.get(cluster.node(0).base() + "/v1/stats").json().getValue("jvm"));
    } catch (RuntimeException e) {
      return "(no stats: " + e + ")";
    }
  }
}
