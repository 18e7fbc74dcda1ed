package io.cairn.proxy;

import io.cairn.support.Certificates;
import io.cairn.support.GrpcEchoServer;
import io.cairn.support.JarCluster;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TestNodes;
import io.cairn.support.Upstreams;
import io.cairn.support.Upstreams.Upstream;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The proxy of a node with security on (tokens, an ACL policy, TLS on its listeners with optional client
 * certificates): a caller needs {@code route} on {@code service:NAME}. No token: 401; a token whose name may only
 * read the service: 403; a token whose name may route: through. Over mutual TLS the client certificate's CN names
 * the caller the same way. The proxy answers HTTPS only. On {@code proxy.grpcPort} (h2 over TLS) the same refusals are
 * gRPC statuses, and a caller past {@code security.limits.proxyRequestsPerSecond} is RESOURCE_EXHAUSTED.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ProxySecurityIT {
  private static final String ADMIN = "proxy-admin-secret";
  private static final String ROUTER = "proxy-router-secret";
  private static final String READER = "proxy-reader-secret";
  private static final String HASTY = "proxy-hasty-secret";
  /** Requests a caller may send through the proxy at once (then one a second): more than any case but one sends. */
  private static final int PROXY_BURST = 20;

  private JarCluster cluster;
  private Upstream upstream;
  private Path certs;
  private int proxyPort;
  private int grpcPort;
  private Server grpcInstance;
  private ManagedChannel grpc;
  private String api;
  private HttpClient anonymous;

  @BeforeAll
  void start() throws Exception {
    certs = Certificates.make("alice", "mallory");
    Path tokens = SecurityFiles.tokens(ADMIN, "admin", ROUTER, "router", READER, "reader", HASTY, "hasty");
    Path policy = SecurityFiles.policy(
        "p, admin, *, *, allow",
        "p, router, service:users, route, allow",
        "p, reader, service:users, read, allow",
        "p, alice, service:users, route, allow",
        "p, mallory, service:users, read, allow",
        "p, router, service:gecho, route, allow",
        "p, reader, service:gecho, read, allow",
        "p, hasty, service:gecho, route, allow");
    proxyPort = TestNodes.freePort();
    grpcPort = TestNodes.freePort();
    cluster = new JarCluster(1, false, "--security.tokensFile=" + tokens, "--security.acl.policy=" + policy,
        "--security.tls.certFile=" + certs.resolve("node.pem"), "--security.tls.keyFile=" + certs.resolve("node-key.pem"),
        "--security.tls.clientCaFile=" + certs.resolve("ca.pem"), "--security.tls.clientAuth=optional",
        "--proxy.port=" + proxyPort, "--proxy.grpcPort=" + grpcPort,
        "--security.limits.proxyRequestsPerSecond=1", "--security.limits.proxyBurst=" + PROXY_BURST);
    JarCluster.Node node = cluster.start(0);
    upstream = Upstreams.start("SECURE");
    anonymous = client(null);
    api = node.base().replace("http://", "https://");
    // JarCluster's own wait speaks plain HTTP: this node serves HTTPS only.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (true) {
      assertThat(node.running()).as(() -> "the secured node exited:\n" + node.logTail(40)).isTrue();
      try {
        if (send(anonymous, api + "/health", null, null).statusCode() == 200) {
          break;
        }
      } catch (Exception notYet) {
        // not listening yet
      }
      assertThat(System.nanoTime() < deadline).as(() -> "the secured node is not healthy after 180 s:\n"
          + node.logTail(40)).isTrue();
      JarCluster.pause(200);
    }
    HttpResponse<String> registered = send(anonymous, api + "/v1/services/users-s", "PUT", new JsonObject()
        .put("name", "users").put("address", "127.0.0.1").put("port", upstream.port).encode(), "Authorization",
        "Bearer " + ADMIN);
    assertThat(registered.statusCode()).as(registered.body()).isIn(200, 201);
    HttpResponse<String> route = send(anonymous, api + "/v1/routes/u", "PUT",
        "{\"match\":{\"pathPrefix\":\"/u/\"},\"service\":\"users\",\"stripPrefix\":true}", "Authorization",
        "Bearer " + ADMIN);
    assertThat(route.statusCode()).as(route.body()).isIn(200, 201);
    grpcInstance = GrpcEchoServer.start(0, "G");
    HttpResponse<String> grpcRegistered = send(anonymous, api + "/v1/services/gecho-g", "PUT", new JsonObject()
        .put("name", "gecho").put("address", "127.0.0.1").put("port", grpcInstance.getPort()).encode(),
        "Authorization", "Bearer " + ADMIN);
    assertThat(grpcRegistered.statusCode()).as(grpcRegistered.body()).isIn(200, 201);
    HttpResponse<String> grpcRoute = send(anonymous, api + "/v1/routes/g", "PUT",
        "{\"match\":{\"pathPrefix\":\"/" + GrpcEchoServer.ECHO + "/\"},\"service\":\"gecho\"}", "Authorization",
        "Bearer " + ADMIN);
    assertThat(grpcRoute.statusCode()).as(grpcRoute.body()).isIn(200, 201);
    // TLS with the test CA; grpc-java offers h2 by ALPN.
    grpc = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort)
        .sslContext(GrpcSslContexts.forClient().trustManager(certs.resolve("ca.pem").toFile()).build()).build();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (grpc != null) {
        grpc.shutdownNow();
      }
      if (grpcInstance != null) {
        grpcInstance.shutdownNow();
      }
      if (upstream != null) {
        upstream.stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  private String proxy(String path) {
    return "https://127.0.0.1:" + proxyPort + path;
  }

  @Test
  void withoutATokenTheProxyAnswers401() throws Exception {
    HttpResponse<String> r = send(anonymous, proxy("/u/x"), null, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    assertThat(new JsonObject(r.body()).getString("error")).isNotBlank();
    assertThat(upstreamSaw("/x")).isFalse();
  }

  @Test
  void aTokenWithoutRouteOnTheServiceGets403() throws Exception {
    HttpResponse<String> bearer = send(anonymous, proxy("/u/reader-bearer"), null, null, "Authorization",
        "Bearer " + READER);
    assertThat(bearer.statusCode()).as(bearer.body()).isEqualTo(403);
    assertThat(new JsonObject(bearer.body()).getString("error")).isNotBlank();
    HttpResponse<String> header = send(anonymous, proxy("/u/reader-header"), null, null, "X-Cairn-Token", READER);
    assertThat(header.statusCode()).as(header.body()).isEqualTo(403);
    assertThat(upstreamSaw("/reader-bearer") || upstreamSaw("/reader-header")).isFalse();
  }

  @Test
  void aTokenWithRouteOnTheServiceGoesThrough() throws Exception {
    HttpResponse<String> bearer = send(anonymous, proxy("/u/router-bearer"), null, null, "Authorization",
        "Bearer " + ROUTER);
    assertThat(bearer.statusCode()).as(bearer.body()).isEqualTo(200);
    assertThat(bearer.headers().firstValue("X-Upstream-Id")).hasValue("SECURE");
    assertThat(new JsonObject(bearer.body()).getString("path")).isEqualTo("/router-bearer");
    HttpResponse<String> header = send(anonymous, proxy("/u/router-header"), null, null, "X-Cairn-Token", ROUTER);
    assertThat(header.statusCode()).as(header.body()).isEqualTo(200);
  }

  @Test
  @SuppressWarnings("unchecked")
  void aClientCertificatesCnNamesTheCallerAndTheProxySpeaksOnlyHttps() throws Exception {
    HttpResponse<String> alice = send(client("alice"), proxy("/u/alice"), null, null);
    assertThat(alice.statusCode()).as("alice, who may route: %s", alice.body()).isEqualTo(200);
    assertThat(alice.headers().firstValue("X-Upstream-Id")).hasValue("SECURE");
    HttpResponse<String> mallory = send(client("mallory"), proxy("/u/mallory"), null, null);
    assertThat(mallory.statusCode()).as("mallory, who may only read: %s", mallory.body()).isEqualTo(403);

    // Plain HTTP to it: the TLS handshake fails (or, at most, an error status); never through.
    HttpResponse<String>[] plain = new HttpResponse[1];
    Throwable refused = catchThrowable(() -> plain[0] = send(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build(), "http://127.0.0.1:" + proxyPort + "/u/plain", null, null,
        "Authorization", "Bearer " + ROUTER));
    if (refused == null) {
      assertThat(plain[0].statusCode()).as("plain HTTP to the proxy of a TLS node: %s", plain[0].body())
          .isBetween(400, 499);
    }
    assertThat(upstreamSaw("/plain")).isFalse();
  }

  @Test
  void overGrpcACallNeedsATokenThatMayRouteAndTheInstanceNeverSeesIt() {
    StatusRuntimeException none = catchThrowableOfType(() -> keys("grpc-none", null, null),
        StatusRuntimeException.class);
    assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    StatusRuntimeException reader = catchThrowableOfType(() -> keys("grpc-reader", "authorization",
        "Bearer " + READER), StatusRuntimeException.class);
    assertThat(reader.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(GrpcEchoServer.calls("grpc-none") + GrpcEchoServer.calls("grpc-reader")).isZero();

    // The proxy consumes the token: the metadata the instance got has the call's own, not the caller's secret.
    assertThat(keys("grpc-router-bearer", "authorization", "Bearer " + ROUTER).split(","))
        .contains("x-call-id").doesNotContain("authorization", "x-cairn-token");
    assertThat(keys("grpc-router-header", "x-cairn-token", ROUTER).split(","))
        .contains("x-call-id").doesNotContain("authorization", "x-cairn-token");
  }

  @Test
  void overGrpcACallerPastItsRateGetsResourceExhausted() {
    StatusRuntimeException limited = null;
    int through = 0;
    for (int i = 0; i < 10 * PROXY_BURST && limited == null; i++) {
      try {
        keys("grpc-hasty-" + i, "authorization", "Bearer " + HASTY);
        through++;
      } catch (StatusRuntimeException e) {
        limited = e;
      }
    }
    assertThat(limited).as("a refusal within %d calls", 10 * PROXY_BURST).isNotNull();
    assertThat(limited.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(limited.getStatus().getDescription()).contains("proxyRequestsPerSecond");
    assertThat(Status.trailersFromThrowable(limited).get(Metadata.Key.of("retry-after",
        Metadata.ASCII_STRING_MARSHALLER))).isNotBlank();
    assertThat(through).as("calls let through before the refusal").isGreaterThanOrEqualTo(PROXY_BURST);
  }

  /** {@link GrpcEchoServer#KEYS} over TLS, with {@code x-call-id: callId} and the token header when not null. */
  private String keys(String callId, String tokenHeader, String token) {
    Metadata headers = new Metadata();
    headers.put(GrpcEchoServer.CALL_ID, callId);
    if (tokenHeader != null) {
      headers.put(Metadata.Key.of(tokenHeader, Metadata.ASCII_STRING_MARSHALLER), token);
    }
    return ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(grpc,
            MetadataUtils.newAttachHeadersInterceptor(headers)), GrpcEchoServer.KEYS,
        CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), "keys");
  }

  private boolean upstreamSaw(String path) {
    return upstream.paths().contains(path);
  }

  private HttpClient client(String certificate) {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .sslContext(Certificates.sslContext(certs.resolve("ca.pem"), certificate))
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  private static HttpResponse<String> send(HttpClient client, String url, String method, String json,
                                           String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (json != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
