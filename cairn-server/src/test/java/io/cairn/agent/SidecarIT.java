package io.cairn.agent;

import io.cairn.support.GrpcEchoServer;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.ProxyClient;
import io.cairn.support.SteadyLoad;
import io.cairn.support.TempDirs;
import io.cairn.support.TestNodes;
import io.cairn.support.Upstreams;
import io.cairn.support.Upstreams.Upstream;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The agent as its application's sidecar: a Cairn node, the agent as a process of the fat jar with
 * {@code --proxy-port} and nothing to register, upstream services as processes of their own, and an "application"
 * (this test's HTTP client) that only knows 127.0.0.1:PORT and names services in {@code Host}. It reaches services
 * by name (over HTTP/1.1, and gRPC on the sidecar's HTTP/2 port), follows a route as it is written and rewritten
 * and a split as it moves, and a killed instance costs it no idempotent request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SidecarIT {
  /** What a change may take to reach the application through the node, the watch and the sidecar. */
  private static final Duration FOLLOW = Duration.ofSeconds(20);
  private TestNodes cluster;
  private String base;
  private Upstream one;
  private Upstream two;
  private Upstream cartA;
  private Upstream cartB;
  private Process agent;
  private Path agentLog;
  private int proxyPort;
  private int grpcProxyPort;
  private Server echo;
  private ProxyClient app;

  @BeforeAll
  void start() throws IOException {
    cluster = new TestNodes(1);
    TestNodes.Node node = cluster.start(0);
    base = node.base();
    List<Upstream> upstreams = Upstreams.startAll("one", "two", "cart-a", "cart-b");
    one = upstreams.get(0);
    two = upstreams.get(1);
    cartA = upstreams.get(2);
    cartB = upstreams.get(3);
    // Known before the sidecar starts: it comes in the watch's first snapshot.
    register("shop-1", "shop", "1.0.0", one);
    // A gRPC service the application calls through the sidecar's HTTP/2 port.
    echo = GrpcEchoServer.start(0, "E");
    write("PUT", "/v1/services/echo-1", new JsonObject().put("name", "echo").put("address", "127.0.0.1")
        .put("port", echo.getPort()));
    proxyPort = TestNodes.freePort();
    grpcProxyPort = TestNodes.freePort();
    agentLog = TempDirs.deletedAtExit(Files.createTempDirectory("cairn-sidecar")).resolve("agent.log");
    agent = JarCluster.runJarClass("io.cairn.agent.CairnAgent", agentLog, List.of(
        "--nodes", "127.0.0.1:" + node.httpPort(), "--proxy-port", Integer.toString(proxyPort),
        "--proxy-grpc-port", Integer.toString(grpcProxyPort)));
    app = new ProxyClient();
    await("the sidecar serves shop").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
        .until(() -> app.getNow(proxyPort, "shop", "/").ok());
  }

  @AfterAll
  void stop() throws Exception {
    if (agent != null) {
      agent.destroy();
      if (!agent.waitFor(30, TimeUnit.SECONDS)) {
        agent.destroyForcibly();
      }
    }
    if (app != null) {
      app.close();
    }
    if (echo != null) {
      echo.shutdownNow();
    }
    for (Upstream u : new Upstream[] {one, two, cartA, cartB}) {
      if (u != null) {
        u.stop();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(10)
  void theApplicationReachesAServiceByItsNameAndAnUnknownNameIsNotFound() {
    ProxyClient.Reply byName = ProxyClient.await(app.send(proxyPort, "shop", 80, "GET", "/items?page=2", Map.of(),
        null));
    assertThat(byName.status()).as("Host: shop: %s", byName).isEqualTo(200);
    assertThat(byName.upstream()).isEqualTo("one");
    assertThat(byName.json().getString("path")).isEqualTo("/items?page=2");
    assertThat(app.getNow(proxyPort, "shop", "/").upstream()).as("Host: shop:PORT").isEqualTo("one");
    assertThat(app.getNow(proxyPort, "shop.cairn", "/").upstream()).as("Host: shop.cairn:PORT").isEqualTo("one");

    // Registered after the sidecar started: the watch brings it.
    register("late-1", "late", "1.0.0", two);
    await("the sidecar hears of a new service").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> "two".equals(app.getNow(proxyPort, "late", "/").upstream()));

    ProxyClient.Reply unknown = app.getNow(proxyPort, "nosuch", "/");
    assertThat(unknown.status()).as("%s", unknown).isEqualTo(404);
    assertThat(unknown.json().getString("message")).contains("nosuch");
  }

  @Test
  @Order(15)
  void theApplicationsGrpcCallsReachAServiceByItsNameThroughTheSidecarsHttp2Port() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcProxyPort).usePlaintext()
        .overrideAuthority("echo").build();
    try {
      CallOptions deadline = CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
      assertThat(ClientCalls.blockingUnaryCall(channel, GrpcEchoServer.WHO, deadline, "hi")).isEqualTo("E:hi");
      List<String> counted = new ArrayList<>();
      ClientCalls.blockingServerStreamingCall(channel, GrpcEchoServer.COUNT, deadline, "5")
          .forEachRemaining(counted::add);
      assertThat(counted).hasSize(5);
      // A name nobody registered is a gRPC status the application can act on, not a broken stream.
      ManagedChannel unknown = NettyChannelBuilder.forAddress("127.0.0.1", grpcProxyPort).usePlaintext()
          .overrideAuthority("nobody").build();
      try {
        StatusRuntimeException e = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(unknown,
            GrpcEchoServer.WHO, deadline, "hi"), StatusRuntimeException.class);
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
      } finally {
        unknown.shutdownNow();
      }
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @Order(20)
  void aRouteWrittenAndRewrittenIsFollowed() {
    register("catalog-1", "catalog", "1.4.0", one);
    register("catalog-2", "catalog", "2.1.0", two);
    await("both instances serve catalog").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> upstreamsOf(10, "catalog", "/api/x").equals(Set.of("one", "two")));

    JsonObject route = new JsonObject().put("service", "catalog")
        .put("match", new JsonObject().put("host", "catalog").put("pathPrefix", "/api/"))
        .put("select", new JsonObject().put("version", "^2"));
    write("PUT", "/v1/routes/catalog-api", route);
    await("the route to version 2 is followed").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> upstreamsOf(10, "catalog", "/api/x").equals(Set.of("two")));
    assertThat(upstreamsOf(10, "catalog", "/other")).as("outside the route's prefix").isEqualTo(Set.of("one", "two"));

    write("PUT", "/v1/routes/catalog-api", route.copy().put("select", new JsonObject().put("version", "^1")));
    await("the rewritten route is followed").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> upstreamsOf(10, "catalog", "/api/x").equals(Set.of("one")));

    // Blue/green through a split: all of it to version 2, then half and half.
    JsonObject split = route.copy();
    split.remove("select");
    write("PUT", "/v1/routes/catalog-api", split.copy().put("split", sides(0, 100)));
    await("the split's switch to version 2 is followed").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> upstreamsOf(10, "catalog", "/api/x").equals(Set.of("two")));
    write("PUT", "/v1/routes/catalog-api", split.copy().put("split", sides(50, 50)));
    await("the split moved to 50/50 is followed").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> upstreamsOf(40, "catalog", "/api/x").equals(Set.of("one", "two")));

    write("DELETE", "/v1/routes/catalog-api", null);
    await("the deleted route is gone").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> upstreamsOf(10, "catalog", "/api/x").equals(Set.of("one", "two")));
  }

  @Test
  @Order(30)
  void anInstanceKilledUnderLoadCostsTheApplicationNoRequest() throws Exception {
    register("cart-a", "cart", "1.0.0", cartA);
    register("cart-b", "cart", "1.0.0", cartB);
    await("both instances serve cart").atMost(FOLLOW).pollInterval(Duration.ofMillis(100))
        .until(() -> upstreamsOf(10, "cart", "/").equals(Set.of("cart-a", "cart-b")));
    SteadyLoad load = SteadyLoad.start(app, proxyPort, "cart", "/load", 50);
    List<ProxyClient.Reply> replies;
    long killedAt;
    try {
      await().atMost(FOLLOW).until(() -> load.completed() >= 100);
      cartA.kill();
      killedAt = System.nanoTime();
      // Five more seconds of load with one instance dead and still registered (it has no health check).
      await().atMost(FOLLOW).until(() -> load.sentSince(killedAt) >= 250);
    } finally {
      replies = load.stop();
    }
    List<ProxyClient.Reply> failed = replies.stream().filter(r -> !r.ok()).toList();
    long afterKill = replies.stream().filter(r -> r.startNanos() - killedAt > 0).count();
    System.out.println("SidecarIT kill under load: " + replies.size() + " GETs (" + afterKill + " after the kill), "
        + failed.size() + " failed");
    assertThat(failed).as(() -> "failed requests of " + replies.size() + " while cart-a was killed:\n"
        + failed.stream().limit(10).map(String::valueOf).collect(Collectors.joining("\n")) + "\nagent:\n"
        + agentLogTail())
        .isEmpty();
    assertThat(replies.stream().filter(r -> r.startNanos() - killedAt > 0).map(ProxyClient.Reply::upstream))
        .as("answered after the kill").containsOnly("cart-b");
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  private void register(String id, String name, String version, Upstream u) {
    write("PUT", "/v1/services/" + id, new JsonObject().put("name", name).put("version", version)
        .put("address", "127.0.0.1").put("port", u.port));
  }

  private void write(String method, String path, JsonObject body) {
    Http.Response r = Http.send(method, base + path, Map.of(), body == null ? null : body.encode());
    assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isBetween(200, 299);
  }

  /** The instances that answered {@code n} GETs through the sidecar, by their X-Upstream-Id. */
  private Set<String> upstreamsOf(int n, String service, String path) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      ProxyClient.Reply r = app.getNow(proxyPort, service, path);
      seen.add(r.ok() ? r.upstream() : "status " + r.status());
    }
    return seen;
  }

  private String agentLogTail() {
    try {
      List<String> lines = Files.readAllLines(agentLog, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** A split of version 1 and version 2 by these weights. */
  private static JsonArray sides(int v1, int v2) {
    return new JsonArray()
        .add(new JsonObject().put("select", new JsonObject().put("version", "^1")).put("weight", v1))
        .add(new JsonObject().put("select", new JsonObject().put("version", "^2")).put("weight", v2));
  }
}
