package io.cairn.security;

import io.cairn.client.RegistryService;
import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.HeartbeatMessage;
import io.cairn.grpc.v1.HeartbeatReply;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.InstanceRef;
import io.cairn.grpc.v1.ListNodesRequest;
import io.cairn.grpc.v1.Ping;
import io.cairn.grpc.v1.PutRouteRequest;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegistryGrpc;
import io.cairn.grpc.v1.RouteRef;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.support.Http;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TempDirs;
import io.cairn.support.TestNodes;
import io.cairn.webapi.Authentication;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import io.vertx.serviceproxy.ServiceProxyBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A node with a tokens file and an ACL policy, asked by callers with no token, an unknown token, a token without the
 * right and a token with it, over every interface: REST, SSE, WebSocket, gRPC (grpc-java) and the event-bus API
 * from a Vert.x member that runs no Cairn. Also: what a reader sees of services it may not read, token rotation,
 * and the audit log.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessControlTest {
  private static final String ADMIN = "admin-secret-0001";
  private static final String DEPLOYER = "deployer-secret-0002";
  private static final String VIEWER = "viewer-secret-0003";
  private static final String OPERATOR = "operator-secret-0004";
  private static final String NOBODY = "nobody-secret-0005";
  private static final String UNKNOWN = "not-a-token-of-this-node";

  private TestNodes cluster;
  private TestNodes.Node node;
  private Path dir;
  private Path tokensFile;
  private Path auditFile;
  private Path policy;
  private ManagedChannel channel;
  private Vertx member;

  @BeforeAll
  void start() throws IOException {
    dir = TempDirs.deletedAtExit(Files.createTempDirectory("cairn-acl"));
    tokensFile = dir.resolve("tokens");
    auditFile = dir.resolve("audit.log");
    Files.writeString(tokensFile, SecurityFiles.tokenLines(ADMIN, "admin", DEPLOYER, "payments-deployer", VIEWER, "wall-screen",
        OPERATOR, "alice", NOBODY, "nobody"));
    policy = dir.resolve("policy.csv");
    Files.writeString(policy, String.join("\n",
        "p, admin, *, *, allow",
        "p, payments-deployer, service:payments-*, register, allow",
        "p, payments-deployer, service:payments-*, read, allow",
        "p, viewer, *, read, allow",
        "p, viewer, service:vault*, read, deny",
        "p, operator, service:*, operate, allow",
        "g, wall-screen, viewer",
        "g, alice, operator", ""));
    cluster = new TestNodes(2).withToken(ADMIN);
    node = cluster.start(0, new JsonObject().put("security", new JsonObject()
        .put("tokensFile", tokensFile.toString()).put("reloadInterval", "200ms")
        .put("acl", new JsonObject().put("policy", policy.toString()))
        .put("audit", new JsonObject().put("file", auditFile.toString()))));
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.httpPort()).usePlaintext().build();
    member = cluster.startPlainMember(1);
    // What the checks below act on: payments-1 (to read, operate and deregister), a ttl instance, a secret one.
    assertThat(rest("PUT", "/v1/services/payments-1", ADMIN, instance("payments-api", 7001)).status()).isEqualTo(201);
    assertThat(rest("PUT", "/v1/services/payments-ttl", ADMIN, instance("payments-api", 7002).put("ttl", "30s"))
        .status()).isEqualTo(201);
    assertThat(rest("PUT", "/v1/services/vault-1", ADMIN, instance("vault", 8200)).status()).isEqualTo(201);
  }

  @AfterAll
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cluster.close();
  }

  private static JsonObject instance(String name, int port) {
    return new JsonObject().put("name", name).put("address", "127.0.0.1").put("port", port);
  }

  private Http.Response rest(String method, String path, String token, JsonObject body) {
    Map<String, String> headers = token == null ? Map.of() : Map.of("Authorization", "Bearer " + token);
    return Http.send(method, node.base() + path, headers, body == null ? null : body.encode());
  }

  /** One REST endpoint: how to call it, and which token has the right to. */
  private record Endpoint(String method, String path, Function<Integer, JsonObject> body, String rightful,
                          int success) {
  }

  @Test
  void everyRestEndpointAnswers401WithoutAKnownToken403WithoutTheRightAndServesTheRightfulCaller() {
    List<Endpoint> endpoints = List.of(
        new Endpoint("POST", "/v1/services", i -> instance("payments-api", 9000 + i), DEPLOYER, 201),
        new Endpoint("PUT", "/v1/services/payments-put", i -> instance("payments-api", 9100 + i), DEPLOYER, 201),
        new Endpoint("GET", "/v1/services?name=payments-api", i -> null, DEPLOYER, 200),
        new Endpoint("GET", "/v1/services/payments-1", i -> null, VIEWER, 200),
        new Endpoint("PUT", "/v1/services/payments-ttl/heartbeat", i -> null, DEPLOYER, 200),
        new Endpoint("POST", "/v1/services/payments-1/disable", i -> null, OPERATOR, 200),
        new Endpoint("POST", "/v1/services/payments-1/enable", i -> null, OPERATOR, 200),
        new Endpoint("POST", "/v1/checks/run?name=payments-api", i -> null, OPERATOR, 200),
        new Endpoint("GET", "/v1/status", i -> null, VIEWER, 200),
        new Endpoint("GET", "/v1/nodes", i -> null, VIEWER, 200),
        new Endpoint("GET", "/v1/topology", i -> null, VIEWER, 200),
        new Endpoint("GET", "/v1/stats", i -> null, ADMIN, 200),
        new Endpoint("GET", "/metrics", i -> null, ADMIN, 200),
        new Endpoint("GET", "/v1/services?name=payments-api&index=1&wait=1s", i -> null, VIEWER, 200));
    int n = 0;
    for (Endpoint e : endpoints) {
      String what = e.method + " " + e.path;
      Http.Response none = rest(e.method, e.path, null, e.body.apply(n++));
      assertThat(none.status()).as(what + " without a token").isEqualTo(401);
      assertThat(none.json().getString("error")).isEqualTo("unauthenticated");
      assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
      assertThat(rest(e.method, e.path, UNKNOWN, e.body.apply(n++)).status()).as(what + " with an unknown token")
          .isEqualTo(401);
      Http.Response denied = rest(e.method, e.path, NOBODY, e.body.apply(n++));
      assertThat(denied.status()).as(what + " with a token without the right").isEqualTo(403);
      assertThat(denied.json().getString("error")).isEqualTo("forbidden");
      assertThat(rest(e.method, e.path, e.rightful, e.body.apply(n++)).status()).as(what + " with the right")
          .isEqualTo(e.success);
    }
    // A right on some services is no right on others.
    assertThat(rest("PUT", "/v1/services/orders-1", DEPLOYER, instance("orders", 7100)).status()).isEqualTo(403);
    assertThat(rest("POST", "/v1/services/payments-1/drain", DEPLOYER, null).status()).isEqualTo(403);
    assertThat(rest("GET", "/v1/stats", VIEWER, null).status()).isEqualTo(403);
    // Re-registering another service's instance id under a name the caller may write is still a write to it.
    assertThat(rest("PUT", "/v1/services/vault-1", DEPLOYER, instance("payments-api", 8201)).status()).isEqualTo(403);
    assertThat(rest("GET", "/v1/services/vault-1", ADMIN, null).json().getString("name")).isEqualTo("vault");

    // Deregistration last: the instance it removes was created above by the deployer.
    assertThat(rest("DELETE", "/v1/services/payments-put", null, null).status()).isEqualTo(401);
    assertThat(rest("DELETE", "/v1/services/payments-put", NOBODY, null).status()).isEqualTo(403);
    assertThat(rest("GET", "/v1/services/payments-put", ADMIN, null).status()).isEqualTo(200);
    assertThat(rest("DELETE", "/v1/services/payments-put", DEPLOYER, null).status()).isEqualTo(200);
  }

  @Test
  void theConsulApiTakesConsulsTokenHeaderAndAppliesTheSameAcl() {
    Map<String, String> viewer = Map.of("X-Consul-Token", VIEWER);
    Map<String, String> deployer = Map.of("X-Consul-Token", DEPLOYER);
    assertThat(Http.get(node.base() + "/v1/catalog/services").status()).isEqualTo(401);
    assertThat(Http.withHeaders("GET", node.base() + "/v1/catalog/services", Map.of("X-Consul-Token", UNKNOWN))
        .status()).isEqualTo(401);
    // A reader sees the names it may read; a name it may not read is refused.
    JsonObject catalog = new JsonObject(Http.withHeaders("GET", node.base() + "/v1/catalog/services", viewer).body());
    assertThat(catalog.fieldNames()).contains("payments-api").doesNotContain("vault");
    assertThat(Http.withHeaders("GET", node.base() + "/v1/health/service/vault", viewer).status()).isEqualTo(403);
    assertThat(Http.get(node.base() + "/v1/health/service/payments-api?token=" + VIEWER).status()).isEqualTo(200);
    // Registering needs the right to register that service, whichever API it comes through.
    String payments = new JsonObject().put("ID", "payments-consul").put("Name", "payments-api")
        .put("Address", "127.0.0.1").put("Port", 9400).encode();
    assertThat(Http.send("PUT", node.base() + "/v1/agent/service/register", viewer, payments).status()).isEqualTo(403);
    assertThat(Http.send("PUT", node.base() + "/v1/agent/service/register", deployer, payments).status()).isEqualTo(200);
    String vault = new JsonObject().put("Name", "vault").put("Address", "127.0.0.1").put("Port", 9401).encode();
    assertThat(Http.send("PUT", node.base() + "/v1/agent/service/register", deployer, vault).status()).isEqualTo(403);
    assertThat(Http.send("PUT", node.base() + "/v1/agent/service/deregister/payments-consul", deployer, null)
        .status()).isEqualTo(200);
    // The leader is anyone's to ask (clients check the cluster is up); the voters' addresses need read on cluster.
    assertThat(Http.withHeaders("GET", node.base() + "/v1/status/leader", deployer).status()).isEqualTo(200);
    assertThat(Http.withHeaders("GET", node.base() + "/v1/status/peers", deployer).status()).isEqualTo(403);
    assertThat(Http.withHeaders("GET", node.base() + "/v1/status/peers", viewer).status()).isEqualTo(200);
  }

  @Test
  void aBulkRegistrationRefusesTheItemsTheCallerMayNotWriteAndTakesTheOthers() {
    JsonArray items = new JsonArray().add(instance("payments-bulk", 9301).put("id", "payments-bulk-1"))
        .add(instance("orders", 9302).put("id", "orders-bulk-1"));
    Http.Response answer = Http.send("POST", node.base() + "/v1/services:bulk",
        Map.of("Authorization", "Bearer " + DEPLOYER), items.encode());
    assertThat(answer.status()).isEqualTo(200);
    JsonArray results = answer.json().getJsonArray("results");
    assertThat(results.getJsonObject(0).getInteger("status")).isEqualTo(201);
    assertThat(results.getJsonObject(1).getInteger("status")).isEqualTo(403);
    assertThat(results.getJsonObject(1).getString("error")).isEqualTo("forbidden");
    assertThat(rest("GET", "/v1/services/orders-bulk-1", ADMIN, null).status()).isEqualTo(404);
    assertThat(Http.send("POST", node.base() + "/v1/services:bulk", Map.of(), items.encode()).status()).isEqualTo(401);
  }

  @Test
  void aReaderDiscoversOnlyTheServicesItMayReadAndIsRefusedOneItMayNot() {
    JsonArray all = rest("GET", "/v1/services?status=any", VIEWER, null).json().getJsonArray("services");
    assertThat(all.stream().map(o -> ((JsonObject) o).getString("name"))).contains("payments-api")
        .doesNotContain("vault");
    assertThat(rest("GET", "/v1/services?status=any", ADMIN, null).json().getJsonArray("services").stream()
        .map(o -> ((JsonObject) o).getString("name"))).contains("vault");
    assertThat(rest("GET", "/v1/services?name=vault", VIEWER, null).status()).isEqualTo(403);
    assertThat(rest("GET", "/v1/services/vault-1", VIEWER, null).status()).isEqualTo(403);
    // The deployer reads its own services only: across names, nothing else.
    assertThat(rest("GET", "/v1/services?status=any", DEPLOYER, null).json().getJsonArray("services").stream()
        .map(o -> ((JsonObject) o).getString("name")).distinct()).allMatch(name -> name.startsWith("payments-"));
  }

  @Test
  void prometheusDiscoveryIsNarrowedToWhatTheCallerMayReadLikeDiscovery() {
    java.util.function.Function<String, List<String>> services = token -> new JsonArray(rest("GET", "/v1/sd/prometheus", token, null)
        .body()).stream().map(g -> ((JsonObject) g).getJsonObject("labels").getString("name")).toList();
    assertThat(services.apply(VIEWER)).contains("payments-api").doesNotContain("vault");
    assertThat(services.apply(ADMIN)).contains("payments-api", "vault");
    assertThat(rest("GET", "/v1/sd/prometheus?name=vault", VIEWER, null).status()).isEqualTo(403);
    assertThat(Http.get(node.base() + "/v1/sd/prometheus").status()).isEqualTo(401);
  }

  @Test
  void serverSentEventsTakeTheTokenAsAQueryParameterAndCarryOnlyWhatTheCallerMayRead() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    assertThat(sseStatus(http, "/v1/events")).isEqualTo(401);
    assertThat(sseStatus(http, "/v1/events?token=" + UNKNOWN)).isEqualTo(401);
    assertThat(sseStatus(http, "/v1/events?name=payments-api&token=" + NOBODY)).isEqualTo(403);
    assertThat(sseStatus(http, "/v1/events?name=vault&token=" + VIEWER)).isEqualTo(403);

    HttpResponse<java.util.stream.Stream<String>> stream = http.send(HttpRequest.newBuilder(
        URI.create(node.base() + "/v1/events?token=" + VIEWER)).build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> stream.body().forEach(lines::add));
    reader.setDaemon(true);
    reader.start();
    assertThat(rest("PUT", "/v1/services/vault-sse", ADMIN, instance("vault", 8300)).status()).isEqualTo(201);
    assertThat(rest("PUT", "/v1/services/payments-sse", ADMIN, instance("payments-api", 8301)).status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(20)).until(() -> lines.stream().anyMatch(l -> l.contains("payments-sse")));
    assertThat(lines).noneMatch(l -> l.contains("vault-sse"));
    stream.body().close();
  }

  @Test
  void aStreamTakesThePagesCookieFromItsOwnOriginButNotFromAnotherSite() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String cookie = Authentication.TOKEN_COOKIE + "=" + VIEWER;
    String own = "http://127.0.0.1:" + node.httpPort();
    assertThat(sseStatus(http, "/v1/events", Map.of("Cookie", cookie))).isEqualTo(200);
    assertThat(sseStatus(http, "/v1/events", Map.of("Cookie", cookie, "Origin", own))).isEqualTo(200);
    // A page of another site opening a stream in the user's browser does not get the user's rights.
    assertThat(sseStatus(http, "/v1/events", Map.of("Cookie", cookie, "Origin", "http://evil.example")))
        .isEqualTo(401);
    // The cookie is for streams only; the REST API takes the Authorization header.
    assertThat(Http.send("GET", node.base() + "/v1/status", Map.of("Cookie", cookie), null).status()).isEqualTo(401);
  }

  @Test
  void aChangedPolicyFileTakesEffectWithoutARestart() throws IOException {
    assertThat(rest("GET", "/v1/services/payments-1", NOBODY, null).status()).isEqualTo(403);
    String before = Files.readString(policy);
    Files.writeString(policy, before + "p, nobody, service:payments-*, read, allow\n");
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> rest("GET", "/v1/services/payments-1", NOBODY, null)
          .status() == 200);
      assertThat(rest("GET", "/v1/services/vault-1", NOBODY, null).status()).isEqualTo(403);
    } finally {
      Files.writeString(policy, before);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> rest("GET", "/v1/services/payments-1", NOBODY, null)
        .status() == 403);
  }

  private int sseStatus(HttpClient http, String path) throws Exception {
    return sseStatus(http, path, Map.of());
  }

  private int sseStatus(HttpClient http, String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.base() + path));
    headers.forEach(request::header);
    HttpResponse<java.io.InputStream> r = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    r.body().close();
    return r.statusCode();
  }


  @Test
  void aWebSocketIsRefusedAtTheHandshakeWithoutTheRightAndItsSnapshotLeavesOutWhatItMayNotRead() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String ws = "ws://127.0.0.1:" + node.httpPort() + "/v1/ws";
    assertThat(handshakeStatus(http, ws)).isEqualTo(401);
    assertThat(handshakeStatus(http, ws + "?token=" + UNKNOWN)).isEqualTo(401);
    assertThat(handshakeStatus(http, ws + "?name=vault&token=" + VIEWER)).isEqualTo(403);

    List<String> frames = new CopyOnWriteArrayList<>();
    WebSocket socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + VIEWER)
        .buildAsync(URI.create(ws), new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public java.util.concurrent.CompletionStage<?> onText(WebSocket s, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              frames.add(partial.toString());
              partial.setLength(0);
            }
            s.request(1);
            return null;
          }
        }).get(20, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(20)).until(() -> frames.stream().anyMatch(f -> f.contains("\"snapshot\"")));
    String snapshot = frames.stream().filter(f -> f.contains("\"snapshot\"")).findFirst().orElseThrow();
    assertThat(snapshot).contains("payments-1").doesNotContain("vault-1");
    // Subscribing to a service it may not read is refused in an error frame; the stream goes on.
    socket.sendText(new JsonObject().put("subscribe", new JsonObject().put("name", "vault")).encode(), true);
    await().atMost(Duration.ofSeconds(20)).until(() -> frames.stream().anyMatch(f -> f.contains("\"forbidden\"")));
    socket.abort();
  }

  private static int handshakeStatus(HttpClient http, String url) throws Exception {
    Throwable refused = catchThrowable(() -> http.newWebSocketBuilder().buildAsync(URI.create(url),
        new WebSocket.Listener() {
        }).join());
    assertThat(refused).isInstanceOf(CompletionException.class);
    assertThat(refused.getCause()).isInstanceOf(WebSocketHandshakeException.class);
    return ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode();
  }

  private RegistryGrpc.RegistryBlockingStub grpc(String token) {
    RegistryGrpc.RegistryBlockingStub stub = RegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    if (token == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private Status.Code grpcCode(Runnable call) {
    Throwable t = catchThrowable(call::run);
    return t == null ? Status.Code.OK : ((StatusRuntimeException) t).getStatus().getCode();
  }

  @Test
  void everyRpcAnswersUnauthenticatedPermissionDeniedOrServesTheRightfulCaller() {
    InstanceRef payments = InstanceRef.newBuilder().setId("payments-1").build();
    Map<String, Function<RegistryGrpc.RegistryBlockingStub, Object>> calls = new java.util.LinkedHashMap<>();
    calls.put("Register", s -> s.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
        .setId("payments-grpc").setName("payments-api").setAddress("127.0.0.1").setPort(9400)).build()));
    calls.put("Get", s -> s.get(payments));
    calls.put("Discover", s -> s.discover(DiscoverRequest.newBuilder().setName("payments-api").build()));
    calls.put("Disable", s -> s.disable(payments));
    calls.put("Enable", s -> s.enable(payments));
    calls.put("ListNodes", s -> s.listNodes(ListNodesRequest.getDefaultInstance()));
    calls.put("Watch", s -> {
      Iterator<WatchEvent> events = s.watch(WatchRequest.newBuilder().setName("payments-api").build());
      return events.next();
    });
    // A route takes the right to operate its service; reading it, the right to read.
    calls.put("PutRoute", s -> s.putRoute(PutRouteRequest.newBuilder().setId("payments-grpc")
        .setRouteJson(new JsonObject().put("service", "payments-api").encode()).build()));
    calls.put("GetRoute", s -> s.getRoute(RouteRef.newBuilder().setId("payments-grpc").build()));
    Map<String, String> rightful = Map.of("Register", DEPLOYER, "Get", VIEWER, "Discover", DEPLOYER, "Disable",
        OPERATOR, "Enable", OPERATOR, "ListNodes", VIEWER, "Watch", VIEWER, "PutRoute", OPERATOR, "GetRoute", VIEWER);
    for (var call : calls.entrySet()) {
      String rpc = call.getKey();
      assertThat(grpcCode(() -> call.getValue().apply(grpc(null)))).as(rpc + " without a token")
          .isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(grpcCode(() -> call.getValue().apply(grpc(UNKNOWN)))).as(rpc + " with an unknown token")
          .isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(grpcCode(() -> call.getValue().apply(grpc(NOBODY)))).as(rpc + " without the right")
          .isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(grpcCode(() -> call.getValue().apply(grpc(rightful.get(rpc))))).as(rpc + " with the right")
          .isEqualTo(Status.Code.OK);
    }
    InstanceRef created = InstanceRef.newBuilder().setId("payments-grpc").build();
    assertThat(grpcCode(() -> grpc(NOBODY).deregister(created))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(grpcCode(() -> grpc(DEPLOYER).deregister(created))).isEqualTo(Status.Code.OK);
    RouteRef route = RouteRef.newBuilder().setId("payments-grpc").build();
    assertThat(grpcCode(() -> grpc(NOBODY).deleteRoute(route))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(grpc(NOBODY).listRoutes(io.cairn.grpc.v1.ListRoutesRequest.getDefaultInstance()).getRoutesCount())
        .as("only the routes the caller may read").isZero();
    assertThat(grpcCode(() -> grpc(ADMIN).deleteRoute(route))).isEqualTo(Status.Code.OK);
    // The standard health service stays open to load balancers.
    assertThat(io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
        .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void anAgentsHeartbeatStreamNeedsTheRightToRegisterItsInstances() throws Exception {
    assertThat(heartbeat(null)).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(heartbeat(NOBODY)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(heartbeat(DEPLOYER)).isEqualTo(Status.Code.OK);
  }

  /** Sends one ping for payments-ttl: the status the stream ended with, or OK when a pong came back. */
  private Status.Code heartbeat(String token) throws Exception {
    RegistryGrpc.RegistryStub stub = RegistryGrpc.newStub(channel);
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    java.util.concurrent.CompletableFuture<Status.Code> outcome = new java.util.concurrent.CompletableFuture<>();
    StreamObserver<HeartbeatMessage> out = stub.heartbeat(new StreamObserver<>() {
      @Override
      public void onNext(HeartbeatReply reply) {
        outcome.complete(reply.hasPong() ? Status.Code.OK : Status.Code.UNKNOWN);
      }

      @Override
      public void onError(Throwable t) {
        outcome.complete(Status.fromThrowable(t).getCode());
      }

      @Override
      public void onCompleted() {
        outcome.complete(Status.Code.CANCELLED);
      }
    });
    out.onNext(HeartbeatMessage.newBuilder().setPing(Ping.newBuilder().setSequence(1).addInstanceIds("payments-ttl"))
        .build());
    Status.Code code = outcome.get(30, TimeUnit.SECONDS);
    out.onCompleted();
    return code;
  }

  private RegistryService eventBus(String token) {
    ServiceProxyBuilder builder = new ServiceProxyBuilder(member).setAddress(RegistryService.ADDRESS);
    if (token != null) {
      builder.setToken(token);
    }
    return builder.build(RegistryService.class);
  }

  private int eventBusStatus(java.util.function.Supplier<io.vertx.core.Future<JsonObject>> call) {
    try {
      call.get().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return 200;
    } catch (java.util.concurrent.ExecutionException e) {
      return ((ServiceException) e.getCause()).failureCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theEventBusApiTakesTheServiceProxyTokenAndDecidesLikeTheOtherInterfaces() {
    // The member's event bus learns the node's consumer asynchronously.
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> eventBusStatus(() -> eventBus(ADMIN).status()) == 200);
    JsonObject payments = instance("payments-api", 9500);
    assertThat(eventBusStatus(() -> eventBus(null).put("payments-eb", payments, null))).isEqualTo(401);
    assertThat(eventBusStatus(() -> eventBus(UNKNOWN).put("payments-eb", payments, null))).isEqualTo(401);
    assertThat(eventBusStatus(() -> eventBus(NOBODY).put("payments-eb", payments, null))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(DEPLOYER).put("payments-eb", payments, null))).isEqualTo(200);
    assertThat(eventBusStatus(() -> eventBus(NOBODY).get("payments-eb"))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(VIEWER).get("payments-eb"))).isEqualTo(200);
    assertThat(eventBusStatus(() -> eventBus(DEPLOYER).drain("payments-eb"))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(OPERATOR).drain("payments-eb"))).isEqualTo(200);
    assertThat(eventBusStatus(() -> eventBus(VIEWER).discover(new JsonObject().put("name", "vault")))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(NOBODY).deregister("payments-eb"))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(DEPLOYER).deregister("payments-eb"))).isEqualTo(200);
    JsonObject route = new JsonObject().put("service", "payments-api");
    assertThat(eventBusStatus(() -> eventBus(null).putRoute("payments-eb", route, null))).isEqualTo(401);
    assertThat(eventBusStatus(() -> eventBus(NOBODY).putRoute("payments-eb", route, null))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(OPERATOR).putRoute("payments-eb", route, null))).isEqualTo(200);
    assertThat(eventBusStatus(() -> eventBus(NOBODY).getRoute("payments-eb"))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(VIEWER).getRoute("payments-eb"))).isEqualTo(200);
    assertThat(eventBusStatus(() -> eventBus(NOBODY).deleteRoute("payments-eb"))).isEqualTo(403);
    assertThat(eventBusStatus(() -> eventBus(ADMIN).deleteRoute("payments-eb"))).isEqualTo(200);
  }

  @Test
  void aRotatedTokenWorksAtOnceAndTheOldOneUntilItIsRemovedFromTheFile() throws IOException {
    String base = Files.readString(tokensFile);
    String rotated = "rotated-secret-0006";
    // Both the old and the new secret of the deployer, as an operator lists them during a rotation.
    Files.writeString(tokensFile, base + "payments-deployer:" + TokenFile.sha256Hex(rotated) + "\n");
    await().atMost(Duration.ofSeconds(20)).until(() -> rest("GET", "/v1/services?name=payments-api", rotated, null)
        .status() == 200);
    assertThat(rest("GET", "/v1/services?name=payments-api", DEPLOYER, null).status()).isEqualTo(200);
    // The old line removed: the old secret is refused, the new one keeps working.
    Files.writeString(tokensFile, base.replace("payments-deployer:" + TokenFile.sha256Hex(DEPLOYER), "")
        + "payments-deployer:" + TokenFile.sha256Hex(rotated) + "\n");
    await().atMost(Duration.ofSeconds(20)).until(() -> rest("GET", "/v1/services?name=payments-api", DEPLOYER, null)
        .status() == 401);
    assertThat(rest("GET", "/v1/services?name=payments-api", rotated, null).status()).isEqualTo(200);
    // A file that no longer parses leaves the tokens in force as they were (the node logs why it kept them).
    ch.qos.logback.classic.Logger reloads = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
        .getLogger(SecurityVerticle.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    reloads.addAppender(logged);
    try {
      Files.writeString(tokensFile, "this is not a tokens file\n");
      await().atMost(Duration.ofSeconds(20)).until(() -> logged.list.stream()
          .anyMatch(e -> e.getFormattedMessage().contains("previous ones stay in force")));
    } finally {
      reloads.detachAppender(logged);
    }
    assertThat(rest("GET", "/v1/services?name=payments-api", rotated, null).status()).isEqualTo(200);
    Files.writeString(tokensFile, base);
    await().atMost(Duration.ofSeconds(20)).until(() -> rest("GET", "/v1/services?name=payments-api", DEPLOYER, null)
        .status() == 200);
  }

  @Test
  void everyWriteAndEveryRefusalIsOneAuditLine() throws IOException {
    Http.Response written = rest("PUT", "/v1/services/payments-audit", DEPLOYER, instance("payments-api", 9600));
    assertThat(written.status()).isEqualTo(201);
    assertThat(rest("PUT", "/v1/services/orders-audit", DEPLOYER, instance("orders", 9601)).status()).isEqualTo(403);
    await().atMost(Duration.ofSeconds(10)).until(() -> auditLines().stream().anyMatch(l ->
        l.getString("object").equals("service:orders") && l.getString("result").equals("forbidden")));
    JsonObject accepted = auditLines().stream()
        .filter(l -> l.getString("subject").equals("payments-deployer") && l.getString("action").equals("register")
            && l.getString("result").equals("ok") && l.getLong("revision", -1L) == written.revisionHeader())
        .findFirst().orElseThrow();
    assertThat(accepted.getString("object")).isEqualTo("service:payments-api");
    assertThat(accepted.getString("remote")).isEqualTo("127.0.0.1");
    assertThat(accepted.getString("time")).isNotBlank();
    assertThat(auditLines()).anyMatch(l -> l.getString("result").equals("unauthenticated"));
  }

  private List<JsonObject> auditLines() throws IOException {
    List<JsonObject> lines = new ArrayList<>();
    for (String line : Files.readAllLines(auditFile)) {
      if (!line.isBlank()) {
        lines.add(new JsonObject(line));
      }
    }
    return lines;
  }
}
