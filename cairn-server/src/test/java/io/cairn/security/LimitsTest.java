package io.cairn.security;

import io.cairn.support.Http;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hardening limits of conf/cairn.yaml, per caller: writes per second (429 with Retry-After), open streams, the
 * size of request heads, and the time a new connection has to send its first request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
  private static final String BUSY = "busy-writer-secret";
  private static final String CALM = "calm-writer-secret";
  private TestNodes cluster;
  private TestNodes.Node node;

  @BeforeAll
  void start() throws Exception {
    Path tokens = SecurityFiles.tokens(BUSY, "busy", CALM, "calm");
    cluster = new TestNodes(1).withToken(CALM);
    node = cluster.start(0, new JsonObject()
        .put("http", new JsonObject().put("maxHeaderBytes", 4096).put("idleTimeout", "5s"))
        .put("security", new JsonObject().put("tokensFile", tokens.toString())
            .put("limits", new JsonObject().put("writesPerSecond", 5).put("writeBurst", 5).put("streamsPerCaller", 2))));
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  private Http.Response put(String token, String id) {
    return Http.send("PUT", node.base() + "/v1/services/" + id, Map.of("Authorization", "Bearer " + token),
        new JsonObject().put("name", "limited").put("address", "127.0.0.1").put("port", 1000).encode());
  }

  @Test
  void aCallerWritingFasterThanItsRateIsToldToRetryLaterAndOthersAreNotSlowed() {
    List<Integer> statuses = new ArrayList<>();
    Http.Response limited = null;
    for (int i = 0; i < 30 && limited == null; i++) {
      Http.Response r = put(BUSY, "busy-" + i);
      statuses.add(r.status());
      if (r.status() == 429) {
        limited = r;
      }
    }
    assertThat(limited).as("30 writes at once against a rate of 5/s: " + statuses).isNotNull();
    assertThat(limited.json().getString("error")).isEqualTo("rate_limited");
    assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 5L);
    // Another caller has its own budget, and the busy one gets writes through again once it waited.
    assertThat(put(CALM, "calm-1").status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
        .until(() -> put(BUSY, "busy-later").status() < 300);
  }

  @Test
  void aCallerHoldsAtMostItsShareOfStreamsAndGetsAPlaceBackWhenOneCloses() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    List<HttpResponse<InputStream>> open = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      HttpResponse<InputStream> r = sse(http);
      assertThat(r.statusCode()).isEqualTo(200);
      open.add(r);
    }
    HttpResponse<InputStream> third = sse(http);
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(new String(third.body().readAllBytes(), StandardCharsets.UTF_8)).contains("too_many_streams");
    open.get(0).body().close();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      HttpResponse<InputStream> again = sse(http);
      again.body().close();
      return again.statusCode() == 200;
    });
    open.get(1).body().close();
  }

  private HttpResponse<InputStream> sse(HttpClient http) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(node.base() + "/v1/events?token=" + CALM)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }

  @Test
  void aRequestHeadLargerThanTheLimitIsRefusedWithoutHarm() throws Exception {
    String big = "x".repeat(8192);
    Http.Response r = Http.send("GET", node.base() + "/v1/status", Map.of("Authorization", "Bearer " + CALM,
        "X-Padding", big), null);
    assertThat(r.status()).isEqualTo(431);
    assertThat(Http.send("GET", node.base() + "/v1/status", Map.of("Authorization", "Bearer " + CALM), null).status())
        .isEqualTo(200);
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeoutWhileAQuietStreamStaysOpen() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<java.util.stream.Stream<String>> stream = http.send(HttpRequest.newBuilder(
        URI.create(node.base() + "/v1/events?token=" + CALM)).build(), HttpResponse.BodyHandlers.ofLines());
    List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> stream.body().forEach(lines::add));
    reader.setDaemon(true);
    reader.start();
    try (Socket idle = new Socket("127.0.0.1", node.httpPort()); Socket slow = new Socket("127.0.0.1", node.httpPort())) {
      idle.setSoTimeout(60_000);
      slow.setSoTimeout(60_000);
      // One sends nothing at all; the other a request line and then nothing (slowloris).
      slow.getOutputStream().write("GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(idle.getInputStream().read()).as("closed by the node").isEqualTo(-1);
      assertThat(slow.getInputStream().read()).as("closed by the node").isEqualTo(-1);
    }
    // The stream, quiet all along, got keep-alives and is still open: a write reaches it.
    assertThat(put(CALM, "after-idle").status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(20)).until(() -> lines.stream().anyMatch(l -> l.contains("after-idle")));
    stream.body().close();
    assertThat(Http.get(node.base() + "/health").status()).isEqualTo(200);
  }
}
