package io.cairn.proxy;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.ProxyClient;
import io.cairn.support.RawHttp;
import io.cairn.support.SteadyLoad;
import io.cairn.support.TestNodes;
import io.cairn.support.Upstreams;
import io.cairn.support.Upstreams.Upstream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The proxy of a three-node cluster of fat-jar processes, in front of upstream servers that are processes of their
 * own ({@link io.cairn.support.UpstreamServer}): instances registered through node 1 are served through node 3's
 * proxy round-robin; an instance SIGKILLed under load costs no request and is ejected on node 3 while its health
 * check still calls it healthy; a drain and a deregistration take an instance out of rotation on node 3 once node 3
 * has applied their revision, and a drained instance's requests in flight complete; a route written on node 2 routes
 * on nodes 1 and 3 until it is deleted; WebSocket and SSE pass through; a breaker answers 503 at once; bad input
 * never reaches an upstream as two requests, and an upstream answering garbage gives 502.
 *
 * <p>One cluster and one set of upstreams for all of it (the cases run in order and build on each other's state):
 * upstreams A, B, C serve service {@code users} first; C is killed, B drained, A deregistered; D serves the rest.
 * "Node 1/2/3" are the cluster's nodes p1/p2/p3 (indexes 0/1/2).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ProxyClusterIT {
  private static final Duration START = Duration.ofSeconds(180);
  private static final Duration PROPAGATION = Duration.ofSeconds(60);
  private static final String USERS = "users.cairn";
  /** A host no route and no service of the proxy's domain names. */
  private static final String UNKNOWN_HOST = "nobody.example";

  private JarCluster cluster;
  private final int[] proxyPorts = new int[3];
  private List<Upstream> upstreams = List.of();
  private Upstream a;
  private Upstream b;
  private Upstream c;
  private Upstream d;
  private ProxyClient client;
  private final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void start() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3",
        "--proxy.outlier.consecutiveConnectFailures=3", "--proxy.outlier.baseEjectionTime=30s",
        "--proxy.outlier.maxEjectionPercent=50");
    for (int i = 0; i < 3; i++) {
      proxyPorts[i] = TestNodes.freePort();
      cluster.withNodeArgs(i, "--proxy.port=" + proxyPorts[i]);
    }
    cluster.startAll();
    // The upstreams start while the nodes do.
    upstreams = Upstreams.startAll("A", "B", "C", "D");
    a = upstreams.get(0);
    b = upstreams.get(1);
    c = upstreams.get(2);
    d = upstreams.get(3);
    cluster.awaitAllHealthy(START);
    cluster.awaitWhole(START);
    client = new ProxyClient();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (client != null) {
        client.close();
      }
      for (Upstream u : upstreams) {
        u.stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------ cases

  @Test
  @Order(10)
  void threeInstancesRegisteredThroughNode1AreServedRoundRobinThroughNode3sProxy() {
    long t0 = System.nanoTime();
    long revision = register(0, "users-a", instance("users", a));
    revision = Math.max(revision, register(0, "users-b", instance("users", b)));
    // C has a health check every 30 s (it matters in the next case): run it once now, so that it is healthy.
    revision = Math.max(revision, register(0, "users-c", instance("users", c).put("check", new JsonObject()
        .put("type", "http").put("url", "http://127.0.0.1:" + c.port + "/health-check").put("interval", "30s")
        .put("failuresBeforeUnhealthy", 3))));
    // Run until it has passed once (a first probe may time out on a loaded machine; one failure of three leaves the
    // instance unknown, not unhealthy).
    String[] lastCheck = new String[1];
    await("users-c's check passes").atMost(PROPAGATION).pollInterval(Duration.ofMillis(200)).until(() -> {
      Http.Response checked = Http.send("POST", base(0) + "/v1/services/users-c/check", Map.of(), null);
      lastCheck[0] = checked.status() + " " + checked.body();
      return checked.status() == 200 && "healthy".equals(checked.json().getString("health"));
    });
    System.out.printf("ProxyClusterIT case 1: check passed after %.1f s: %s%n", (System.nanoTime() - t0) / 1e9,
        lastCheck[0]);
    awaitApplied(2, revision);
    await("node 3 discovers the three instances").atMost(PROPAGATION).ignoreExceptions().until(() ->
        Http.get(base(2) + "/v1/services?name=users").json().getJsonArray("services").size() == 3);
    // The proxy follows the replica: wait until it has served from each (no count is taken yet).
    java.util.Set<String> seen = new java.util.TreeSet<>();
    await("node 3's proxy serves from A, B and C").atMost(PROPAGATION).until(() -> {
      ProxyClient.Reply r = client.getNow(proxyPorts[2], USERS, "/warm-up");
      if (r.ok()) {
        seen.add(r.upstream());
      }
      return seen.size() == 3;
    });

    System.out.printf("ProxyClusterIT case 1: node 3's proxy serves all three after %.1f s%n",
        (System.nanoTime() - t0) / 1e9);
    List<CompletableFuture<ProxyClient.Reply>> sent = new ArrayList<>();
    List<ProxyClient.Reply> replies = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sent.add(client.get(proxyPorts[2], USERS, "/rr?i=" + i));
      if (sent.size() == 8) { // eight at a time
        sent.forEach(f -> replies.add(ProxyClient.await(f)));
        sent.clear();
      }
    }
    sent.forEach(f -> replies.add(ProxyClient.await(f)));
    assertThat(replies).as("answers through node 3's proxy").allSatisfy(r ->
        assertThat(r.status()).as("%s", r).isEqualTo(200));
    Map<String, Long> perUpstream = replies.stream().collect(Collectors.groupingBy(ProxyClient.Reply::upstream,
        TreeMap::new, Collectors.counting()));
    System.out.printf("ProxyClusterIT round-robin over 300 GETs: %s, after %.1f s%n", perUpstream,
        (System.nanoTime() - t0) / 1e9);
    assertThat(perUpstream.keySet()).containsExactly("A", "B", "C");
    assertThat(perUpstream.values()).as("requests per instance, round-robin within 10 %%: %s", perUpstream)
        .allSatisfy(n -> assertThat(n).isBetween(90L, 110L));
  }

  @Test
  @Order(20)
  void answersCarryAttemptsViaAndRequestIdAndTheUpstreamSeesForwardingHeadersButNoHopByHopOnes() {
    // Host: users.cairn (port 80 left out) and a request id of the caller's.
    ProxyClient.Reply r = ProxyClient.await(client.send(proxyPorts[2], USERS, 80, "GET", "/headers?x=1",
        Map.of("X-Request-Id", "it-request-42"), null));
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.header("X-Cairn-Attempts")).as("X-Cairn-Attempts of a first try that succeeded").isEqualTo("1");
    assertThat(r.header("Via")).as("Via on the answer names the node").isNotNull().contains("p3");
    assertThat(r.header("X-Request-Id")).as("X-Request-Id sent is kept").isEqualTo("it-request-42");
    JsonObject seen = r.json();
    JsonObject h = seen.getJsonObject("headers");
    assertThat(seen.getString("path")).isEqualTo("/headers?x=1");
    assertThat(h.getString("x-forwarded-for")).as("X-Forwarded-For the upstream saw: %s", h).contains("127.0.0.1");
    assertThat(h.getString("x-forwarded-proto")).as("X-Forwarded-Proto: %s", h).isEqualTo("http");
    assertThat(h.getString("x-forwarded-host")).as("X-Forwarded-Host: %s", h).startsWith(USERS);
    String forwarded = h.getString("forwarded", "").toLowerCase(Locale.ROOT);
    assertThat(forwarded).as("Forwarded: %s", h).containsPattern("for=\"?127\\.0\\.0\\.1")
        .containsPattern("proto=\"?http\\b").containsPattern("host=\"?users\\.cairn");
    assertThat(h.getString("via")).as("Via the upstream saw: %s", h).isNotNull().contains("p3");
    assertThat(h.getString("x-request-id")).isEqualTo("it-request-42");

    // Without one, the proxy makes one, and the upstream and the caller see the same.
    ProxyClient.Reply made = client.getNow(proxyPorts[2], USERS, "/headers");
    assertThat(made.status()).isEqualTo(200);
    assertThat(made.header("X-Request-Id")).as("X-Request-Id made by the proxy").isNotBlank();
    assertThat(made.json().getJsonObject("headers").getString("x-request-id")).isEqualTo(made.header("X-Request-Id"));

    // Hop-by-hop headers (Keep-Alive, and what Connection names) stop at the proxy; end-to-end ones pass.
    RawHttp.Reply raw = RawHttp.exchange(proxyPorts[2], "GET /hop HTTP/1.1\r\nHost: " + USERS
        + "\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: secret\r\nX-End-To-End: kept"
        + "\r\nContent-Length: 0\r\n\r\n");
    assertThat(raw.status()).as("%s", raw).isEqualTo(200);
    JsonObject hop = new JsonObject(raw.text()).getJsonObject("headers");
    assertThat(hop.getString("x-end-to-end")).isEqualTo("kept");
    assertThat(hop.fieldNames()).as("headers the upstream saw: %s", hop).doesNotContain("x-hop", "keep-alive");
    assertThat(hop.getString("connection", "").toLowerCase(Locale.ROOT)).doesNotContain("x-hop");

    // Unknown (a host outside the proxy's domain, which no route matches): 404 no_route.
    ProxyClient.Reply unknown = client.getNow(proxyPorts[2], UNKNOWN_HOST, "/x");
    assertThat(unknown.status()).as("%s", unknown).isEqualTo(404);
    assertThat(unknown.json().getString("error")).isEqualTo("no_route");
    assertThat(unknown.json().getString("message")).isNotBlank();
    // A name under the proxy's domain that no service has: 404 too, naming it (not 503, which says "registered,
    // but none in rotation").
    ProxyClient.Reply unregistered = client.getNow(proxyPorts[2], "never-registered.cairn", "/x");
    assertThat(unregistered.status()).as("%s", unregistered).isEqualTo(404);
    assertThat(unregistered.json().getString("message")).contains("never-registered");

    // A service whose only instance drains: 503 no_healthy_instance, naming it.
    register(0, "ghosts-1", instance("ghosts", d));
    long drained = write("POST", base(0) + "/v1/services/ghosts-1/drain", null);
    awaitApplied(2, drained);
    ProxyClient.Reply none = client.getNow(proxyPorts[2], "ghosts.cairn", "/x");
    assertThat(none.status()).as("%s", none).isEqualTo(503);
    assertThat(none.json().getString("error")).isEqualTo("no_healthy_instance");
    assertThat(none.body()).contains("ghosts");
    assertThat(none.header("X-Cairn-Overloaded")).as("not the breaker's 503").isNull();
    awaitApplied(2, write("DELETE", base(0) + "/v1/services/ghosts-1", null));
  }

  @Test
  @Order(25)
  void smallRequestBodiesReachTheUpstream() {
    String json = "{\"name\":\"ada\",\"note\":\"" + "n".repeat(1000) + "\"}";
    Map<String, CompletableFuture<ProxyClient.Reply>> sent = new LinkedHashMap<>();
    for (String method : new String[] {"POST", "PUT"}) {
      sent.put(method, client.send(proxyPorts[2], USERS, proxyPorts[2], method, "/small-body",
          Map.of("Content-Type", "application/json"), json));
    }
    sent.forEach((method, f) -> {
      ProxyClient.Reply r = ProxyClient.await(f);
      double seconds = (r.endNanos() - r.startNanos()) / 1e9;
      assertThat(r.status()).as("a %s with a %d-byte body, answered after %.1f s: %s", method, json.length(), seconds,
          r).isEqualTo(200);
      assertThat(r.json().getString("method")).isEqualTo(method);
      assertThat(r.json().getLong("bodyBytes")).as("body bytes the upstream received").isEqualTo(json.length());
    });
  }

  @Test
  @Order(30)
  void anInstanceKilledUnderLoadCostsNoRequestAndIsEjectedBeforeItsHealthCheckNotices() throws Exception {
    SteadyLoad load = SteadyLoad.start(client, proxyPorts[2], USERS, "/load", 50);
    long started = System.nanoTime();
    List<ProxyClient.Reply> replies;
    try {
      await().atMost(PROPAGATION).until(() -> load.completed() >= 100);
      c.kill();
      JsonObject[] entry = new JsonObject[1];
      await("node 3 ejects the killed instance").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
        entry[0] = upstreamEntry(2, "users", "users-c");
        return entry[0] != null && entry[0].getBoolean("ejected");
      });
      System.out.println("ProxyClusterIT node 3's view of the killed instance: " + entry[0]);
      assertThat(entry[0].fieldNames()).contains("id", "address", "port", "inFlight", "requests", "recentErrorRate",
          "ejected", "ejectedUntil");
      assertThat(entry[0].getLong("ejectedUntil")).as("ejectedUntil of %s", entry[0]).isNotNull()
          .isGreaterThan(System.currentTimeMillis());
      assertThat(health(0, "users-c")).as("its health check (every 30 s) has not noticed yet").isEqualTo("healthy");
      // The load runs for 10 s in all.
      await().atMost(PROPAGATION).until(() -> System.nanoTime() - started >= TimeUnit.SECONDS.toNanos(10));
    } finally {
      replies = load.stop();
    }
    List<ProxyClient.Reply> failed = replies.stream().filter(r -> !r.ok()).toList();
    long retried = replies.stream().filter(r -> r.header("X-Cairn-Attempts") != null
        && !"1".equals(r.header("X-Cairn-Attempts"))).count();
    System.out.println("ProxyClusterIT kill under load: " + replies.size() + " GETs, " + failed.size()
        + " failed, " + retried + " answered after a retry");
    assertThat(failed).as(() -> "failed requests of " + replies.size() + " while C was killed:\n"
        + failed.stream().limit(10).map(String::valueOf).collect(Collectors.joining("\n")) + "\nnode 3:\n"
        + cluster.node(2).logTail(40)).isEmpty();
    assertThat(upstreamEntry(2, "users", "users-c").getBoolean("ejected")).isTrue();
    assertThat(health(0, "users-c")).isEqualTo("healthy");
    awaitApplied(2, write("DELETE", base(0) + "/v1/services/users-c", null));
  }

  @Test
  @Order(40)
  void aDrainedInstanceGetsNoNewRequestOnceNode3AppliedTheDrainAndItsRequestsInFlightComplete() {
    SteadyLoad load = SteadyLoad.start(client, proxyPorts[2], USERS, "/load", 50);
    List<ProxyClient.Reply> replies;
    List<ProxyClient.Reply> slowReplies = new ArrayList<>();
    long applied;
    long countAfter;
    try {
      await().atMost(PROPAGATION).until(() -> load.completed() >= 50);
      long aBefore = a.requests();
      long bBefore = b.requests();
      List<CompletableFuture<ProxyClient.Reply>> slow = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        slow.add(client.get(proxyPorts[2], USERS, "/slow?ms=3000&slow=" + i));
      }
      await("the six slow requests reach A and B").atMost(PROPAGATION)
          .until(() -> a.inFlight() + b.inFlight() >= 6 || slow.stream().anyMatch(CompletableFuture::isDone));
      assertThat(b.inFlight()).as("slow requests in flight on B").isPositive();
      long drain = write("POST", base(0) + "/v1/services/users-b/drain", null);
      awaitApplied(2, drain);
      applied = System.nanoTime();
      boolean slowStillOut = slow.stream().anyMatch(f -> !f.isDone());
      slow.forEach(f -> slowReplies.add(ProxyClient.await(f)));
      assertThat(slowStillOut).as("slow requests were still in flight when node 3 applied the drain (else the "
          + "machine is too slow for this test)").isTrue();
      assertThat(slowReplies).as("the slow requests, in flight at the drain").allSatisfy(r ->
          assertThat(r.status()).as("%s", r).isEqualTo(200));
      assertThat(slowReplies).extracting(ProxyClient.Reply::upstream).contains("B");
      assertThat(slowReplies.stream().filter(r -> "B".equals(r.upstream())).allMatch(r -> r.endNanos() > applied))
          .as("B's slow requests were answered after node 3 applied the drain").isTrue();
      // Every request sent before the drain was applied has its answer: B's count stays where it is from now on.
      await().atMost(PROPAGATION).until(() -> load.doneSentBefore(applied));
      long bAtDrain = b.requests();
      await().atMost(PROPAGATION).until(() -> load.sentSince(applied) >= 100);
      load.stop();
      countAfter = b.requests();
      assertThat(countAfter).as("requests B served after node 3 applied the drain (before: %s at the start, %s "
          + "at the drain; A: %s)", bBefore, bAtDrain, aBefore).isEqualTo(bAtDrain);
    } finally {
      replies = load.stop();
    }
    assertThat(replies).as("every request of the load").allSatisfy(r ->
        assertThat(r.status()).as("%s", r).isEqualTo(200));
    List<ProxyClient.Reply> after = replies.stream().filter(r -> r.startNanos() - applied >= 0).toList();
    assertThat(after).hasSizeGreaterThanOrEqualTo(100);
    assertThat(after).as("requests sent after node 3 applied the drain").allSatisfy(r ->
        assertThat(r.upstream()).isEqualTo("A"));
  }

  @Test
  @Order(50)
  void aDeregisteredInstanceGetsNoRequestOnceNode3AppliedTheDeregistration() {
    awaitApplied(2, register(0, "users-d", instance("users", d)));
    await("node 3's proxy serves from D").atMost(PROPAGATION).until(() ->
        "D".equals(client.getNow(proxyPorts[2], USERS, "/warm-up").upstream()));
    SteadyLoad load = SteadyLoad.start(client, proxyPorts[2], USERS, "/load", 50);
    List<ProxyClient.Reply> replies;
    long applied;
    try {
      await().atMost(PROPAGATION).until(() -> load.completed() >= 50);
      long deregistered = write("DELETE", base(0) + "/v1/services/users-a", null);
      awaitApplied(2, deregistered);
      applied = System.nanoTime();
      await().atMost(PROPAGATION).until(() -> load.doneSentBefore(applied));
      long aAtDeregistration = a.requests();
      await().atMost(PROPAGATION).until(() -> load.sentSince(applied) >= 100);
      load.stop();
      assertThat(a.requests()).as("requests A served after node 3 applied its deregistration")
          .isEqualTo(aAtDeregistration);
    } finally {
      replies = load.stop();
    }
    assertThat(replies).as("every request of the load").allSatisfy(r ->
        assertThat(r.status()).as("%s", r).isEqualTo(200));
    List<ProxyClient.Reply> after = replies.stream().filter(r -> r.startNanos() - applied >= 0).toList();
    assertThat(after).as("requests sent after node 3 applied the deregistration").allSatisfy(r ->
        assertThat(r.upstream()).isEqualTo("D"));
  }

  @Test
  @Order(60)
  void aRouteWrittenOnNode2RoutesOnNodes1And3UntilItIsDeleted() throws Exception {
    String route = "{\"match\":{\"pathPrefix\":\"/api/users/\"},\"service\":\"users\",\"stripPrefix\":true}";
    long written = write("PUT", base(1) + "/v1/routes/api-users", route);

    // Invalid documents: 400 naming the field.
    Http.Response noService = Http.put(base(1) + "/v1/routes/bad-1", "{\"match\":{\"pathPrefix\":\"/x/\"}}");
    assertThat(noService.status()).as("a route without a service: %s", noService.body()).isEqualTo(400);
    assertThat(noService.json().getString("error")).isNotBlank();
    assertThat(noService.json().getString("field")).isEqualTo("service");
    Http.Response badBalance = Http.put(base(1) + "/v1/routes/bad-2", "{\"service\":\"users\",\"balance\":\"sideways\"}");
    assertThat(badBalance.status()).as("a route with an unknown balance: %s", badBalance.body()).isEqualTo(400);
    assertThat(badBalance.json().getString("field")).isEqualTo("balance");

    for (int i : new int[] {0, 2}) {
      awaitApplied(i, written);
      Http.Response one = Http.get(base(i) + "/v1/routes/api-users");
      assertThat(one.status()).as("GET /v1/routes/api-users on node %d: %s", i + 1, one.body()).isEqualTo(200);
      assertThat(one.json().getString("service")).isEqualTo("users");
      assertThat(one.json().getJsonObject("match").getString("pathPrefix")).isEqualTo("/api/users/");
      Http.Response all = Http.get(base(i) + "/v1/routes");
      assertThat(all.status()).isEqualTo(200);
      assertThat(new JsonArray(all.body()).encode()).contains("api-users");
      HttpResponse<String> routed = jdkGet("http://127.0.0.1:" + proxyPorts[i] + "/api/users/x?q=1");
      assertThat(routed.statusCode()).as("GET /api/users/x through node %d: %s", i + 1, routed.body())
          .isEqualTo(200);
      assertThat(new JsonObject(routed.body()).getString("path")).as("the path the upstream saw")
          .isEqualTo("/x?q=1");
    }

    long deleted = write("DELETE", base(1) + "/v1/routes/api-users", null);
    for (int i : new int[] {0, 2}) {
      awaitApplied(i, deleted);
      HttpResponse<String> gone = jdkGet("http://127.0.0.1:" + proxyPorts[i] + "/api/users/x?q=1");
      assertThat(gone.statusCode()).as("GET /api/users/x through node %d after the delete: %s", i + 1, gone.body())
          .isEqualTo(404);
      assertThat(new JsonObject(gone.body()).getString("error")).isEqualTo("no_route");
      assertThat(Http.get(base(i) + "/v1/routes/api-users").status()).isEqualTo(404);
    }
  }

  @Test
  @Order(70)
  void aWebSocketEchoesAndServerSentEventsArriveAsTheyAreWrittenThroughTheProxy() throws Exception {
    awaitApplied(2, write("PUT", base(0) + "/v1/routes/u",
        "{\"match\":{\"pathPrefix\":\"/u/\"},\"service\":\"users\",\"stripPrefix\":true}"));

    LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    StringBuilder partial = new StringBuilder();
    WebSocket ws = jdk.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(URI.create("ws://127.0.0.1:" + proxyPorts[2] + "/u/ws"), new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              received.add(partial.toString());
              partial.setLength(0);
            }
            socket.request(1);
            return null;
          }
        }).get(30, TimeUnit.SECONDS);
    try {
      for (String message : new String[] {"hello through the proxy", "x".repeat(50_000)}) {
        ws.sendText(message, true).get(30, TimeUnit.SECONDS);
        assertThat(received.poll(30, TimeUnit.SECONDS)).as("the echo").isEqualTo(message);
      }
    } finally {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(30, TimeUnit.SECONDS);
    }

    HttpResponse<InputStream> sse = jdk.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPorts[2]
            + "/u/sse")).header("Accept", "text/event-stream").timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(sse.statusCode()).isEqualTo(200);
    assertThat(sse.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<Long> lateness = new ArrayList<>();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("data: ")) {
          long now = System.currentTimeMillis();
          lateness.add(now - new JsonObject(line.substring(6)).getLong("sentAt"));
        }
      }
    }
    System.out.println("ProxyClusterIT SSE events' lateness through the proxy (ms): " + lateness);
    assertThat(lateness).as("events received").hasSize(5);
    assertThat(lateness.get(0)).as("ms between the first event's writing and its arrival through the proxy")
        .isLessThanOrEqualTo(100L);
  }

  @Test
  @Order(80)
  void overItsBreakersLimitARouteAnswers503AtOnce() throws Exception {
    awaitApplied(2, write("PUT", base(0) + "/v1/routes/breaker", "{\"match\":{\"pathPrefix\":\"/breaker/\"},"
        + "\"service\":\"users\",\"stripPrefix\":true,\"breaker\":{\"maxConcurrentRequests\":10},"
        + "\"timeouts\":{\"try\":\"30s\",\"request\":\"60s\"}}"));
    HttpResponse<String> first = jdkGet("http://127.0.0.1:" + proxyPorts[2] + "/breaker/status?code=200");
    assertThat(first.statusCode()).as("a request through the breaker's route: %s", first.body()).isEqualTo(200);

    long inFlightBefore = liveUpstreams().stream().mapToLong(Upstream::inFlight).sum();
    List<CompletableFuture<HttpResponse<String>>> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(jdk.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPorts[2]
          + "/breaker/slow?ms=3000&i=" + i)).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    await("ten requests in flight at the upstreams").atMost(PROPAGATION).until(() ->
        liveUpstreams().stream().mapToLong(Upstream::inFlight).sum() - inFlightBefore >= 10
            || ten.stream().anyMatch(CompletableFuture::isDone));
    assertThat(ten).as("the ten slow requests are still out").noneMatch(CompletableFuture::isDone);

    // The eleventh, alone, on a connection already open: timed from writing it to reading the whole answer.
    List<String> attempts = new ArrayList<>();
    double best = Double.MAX_VALUE;
    for (int attempt = 0; attempt < 10 && ten.stream().noneMatch(CompletableFuture::isDone); attempt++) {
      try (RawHttp connection = RawHttp.connect(proxyPorts[2])) {
        RawHttp.Reply warm = connection.send("GET /warm HTTP/1.1\r\nHost: " + UNKNOWN_HOST + "\r\n\r\n").read(false);
        RawHttp measured = connection;
        RawHttp fresh = null;
        if (warm.status() == -1 || "close".equalsIgnoreCase(warm.header("Connection"))) {
          fresh = RawHttp.connect(proxyPorts[2]);
          measured = fresh;
        }
        long t0 = System.nanoTime();
        RawHttp.Reply eleventh = measured.send("GET /breaker/slow?ms=3000&i=11 HTTP/1.1\r\nHost: 127.0.0.1:"
            + proxyPorts[2] + "\r\n\r\n").read(false);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (fresh != null) {
          fresh.close();
        }
        boolean tenStillOut = ten.stream().noneMatch(CompletableFuture::isDone);
        attempts.add(String.format(Locale.ROOT, "%d %s %.2f ms%s", eleventh.status(),
            eleventh.header("X-Cairn-Overloaded"), ms, eleventh.problem() == null ? "" : " " + eleventh.problem()));
        if (!tenStillOut) {
          break;
        }
        if (eleventh.status() == -1 && measured == connection) {
          continue; // the proxy closed the warmed connection: it never saw the request; try again
        }
        assertThat(eleventh.status()).as("the eleventh request with ten in flight: %s", eleventh).isEqualTo(503);
        assertThat(eleventh.header("X-Cairn-Overloaded")).isEqualTo("true");
        best = Math.min(best, ms);
        if (best < 5) {
          break;
        }
      }
    }
    System.out.println("ProxyClusterIT breaker, the eleventh request: " + attempts);
    assertThat(best).as("the fastest of the eleventh's answers (ms), attempts: %s", attempts).isLessThan(5.0);
    for (CompletableFuture<HttpResponse<String>> f : ten) {
      assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).as("one of the ten slow requests").isEqualTo(200);
    }
  }

  @Test
  @Order(90)
  void aTryTimeoutAnswers504AndAPostIsNotTriedAgain() {
    awaitApplied(2, write("PUT", base(0) + "/v1/routes/hasty", "{\"match\":{\"pathPrefix\":\"/hasty/\"},"
        + "\"service\":\"users\",\"stripPrefix\":true,\"timeouts\":{\"try\":\"500ms\",\"request\":\"2s\"}}"));
    long before = upstreamRequests();
    ProxyClient.Reply r = ProxyClient.await(client.send(proxyPorts[2], UNKNOWN_HOST, proxyPorts[2], "POST",
        "/hasty/slow?ms=5000", Map.of("Content-Type", "application/json"), "{}"));
    double seconds = (r.endNanos() - r.startNanos()) / 1e9;
    System.out.printf("ProxyClusterIT a POST past its try timeout: %s after %.2f s%n", r, seconds);
    assertThat(r.status()).as("%s", r).isEqualTo(504);
    assertThat(r.json().getString("error")).isNotBlank();
    assertThat(seconds).as("answered at the try timeout, not the upstream's 5 s").isLessThan(4.5);
    assertThat(upstreamRequests() - before).as("tries of a POST that timed out").isEqualTo(1);
  }

  @Test
  @Order(100)
  void smugglingShapesOversizedHeadersAndDotSegmentsNeverReachAnUpstreamAsSuch() {
    awaitApplied(2, write("PUT", base(0) + "/v1/routes/api-users",
        "{\"match\":{\"pathPrefix\":\"/api/users/\"},\"service\":\"users\",\"stripPrefix\":true}"));
    int port = proxyPorts[2];
    String smuggled = "GET /smuggled HTTP/1.1\r\nHost: " + USERS + "\r\n\r\n";
    String chunked = "0\r\n\r\n" + smuggled;
    Map<String, String> shapes = new LinkedHashMap<>();
    shapes.put("Content-Length and Transfer-Encoding", "POST /smuggle-cl-te HTTP/1.1\r\nHost: " + USERS
        + "\r\nContent-Length: " + chunked.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked);
    shapes.put("two Content-Lengths", "POST /smuggle-cl-cl HTTP/1.1\r\nHost: " + USERS
        + "\r\nContent-Length: 0\r\nContent-Length: " + smuggled.length() + "\r\n\r\n" + smuggled);
    shapes.put("Transfer-Encoding: xchunked", "POST /smuggle-xchunked HTTP/1.1\r\nHost: " + USERS
        + "\r\nTransfer-Encoding: xchunked\r\n\r\n" + chunked);
    shapes.put("Transfer-Encoding with whitespace before its colon", "POST /smuggle-space HTTP/1.1\r\nHost: " + USERS
        + "\r\nTransfer-Encoding : chunked\r\n\r\n" + chunked);
    shapes.put("Transfer-Encoding: chunked, identity", "POST /smuggle-identity HTTP/1.1\r\nHost: " + USERS
        + "\r\nTransfer-Encoding: chunked, identity\r\n\r\n" + chunked);
    Map<String, String> outcomes = new LinkedHashMap<>();
    List<String> wrong = new ArrayList<>();
    int marker = 0;
    for (Map.Entry<String, String> shape : shapes.entrySet()) {
      long before = upstreamRequests();
      RawHttp.Reply reply = RawHttp.exchange(port, shape.getValue());
      // A request after it, on a connection of its own, answered: whatever the proxy forwarded of the bad one has
      // reached an upstream by then.
      RawHttp.Reply after = RawHttp.exchange(port, "GET /marker-" + marker++ + " HTTP/1.1\r\nHost: " + USERS
          + "\r\nConnection: close\r\n\r\n");
      assertThat(after.status()).as("a good request after the bad one: %s", after).isEqualTo(200);
      long reached = upstreamRequests() - before - 1;
      outcomes.put(shape.getKey(), reply.status() + ", reached upstreams: " + reached);
      if (reply.status() != 400 || reached > 1) {
        wrong.add(shape.getKey() + ": " + reply + ", requests that reached upstreams: " + reached);
      }
    }

    StringBuilder big = new StringBuilder("GET /big-headers HTTP/1.1\r\nHost: " + USERS + "\r\n");
    for (int i = 0; i < 20; i++) {
      big.append("X-Big-").append(i).append(": ").append("b".repeat(1000)).append("\r\n");
    }
    long beforeBig = upstreamRequests();
    RawHttp.Reply tooBig = RawHttp.exchange(port, big.append("\r\n").toString());
    outcomes.put("20 KB of headers", String.valueOf(tooBig.status()));
    if (tooBig.status() != 431) {
      wrong.add("20 KB of headers: " + tooBig);
    }

    // Dot segments through the route /api/users/ with stripPrefix: refused, not routed, or resolved inside.
    String[] escapes = {"/api/users/../../admin", "/api/users/%2e%2e/%2e%2e/admin", "/api/users/%2E%2E/%2E%2E/admin",
        "/api/users/.%2e/.%2e/admin", "/api/users/..%2f..%2fadmin", "/api/users/x/../../../admin"};
    for (String path : escapes) {
      RawHttp.Reply reply = RawHttp.exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
          + "\r\nConnection: close\r\n\r\n");
      String seenPath = reply.status() == 200 ? new JsonObject(reply.text()).getString("path") : null;
      outcomes.put(path, reply.status() + (seenPath != null ? " forwarded as " + seenPath : ""));
      if (reply.status() == 200 ? escaped(seenPath) : reply.status() != 400 && reply.status() != 404) {
        wrong.add(path + ": " + reply);
      }
    }
    List<String> seen = new ArrayList<>();
    liveUpstreams().forEach(u -> seen.addAll(u.paths()));
    System.out.println("ProxyClusterIT bad input: " + outcomes);
    assertThat(wrong).as(() -> "bad input the proxy took (all outcomes: " + outcomes + ")\nnode 3:\n"
        + cluster.node(2).logTail(30)).isEmpty();
    assertThat(seen).as("paths the upstreams saw").noneMatch(p -> p.startsWith("/smuggled"))
        .noneMatch(p -> p.startsWith("/big-headers")).noneMatch(ProxyClusterIT::escaped);
    assertThat(upstreamRequests()).as("requests that reached upstreams after the oversized headers")
        .isEqualTo(beforeBig);
  }

  @Test
  @Order(110)
  void anUpstreamAnsweringGarbageOrClosingMidBodyGives502OrACutAndTheNodeStaysHealthy() {
    int port = proxyPorts[2];
    RawHttp.Reply garbage = RawHttp.exchange(port, "GET /garbage HTTP/1.1\r\nHost: " + USERS + "\r\n\r\n");
    RawHttp.Reply midBody = RawHttp.exchange(port, "GET /close-mid-body HTTP/1.1\r\nHost: " + USERS + "\r\n\r\n");
    System.out.println("ProxyClusterIT garbage: " + garbage + "; closed mid-body: " + midBody);
    assertThat(garbage.status()).as("an upstream answering garbage: %s", garbage).isEqualTo(502);
    assertThat(midBody.status() == 502 || midBody.status() == 200 && midBody.truncated())
        .as("an upstream closing mid-body: 502, or its headers and a cut body; got %s", midBody).isTrue();
    assertThat(Http.get(base(2) + "/health").status()).as("node 3's /health").isEqualTo(200);
    assertThat(cluster.node(2).running()).isTrue();
    RawHttp.Reply stillServing = RawHttp.exchange(port, "GET /x HTTP/1.1\r\nHost: " + UNKNOWN_HOST + "\r\n\r\n");
    assertThat(stillServing.status()).as("the proxy still answers: %s", stillServing).isEqualTo(404);
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  private String base(int i) {
    return cluster.node(i).base();
  }

  private static JsonObject instance(String name, Upstream u) {
    return new JsonObject().put("name", name).put("address", "127.0.0.1").put("port", u.port);
  }

  /** PUT /v1/services/{id} on node {@code i}; the revision it answers. */
  private long register(int i, String id, JsonObject body) {
    return write("PUT", base(i) + "/v1/services/" + id, body.encode());
  }

  /**
   * A write that must succeed; returns its X-Cairn-Revision. Tried again while the node answers 503 (no quorum, not
   * ready): on a loaded machine a leader that misses its heartbeats is replaced, and writes wait for the next one.
   */
  private static long write(String method, String url, String json) {
    Http.Response[] last = new Http.Response[1];
    await(method + " " + url + " is accepted").atMost(PROPAGATION).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> {
          last[0] = Http.send(method, url, Map.of(), json);
          return last[0].status() != 503;
        });
    Http.Response r = last[0];
    assertThat(r.status()).as("%s %s: %s", method, url, r.body()).isBetween(200, 299);
    long revision = r.revisionHeader();
    assertThat(revision).as("X-Cairn-Revision of %s %s", method, url).isPositive();
    return revision;
  }

  /** Waits until node {@code i} has applied {@code revision}. */
  private void awaitApplied(int i, long revision) {
    await("node " + (i + 1) + " applies revision " + revision).atMost(PROPAGATION).pollInterval(Duration.ofMillis(20))
        .ignoreExceptions().until(() -> cluster.node(i).status().getLong("revision") >= revision);
  }

  private String health(int i, String id) {
    return Http.get(base(i) + "/v1/services/" + id).json().getString("health");
  }

  /** An instance's entry in node {@code i}'s GET /v1/proxy/upstreams, or null. */
  private JsonObject upstreamEntry(int i, String service, String id) {
    Http.Response r = Http.get(base(i) + "/v1/proxy/upstreams");
    assertThat(r.status()).as("GET /v1/proxy/upstreams: %s", r.body()).isEqualTo(200);
    for (Object s : r.json().getJsonArray("services")) {
      JsonObject svc = (JsonObject) s;
      if (service.equals(svc.getString("service"))) {
        for (Object o : svc.getJsonArray("instances")) {
          if (id.equals(((JsonObject) o).getString("id"))) {
            return (JsonObject) o;
          }
        }
      }
    }
    return null;
  }

  private List<Upstream> liveUpstreams() {
    return upstreams.stream().filter(Upstream::running).toList();
  }

  /** Requests every live upstream served so far. */
  private long upstreamRequests() {
    return liveUpstreams().stream().mapToLong(Upstream::requests).sum();
  }

  /** A path that went above where the route's rewrite put it: a dot segment, plain or percent-encoded. */
  private static boolean escaped(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    return p.contains("..") || p.contains("%2e");
  }

  private HttpResponse<String> jdkGet(String url) throws Exception {
    return jdk.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
