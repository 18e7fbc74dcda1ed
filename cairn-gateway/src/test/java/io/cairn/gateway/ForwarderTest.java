package io.cairn.gateway;

import io.cairn.model.Health;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** The forwarder between a real HTTP client and real upstream servers, all in this JVM on 127.0.0.1. */
class ForwarderTest {
  static {
    // Routing by Host needs the client to send one of its choosing (read once, when the JDK's client loads).
    System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host,connection");
  }

  private final Vertx vertx = Vertx.vertx();
  private final List<ServiceEntry> instances = new CopyOnWriteArrayList<>();
  private final List<Route> routes = new CopyOnWriteArrayList<>();
  private final List<HttpServer> servers = new ArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private Gateway gateway;
  private int proxyPort;

  @BeforeEach
  void start() throws Exception {
    GatewaySettings settings = new GatewaySettings("test-gw", "cairn", true, 1000, 10_000, 20_000, 20, 3,
        OutlierSettings.DEFAULTS, 64, 1024, 10_000, 60_000, null, null, false);
    InstanceSource source = new InstanceSource() {
      @Override
      public List<ServiceEntry> inRotation(String service, Route.Select select) {
        return instances.stream().filter(e -> e.name().equals(service) && e.passing()).toList();
      }

      @Override
      public boolean known(String service) {
        return instances.stream().anyMatch(e -> e.name().equals(service));
      }

      @Override
      public List<ServiceEntry> registered(String service) {
        return instances.stream().filter(e -> e.name().equals(service)).toList();
      }
    };
    List<Route> snapshot = new ArrayList<>();
    gateway = new Gateway(settings, source, () -> {
      if (!snapshot.equals(routes)) {
        snapshot.clear();
        snapshot.addAll(routes);
      }
      return List.copyOf(snapshot);
    }, System::currentTimeMillis);
    Forwarder forwarder = new Forwarder(vertx, gateway, Admission.OPEN, GatewayObserver.NONE, null, Set.of());
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0)
        .setHttp2ClearTextEnabled(false);
    HttpServer proxy = vertx.createHttpServer(options)
        .connectionHandler(c -> Forwarder.onConnection(c, options))
        .requestHandler(forwarder::handle);
    proxyPort = await(proxy.listen()).actualPort();
    servers.add(proxy);
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  /** An upstream answering with its name (and the headers it saw) unless {@code behaviour} answers otherwise. */
  private int upstream(String name, Consumer<HttpServerRequest> behaviour) {
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(req -> {
          if (behaviour != null) {
            behaviour.accept(req);
            return;
          }
          JsonObject seen = new JsonObject().put("name", name).put("uri", req.uri());
          req.headers().forEach(h -> seen.put(h.getKey().toLowerCase(), h.getValue()));
          req.body().onSuccess(b -> req.response().putHeader("Connection", "keep-alive, X-Secret")
              .putHeader("X-Secret", "hop").putHeader("X-Bytes", Integer.toString(b.length())).end(seen.encode()));
        });
    int port = await(server.listen()).actualPort();
    servers.add(server);
    return port;
  }

  private void register(String id, String service, int port) {
    instances.add(new ServiceEntry(id, service, "1.0.0", "127.0.0.1", port, List.of(), new TreeMap<>(), null, null,
        1, "n1", null, 0, Health.HEALTHY, true, false, 0, null, 0, 0, null, 1));
  }

  private HttpResponse<String> get(String host, String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + path))
        .timeout(Duration.ofSeconds(30)).header("Host", host);
    headers.forEach(b::header);
    return client.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String method, String host, String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + path))
        .timeout(Duration.ofSeconds(30)).header("Host", host)
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void roundRobinSpreadsRequestsEvenlyAndHeadersAreForwardedAsAProxyShould() throws Exception {
    register("a", "users", upstream("a", null));
    register("b", "users", upstream("b", null));
    register("c", "users", upstream("c", null));
    Map<String, Integer> counts = new HashMap<>();
    HttpResponse<String> last = null;
    for (int i = 0; i < 60; i++) {
      last = get("users.cairn", "/x?y=1", Map.of("X-Request-Id", "req-1", "Connection", "X-Drop", "X-Drop", "1"));
      assertThat(last.statusCode()).isEqualTo(200);
      counts.merge(new JsonObject(last.body()).getString("name"), 1, Integer::sum);
    }
    assertThat(counts).containsOnlyKeys("a", "b", "c").allSatisfy((k, v) -> assertThat(v).isEqualTo(20));
    JsonObject seen = new JsonObject(last.body());
    assertThat(seen.getString("uri")).isEqualTo("/x?y=1");
    assertThat(seen.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(seen.getString("x-forwarded-proto")).isEqualTo("http");
    assertThat(seen.getString("x-forwarded-host")).isEqualTo("users.cairn");
    assertThat(seen.getString("forwarded")).isEqualTo("for=127.0.0.1;proto=http;host=\"users.cairn\"");
    assertThat(seen.getString("x-request-id")).isEqualTo("req-1");
    assertThat(seen.getString("via")).isEqualTo("1.1 test-gw");
    assertThat(seen.containsKey("x-drop")).isFalse();
    assertThat(last.headers().firstValue("X-Secret")).isEmpty();
    assertThat(last.headers().firstValue("X-Cairn-Attempts")).hasValue("1");
    assertThat(last.headers().firstValue("Via")).hasValue("1.1 test-gw");
  }

  @Test
  void aRefusedConnectionIsTriedElsewhereForAnyMethodAndEjectsTheInstance() throws Exception {
    register("a", "users", upstream("a", null));
    register("b", "users", upstream("b", null));
    register("dead", "users", closedPort());
    int attemptsAboveOne = 0;
    for (int i = 0; i < 30; i++) {
      HttpResponse<String> r = i % 2 == 0 ? get("users.cairn", "/", Map.of()) : send("POST", "users.cairn", "/", "{}");
      assertThat(r.statusCode()).isEqualTo(200);
      attemptsAboveOne += r.headers().firstValue("X-Cairn-Attempts").orElseThrow().equals("1") ? 0 : 1;
    }
    assertThat(attemptsAboveOne).isEqualTo(OutlierSettings.DEFAULTS.consecutiveConnectFailures());
    assertThat(gateway.upstreams()).singleElement().satisfies(u -> {
      assertThat(u.ejected()).isEqualTo(1);
      assertThat(u.instances()).filteredOn(Upstreams.Instance::ejected).extracting(Upstreams.Instance::id)
          .containsExactly("dead");
    });
  }

  @Test
  void a503IsRetriedForIdempotentMethodsOnlyWithSmallBodiesKept() throws Exception {
    register("busy", "users", upstream("busy", req -> req.response().setStatusCode(503).end("busy")));
    register("ok", "users", upstream("ok", null));
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> put = send("PUT", "users.cairn", "/", "x".repeat(1000));
      assertThat(put.statusCode()).isEqualTo(200);
      assertThat(put.headers().firstValue("X-Bytes")).hasValue("1000");
    }
    List<Integer> posts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      posts.add(send("POST", "users.cairn", "/", "{}").statusCode());
    }
    assertThat(posts).contains(503, 200);
  }

  @Test
  void aLoneInstancesOwn503ReachesTheClientAsItWasSent() throws Exception {
    register("busy", "users", upstream("busy", req -> req.response().setStatusCode(503).putHeader("Retry-After", "7")
        .end("busy")));
    HttpResponse<String> r = get("users.cairn", "/", Map.of());
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(r.headers().firstValue("X-Cairn-Attempts")).hasValue("1");
  }

  @Test
  void theBreakerAnswersAtOnceOverItsLimit() throws Exception {
    register("slow", "users", upstream("slow", req -> vertx.setTimer(3000, t -> req.response().end("late"))));
    routes.add(Routes.parse(new JsonObject("{\"service\":\"users\",\"breaker\":{\"maxConcurrentRequests\":2}}"), "all"));
    List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      slow.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/"))
          .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    awaitCondition(() -> gateway.activeRequests("users") == 2);
    long start = System.nanoTime();
    HttpResponse<String> third = get("any", "/", Map.of());
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(third.statusCode()).isEqualTo(503);
    assertThat(third.headers().firstValue("X-Cairn-Overloaded")).hasValue("true");
    assertThat(new JsonObject(third.body()).getString("error")).isEqualTo("overloaded");
    assertThat(millis).isLessThan(2000);
    for (CompletableFuture<HttpResponse<String>> f : slow) {
      assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    // The slot is given back when the proxy has finished the exchange, which can be a moment after the client read
    // the last byte.
    awaitCondition(() -> gateway.activeRequests("users") == 0);
  }

  @Test
  void aTryThatTimesOutIsRetriedAndTheLastAnswersGatewayTimeout() throws Exception {
    register("slow1", "users", upstream("slow1", req -> vertx.setTimer(5000, t -> req.response().end("late"))));
    register("slow2", "users", upstream("slow2", req -> vertx.setTimer(5000, t -> req.response().end("late"))));
    routes.add(Routes.parse(new JsonObject("{\"service\":\"users\",\"retries\":1,\"timeouts\":{\"try\":\"300ms\"}}"),
        "all"));
    HttpResponse<String> r = get("users.cairn", "/", Map.of());
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("upstream_timeout");
    assertThat(r.headers().firstValue("X-Cairn-Attempts")).hasValue("2");
  }

  @Test
  void aLargeBodyStreamsThroughAndRoutesRewriteTheirPrefix() throws Exception {
    register("a", "files", upstream("a", null));
    routes.add(Routes.parse(new JsonObject("{\"match\":{\"pathPrefix\":\"/api/files/\"},\"service\":\"files\","
        + "\"stripPrefix\":true}"), "files"));
    String big = "y".repeat(5 * 1024 * 1024);
    HttpResponse<String> r = send("POST", "whatever", "/api/files/up/load", big);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("X-Bytes")).hasValue(Integer.toString(big.length()));
    assertThat(new JsonObject(r.body()).getString("uri")).isEqualTo("/up/load");
    // Climbing out of the prefix leaves the route: /etc is routed as /etc (here to a service 'etc' nobody registered).
    HttpResponse<String> out = get("whatever", "/api/files/%2e%2e/%2e%2e/etc", Map.of());
    assertThat(new JsonObject(out.body()).getString("message")).contains("'etc'");
    assertThat(get("whatever", "/api/files/%2e%2e/%2e%2e/%2e%2e/etc", Map.of()).statusCode()).isEqualTo(400);
  }

  @Test
  void whatCannotBeRoutedIsAnsweredByTheProxyInJson() throws Exception {
    HttpResponse<String> unknown = get("127.0.0.1", "/", Map.of());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getString("error")).isEqualTo("no_route");
    HttpResponse<String> nobody = get("users.cairn", "/", Map.of());
    assertThat(nobody.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(nobody.body()).getString("message")).contains("no service 'users' is registered");
    register("a", "users", closedPort());
    instances.replaceAll(e -> e.withState(e.health(), false, false, null, 0, 0, 2));
    HttpResponse<String> empty = get("users.cairn", "/", Map.of());
    assertThat(empty.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(empty.body()).getString("error")).isEqualTo("no_healthy_instance");
    assertThat(gateway.upstreams()).isEmpty();
  }

  @Test
  void webSocketsAndEventStreamsPassThroughAsTheyAreWritten() throws Exception {
    int port = upstream("ws", req -> {
      if (req.path().equals("/ws")) {
        req.toWebSocket().onSuccess(ws -> ws.textMessageHandler(m -> ws.writeTextMessage("echo:" + m)));
      } else {
        req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
        req.response().write("data: first\n\n");
        vertx.setTimer(1500, t -> req.response().end("data: last\n\n"));
      }
    });
    register("ws", "live", port);
    CompletableFuture<String> echoed = new CompletableFuture<>();
    WebSocket ws = client.newWebSocketBuilder().header("Host", "live.cairn")
        .buildAsync(URI.create("ws://127.0.0.1:" + proxyPort + "/ws"), new WebSocket.Listener() {
          @Override
          public CompletableFuture<?> onText(WebSocket socket, CharSequence data, boolean last) {
            echoed.complete(data.toString());
            return null;
          }
        }).get(30, TimeUnit.SECONDS);
    ws.sendText("hello", true);
    assertThat(echoed.get(30, TimeUnit.SECONDS)).isEqualTo("echo:hello");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");

    long start = System.nanoTime();
    HttpResponse<InputStream> events = client.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + proxyPort + "/events")).header("Host", "live.cairn")
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader lines = new BufferedReader(new InputStreamReader(events.body()));
    assertThat(lines.readLine()).isEqualTo("data: first");
    // The first event is read while the upstream still holds the stream open: nothing was buffered to the end.
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1500);
    lines.readLine();
    assertThat(lines.readLine()).isEqualTo("data: last");
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitCondition(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
