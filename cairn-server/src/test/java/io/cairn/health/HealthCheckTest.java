package io.cairn.health;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.server.GrpcServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health checks against real servers started here: an HTTP server whose answer the test switches, a TCP listener,
 * a gRPC server with the standard health service, and the echo plugin's server. One Cairn node runs the checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthCheckTest {
  /** How long a change the test made may take to show: generous, since only the outcome is asserted, not the time. */
  private static final Duration EVENTUALLY = Duration.ofSeconds(20);
  private TestNodes cluster;
  private String base;
  private Vertx servers;
  private HttpServer http;
  /** What the HTTP server answers: 200, 500, 429, or "slow" (answers 200 after a second). */
  private final AtomicReference<String> mode = new AtomicReference<>("200");
  private final List<Long> requestTimes = new CopyOnWriteArrayList<>();
  private final AtomicReference<String> lastUserAgent = new AtomicReference<>();
  private final AtomicBoolean grpcServing = new AtomicBoolean(true);
  private int grpcPort;
  private int echoPort;

  @BeforeAll
  void start() {
    cluster = new TestNodes(1);
    base = cluster.start(0, new JsonObject().put("checks", new JsonObject()
        .put("flapping", new JsonObject().put("maxTransitions", 3).put("window", "3s"))
        .put("backoff", new JsonObject().put("max", "1600ms")))).base();
    servers = Vertx.vertx();
    http = TestNodes.await(servers.createHttpServer().requestHandler(req -> {
      requestTimes.add(System.currentTimeMillis());
      lastUserAgent.set(req.getHeader("User-Agent"));
      String m = mode.get();
      if (m.equals("slow")) {
        servers.setTimer(1000, t -> req.response().setStatusCode(200).end("late"));
      } else {
        req.response().setStatusCode(Integer.parseInt(m)).end();
      }
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    GrpcServer grpc = GrpcServer.server(servers);
    grpc.addService(HealthService.create(servers).register("payments.Ledger",
        () -> Future.succeededFuture(grpcServing.get())));
    grpcPort = TestNodes.await(servers.createHttpServer(new HttpServerOptions()).requestHandler(grpc)
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10).actualPort();
    NetServer echo = TestNodes.await(servers.createNetServer().connectHandler(socket -> socket.handler(data ->
        socket.write(data.toString().startsWith("PING") ? "PONG\n" : "WHAT\n"))).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture(), 10);
    echoPort = echo.actualPort();
  }

  @AfterAll
  void stop() {
    cluster.close();
    servers.close();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private String register(String id, int port, JsonObject check) {
    JsonObject body = new JsonObject().put("name", id.substring(0, id.lastIndexOf('-'))).put("address", "127.0.0.1")
        .put("port", port).put("check", check);
    Http.Response r = Http.put(base + "/v1/services/" + id, body.encode());
    assertThat(r.status()).as(r.body()).isIn(200, 201);
    return id;
  }

  private JsonObject instance(String id) {
    return Http.get(base + "/v1/services/" + id).json();
  }

  private String health(String id) {
    return instance(id).getString("health");
  }

  private void awaitHealth(String id, String health, Duration within) {
    await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> health(id).equals(health));
  }

  private JsonObject httpCheck(String interval) {
    return httpCheck(interval, "300ms");
  }

  private JsonObject httpCheck(String interval, String timeout) {
    return new JsonObject().put("type", "http").put("path", "/health").put("interval", interval)
        .put("timeout", timeout).put("failuresBeforeUnhealthy", 2).put("successesBeforeHealthy", 1);
  }

  @Test
  void anHttpCheckFollowsTheServerThroughErrorsTimeoutsAndRateLimitingWithItsThresholds() {
    mode.set("200");
    String id = register(unique("web"), http.actualPort(), httpCheck("400ms"));
    awaitHealth(id, "healthy", EVENTUALLY);
    JsonObject healthy = instance(id);
    assertThat(healthy.getJsonObject("lastCheck").getString("output")).isEqualTo("HTTP 200 OK");
    assertThat(healthy.getJsonObject("lastCheck").getString("node")).isEqualTo("n1");
    assertThat(healthy.getJsonObject("lastCheck").getLong("durationMillis")).isNotNegative();
    assertThat(lastUserAgent.get()).contains("Cairn/").contains("node n1");

    mode.set("500");
    long failingSince = System.currentTimeMillis();
    awaitHealth(id, "unhealthy", EVENTUALLY);
    assertThat(System.currentTimeMillis() - failingSince).as("two failures in a row, not one")
        .isGreaterThanOrEqualTo(400);
    assertThat(instance(id).getString("healthReason")).isEqualTo("HTTP 500 Internal Server Error");

    mode.set("200");
    awaitHealth(id, "healthy", EVENTUALLY);
    mode.set("slow");
    awaitHealth(id, "unhealthy", EVENTUALLY);
    assertThat(instance(id).getString("healthReason")).isEqualTo("timed out after 300ms");

    mode.set("429");
    awaitHealth(id, "degraded", Duration.ofSeconds(10));
    assertThat(instance(id).getString("healthReason")).startsWith("HTTP 429");
    mode.set("200");
    awaitHealth(id, "healthy", EVENTUALLY);
  }

  @Test
  void anHttpsCheckVerifiesTheCertificateUnlessToldNotToAndSendsItsHeaders() {
    io.vertx.core.net.SelfSignedCertificate cert = io.vertx.core.net.SelfSignedCertificate.create("localhost");
    HttpServer https = TestNodes.await(servers.createHttpServer(new HttpServerOptions().setSsl(true)
            .setKeyCertOptions(cert.keyCertOptions()))
        .requestHandler(req -> req.response().setStatusCode("cairn".equals(req.getHeader("X-Probe")) ? 200 : 401).end())
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    JsonObject check = new JsonObject().put("type", "http").put("path", "/health").put("tls", true)
        .put("interval", "500ms").put("timeout", "450ms").put("failuresBeforeUnhealthy", 1)
        .put("headers", new JsonObject().put("X-Probe", "cairn"));
    String trusting = register(unique("tls"), https.actualPort(), check.copy().put("tlsSkipVerify", true));
    String verifying = register(unique("tls"), https.actualPort(), check.copy());
    String headerless = register(unique("tls"), https.actualPort(), check.copy().put("tlsSkipVerify", true)
        .put("headers", new JsonObject()));
    awaitHealth(trusting, "healthy", EVENTUALLY);
    awaitHealth(verifying, "unhealthy", EVENTUALLY);
    assertThat(instance(verifying).getString("healthReason")).as("a self-signed certificate is not trusted")
        .isNotBlank().doesNotStartWith("HTTP");
    awaitHealth(headerless, "unhealthy", EVENTUALLY);
    await().atMost(EVENTUALLY).until(() -> "HTTP 401 Unauthorized".equals(
        instance(headerless).getJsonObject("lastCheck").getString("output")));
    TestNodes.await(https.close().toCompletionStage().toCompletableFuture(), 10);
  }

  @Test
  void anHttpCheckOfAHostNameConnectsWhereTheNameResolvesAndStillNamesTheHost() {
    HttpServer named = TestNodes.await(servers.createHttpServer()
        .requestHandler(req -> req.response().setStatusCode(req.getHeader("Host").startsWith("localhost:") ? 200 : 400)
            .end())
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    String id = unique("named");
    JsonObject body = new JsonObject().put("name", "named").put("address", "localhost").put("port", named.actualPort())
        .put("check", new JsonObject().put("type", "http").put("path", "/health").put("interval", "300ms")
            .put("timeout", "250ms").put("failuresBeforeUnhealthy", 1));
    assertThat(Http.put(base + "/v1/services/" + id, body.encode()).status()).isIn(200, 201);
    awaitHealth(id, "healthy", EVENTUALLY);
    assertThat(instance(id).getJsonObject("lastCheck").getString("output")).isEqualTo("HTTP 200 OK");
    TestNodes.await(named.close().toCompletionStage().toCompletableFuture(), 10);
  }

  @Test
  void aTcpCheckTurnsUnhealthyWhenTheListenerCloses() {
    NetServer listener = TestNodes.await(servers.createNetServer().connectHandler(s -> s.close())
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    String id = register(unique("db"), listener.actualPort(), new JsonObject().put("type", "tcp")
        .put("interval", "300ms").put("timeout", "200ms").put("failuresBeforeUnhealthy", 1));
    awaitHealth(id, "healthy", EVENTUALLY);
    TestNodes.await(listener.close().toCompletionStage().toCompletableFuture(), 10);
    awaitHealth(id, "unhealthy", EVENTUALLY);
    assertThat(instance(id).getString("healthReason")).containsIgnoringCase("refused");
  }

  @Test
  void aGrpcCheckFollowsTheStandardHealthService() {
    grpcServing.set(true);
    String id = register(unique("ledger"), grpcPort, new JsonObject().put("type", "grpc")
        .put("service", "payments.Ledger").put("interval", "300ms").put("timeout", "250ms")
        .put("failuresBeforeUnhealthy", 1));
    awaitHealth(id, "healthy", EVENTUALLY);
    assertThat(instance(id).getJsonObject("lastCheck").getString("output")).isEqualTo("SERVING");
    grpcServing.set(false);
    awaitHealth(id, "unhealthy", EVENTUALLY);
    assertThat(instance(id).getString("healthReason")).isEqualTo("NOT_SERVING");
    grpcServing.set(true);
    awaitHealth(id, "healthy", EVENTUALLY);

    String unknown = register(unique("ghost"), grpcPort, new JsonObject().put("type", "grpc")
        .put("service", "no.Such").put("interval", "300ms").put("failuresBeforeUnhealthy", 1));
    awaitHealth(unknown, "unhealthy", EVENTUALLY);
  }

  @Test
  void aPluginCheckerRunsItsOwnCheckType() {
    String id = register(unique("echo"), echoPort, new JsonObject().put("type", "echo").put("interval", "300ms")
        .put("failuresBeforeUnhealthy", 1));
    awaitHealth(id, "healthy", EVENTUALLY);
    assertThat(instance(id).getJsonObject("lastCheck").getString("output")).isEqualTo("PONG");
    Http.Response unknownType = Http.put(base + "/v1/services/" + unique("x"), new JsonObject().put("name", "x")
        .put("address", "127.0.0.1").put("port", 1).put("check", new JsonObject().put("type", "carrier-pigeon")).encode());
    assertThat(unknownType.status()).isEqualTo(400);
    assertThat(unknownType.json().getString("message")).contains("echo").contains("http");
  }

  @Test
  void aNewInstanceStaysUnknownDuringItsGracePeriodThenTurnsUnhealthy() {
    String id = register(unique("boot"), 1, new JsonObject().put("type", "tcp").put("interval", "200ms")
        .put("timeout", "100ms").put("failuresBeforeUnhealthy", 1).put("gracePeriod", "2s"));
    long registered = System.currentTimeMillis();
    await().atMost(Duration.ofSeconds(2)).until(() -> instance(id).containsKey("lastCheck"));
    assertThat(health(id)).as("failing, but starting").isEqualTo("unknown");
    awaitHealth(id, "unhealthy", Duration.ofSeconds(6));
    assertThat(System.currentTimeMillis() - registered).isGreaterThanOrEqualTo(1_900);
  }

  @Test
  void anInstanceUnhealthyForLongerThanDeregisterAfterIsDeregistered() {
    String id = register(unique("gone"), 1, new JsonObject().put("type", "tcp").put("interval", "200ms")
        .put("timeout", "100ms").put("failuresBeforeUnhealthy", 1).put("deregisterAfter", "1s"));
    awaitHealth(id, "unhealthy", EVENTUALLY);
    await().atMost(EVENTUALLY).until(() -> Http.get(base + "/v1/services/" + id).status() == 404);
  }

  @Test
  void aFlappingInstanceIsHeldDegradedUntilItIsStableForAWindow() throws Exception {
    // Its own server: answers alternate 200 and 500, so every run is a transition.
    AtomicInteger calls = new AtomicInteger();
    AtomicBoolean alternate = new AtomicBoolean(true);
    HttpServer flappy = TestNodes.await(servers.createHttpServer().requestHandler(req -> req.response()
        .setStatusCode(alternate.get() && calls.incrementAndGet() % 2 == 0 ? 500 : 200).end())
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    String id = register(unique("flappy"), flappy.actualPort(), httpCheck("200ms", "150ms").put("failuresBeforeUnhealthy", 1));
    await().atMost(Duration.ofSeconds(10)).until(() -> "flapping".equals(instance(id).getString("healthReason")));
    assertThat(health(id)).isEqualTo("degraded");
    // Held while it keeps flapping.
    long heldSince = System.currentTimeMillis();
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> health(id).equals("degraded"));
    alternate.set(false);
    long stableSince = System.currentTimeMillis();
    awaitHealth(id, "healthy", Duration.ofSeconds(8));
    assertThat(System.currentTimeMillis() - stableSince).as("released after one stable window")
        .isGreaterThanOrEqualTo(2_500);
    assertThat(System.currentTimeMillis() - heldSince).isGreaterThan(4_000);
    TestNodes.await(flappy.close().toCompletionStage().toCompletableFuture(), 10);
  }

  @Test
  void aTargetThatKeepsFailingIsProbedWithBackOffAndGetsItsIntervalBackWhenItRecovers() {
    AtomicInteger hits = new AtomicInteger();
    AtomicBoolean up = new AtomicBoolean(false);
    HttpServer target = TestNodes.await(servers.createHttpServer().requestHandler(req -> {
      hits.incrementAndGet();
      req.response().setStatusCode(up.get() ? 200 : 503).end();
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    String id = register(unique("down"), target.actualPort(), httpCheck("100ms", "80ms"));
    awaitHealth(id, "unhealthy", EVENTUALLY);
    // Backing off: 200, 400, 800, then 1600 ms (the configured maximum) between probes instead of 100 ms.
    int before = hits.get();
    await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);
    int probesIn4s = hits.get() - before;
    assertThat(probesIn4s).as("probes in 4 s while backing off (40 at the interval)").isBetween(2, 8);
    assertThat(Http.get(base + "/v1/stats").json().getJsonObject("checks").getLong("skippedByBackoff")).isPositive();

    up.set(true);
    awaitHealth(id, "healthy", EVENTUALLY);
    int recovered = hits.get();
    await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
    assertThat(hits.get() - recovered).as("back to its 100 ms interval").isGreaterThanOrEqualTo(5);
    TestNodes.await(target.close().toCompletionStage().toCompletableFuture(), 10);
  }

  @Test
  void checksRunOnDemandForOneInstanceAndForAllOfAService() {
    mode.set("200");
    String name = unique("ondemand");
    String a = register(name + "-a", http.actualPort(), httpCheck("1m"));
    String b = register(name + "-b", http.actualPort(), httpCheck("1m"));
    int before = requestTimes.size();
    Http.Response one = Http.post(base + "/v1/services/" + a + "/check", "");
    assertThat(one.status()).as(one.body()).isEqualTo(200);
    assertThat(one.json().getJsonObject("result").getString("status")).isEqualTo("healthy");
    assertThat(one.json().getJsonObject("result").getString("output")).isEqualTo("HTTP 200 OK");
    assertThat(requestTimes.size()).isGreaterThan(before);

    Http.Response all = Http.post(base + "/v1/checks/run?name=" + name, "");
    assertThat(all.status()).as(all.body()).isEqualTo(200);
    assertThat(all.json().getLong("ran")).isEqualTo(2);
    assertThat(all.json().getLong("healthy")).isEqualTo(2);
    assertThat(health(b)).isEqualTo("healthy");

    Http.Response ttl = Http.post(base + "/v1/services/" + registerTtl() + "/check", "");
    assertThat(ttl.status()).isEqualTo(409);
    assertThat(Http.post(base + "/v1/services/no-such-instance/check", "").status()).isEqualTo(404);
  }

  private String registerTtl() {
    String id = unique("beat");
    Http.put(base + "/v1/services/" + id, new JsonObject().put("name", "beat").put("address", "127.0.0.1")
        .put("port", 1).put("ttl", "30s").encode());
    return id;
  }
}
