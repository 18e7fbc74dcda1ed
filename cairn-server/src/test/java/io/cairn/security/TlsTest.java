package io.cairn.security;

import io.cairn.client.CairnClient;
import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.ListNodesRequest;
import io.cairn.grpc.v1.RegistryGrpc;
import io.cairn.support.Certificates;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TempDirs;
import io.cairn.support.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * TLS on the HTTP and gRPC listeners, checked with clients that are not Vert.x: the JDK's HttpClient, grpc-java
 * and {@code openssl s_client}; mutual TLS naming the caller by its certificate; and certificates replaced on disk
 * served by the running node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsTest {
  private static final String ADMIN = "tls-admin-secret";

  private TestNodes cluster;
  private Path certs;
  private Path served;
  private TestNodes.Node tls;
  private TestNodes.Node mutual;

  @BeforeAll
  void start() throws IOException {
    certs = Certificates.make("alice", "mallory");
    // The node serves copies, so that a test can replace them as an operator renews a certificate.
    served = TempDirs.deletedAtExit(Files.createTempDirectory("cairn-served"));
    Files.copy(certs.resolve("node.pem"), served.resolve("node.pem"));
    Files.copy(certs.resolve("node-key.pem"), served.resolve("node-key.pem"));
    Path tokens = SecurityFiles.tokens(ADMIN, "admin");
    Path policy = SecurityFiles.policy("p, admin, *, *, allow", "p, alice, *, read, allow");
    cluster = new TestNodes(2).withToken(ADMIN).withTls(certs.resolve("ca.pem"), "alice");
    tls = cluster.start(0, new JsonObject().put("security", new JsonObject()
        .put("tokensFile", tokens.toString()).put("reloadInterval", "200ms")
        .put("tls", new JsonObject().put("certFile", served.resolve("node.pem").toString())
            .put("keyFile", served.resolve("node-key.pem").toString()))));
    mutual = cluster.start(1, new JsonObject().put("security", new JsonObject()
        .put("acl", new JsonObject().put("policy", policy.toString()))
        .put("tls", new JsonObject().put("certFile", certs.resolve("node.pem").toString())
            .put("keyFile", certs.resolve("node-key.pem").toString())
            .put("clientCaFile", certs.resolve("ca.pem").toString()).put("clientAuth", "required"))));
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  private HttpClient jdkClient(String clientCertificate) {
    return HttpClient.newBuilder().sslContext(Certificates.sslContext(certs.resolve("ca.pem"), clientCertificate))
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  private static HttpResponse<String> get(HttpClient client, String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theJdkHttpClientReachesTheApiOverHttpsAndPlainHttpIsNotServed() throws Exception {
    HttpClient client = jdkClient(null);
    String base = "https://127.0.0.1:" + tls.httpPort();
    assertThat(get(client, base + "/health", null).statusCode()).isEqualTo(200);
    assertThat(get(client, base + "/v1/status", null).statusCode()).isEqualTo(401);
    HttpResponse<String> status = get(client, base + "/v1/status", ADMIN);
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(status.body()).getString("node")).isEqualTo("n1");
    assertThat(status.version()).isEqualTo(HttpClient.Version.HTTP_2); // ALPN chose h2
    Throwable plain = catchThrowable(() -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + tls.httpPort()
        + "/health", null));
    assertThat(plain).isInstanceOf(IOException.class);
  }

  @Test
  void grpcJavaCallsOverTlsWithAToken() throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", tls.httpPort())
        .sslContext(GrpcSslContexts.forClient().trustManager(certs.resolve("ca.pem").toFile()).build()).build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN);
      var nodes = RegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .listNodes(ListNodesRequest.getDefaultInstance());
      assertThat(nodes.getNodesCount()).isEqualTo(2);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void theCairnClientRegistersAndDiscoversOverTlsWithAToken() throws Exception {
    try (CairnClient client = CairnClient.builder().nodes("127.0.0.1:" + tls.httpPort()).token(ADMIN)
        .tls(certs.resolve("ca.pem").toString()).maxRetries(2).build()) {
      client.register(Instance.newBuilder().setId("tls-web-1").setName("tls-web").setAddress("127.0.0.1")
          .setPort(8080).build()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(client.discover(DiscoverRequest.newBuilder().setName("tls-web").build())
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).getInstancesCount()).isEqualTo(1);
    }
    try (CairnClient anonymous = CairnClient.builder().nodes("127.0.0.1:" + tls.httpPort())
        .tls(certs.resolve("ca.pem").toString()).maxRetries(0).build()) {
      Throwable refused = catchThrowable(() -> anonymous.discover(DiscoverRequest.newBuilder().setName("tls-web")
          .build()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertThat(refused.getCause()).hasMessageContaining("unauthenticated");
    }
  }

  @Test
  void theCairnClientWithACertificateIsNamedByItsCnUnderMutualTls() throws Exception {
    try (CairnClient alice = CairnClient.builder().nodes("127.0.0.1:" + mutual.httpPort())
        .tls(certs.resolve("ca.pem").toString())
        .clientCertificate(certs.resolve("alice.pem").toString(), certs.resolve("alice-key.pem").toString())
        .maxRetries(0).build()) {
      assertThat(alice.listNodes().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
          .getNodesCount()).isEqualTo(2);
      Throwable refused = catchThrowable(() -> alice.register(Instance.newBuilder().setId("alice-1").setName("x")
          .setAddress("127.0.0.1").setPort(1).build()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertThat(refused.getCause()).hasMessageContaining("'alice' may not register");
    }
  }

  @Test
  void opensslSeesTls13AndTheNodeCertificateVerifiedByTheCa() throws Exception {
    String out = sClient(tls.httpPort(), null);
    assertThat(out).contains("Protocol version: TLSv1.3").contains("Verification: OK")
        .contains("Peer certificate: CN = cairn-node");
  }

  /** {@code openssl s_client -brief} against the port: what it printed (stdout and stderr). */
  private String sClient(int port, String clientName) throws Exception {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("openssl", "s_client", "-brief",
        "-connect", "127.0.0.1:" + port, "-CAfile", certs.resolve("ca.pem").toString(), "-alpn", "h2,http/1.1"));
    if (clientName != null) {
      command.addAll(java.util.List.of("-cert", certs.resolve(clientName + ".pem").toString(),
          "-key", certs.resolve(clientName + "-key.pem").toString()));
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  @Test
  void underMutualTlsAClientWithoutACertificateIsRefusedAndOneWithItIsNamedByItsCn() throws Exception {
    String base = "https://127.0.0.1:" + mutual.httpPort();
    Throwable refused = catchThrowable(() -> get(jdkClient(null), base + "/v1/status", null));
    assertThat(refused).isInstanceOf(IOException.class);
    HttpClient alice = jdkClient("alice");
    assertThat(get(alice, base + "/v1/status", null).statusCode()).isEqualTo(200);
    // alice may read (the policy says so) and nothing else; mallory's certificate is valid but has no rights.
    HttpResponse<String> write = alice.send(HttpRequest.newBuilder(URI.create(base + "/v1/services/x-1"))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"address\":\"127.0.0.1\",\"port\":1}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(write.statusCode()).isEqualTo(403);
    assertThat(write.body()).contains("'alice' may not register");
    assertThat(get(jdkClient("mallory"), base + "/v1/status", null).statusCode()).isEqualTo(403);
    assertThat(sClient(mutual.httpPort(), "alice")).contains("Verification: OK");
  }

  @Test
  @Order(Integer.MAX_VALUE) // last: the node serves another CA's certificate from then on
  void aCertificateReplacedOnDiskIsServedWithinSeconds() throws Exception {
    String before = sClient(tls.httpPort(), null);
    assertThat(before).contains("Verification: OK");
    // A renewal: a new key and certificate from another CA, written over the served files.
    Path renewed = Certificates.make();
    Files.copy(renewed.resolve("node-key.pem"), served.resolve("node-key.pem"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(renewed.resolve("node.pem"), served.resolve("node.pem"), StandardCopyOption.REPLACE_EXISTING);
    // The old CA no longer verifies what the node serves: it serves the new certificate.
    await().atMost(Duration.ofSeconds(30)).until(() -> !sClient(tls.httpPort(), null).contains("Verification: OK"));
    SSLHandshakeException old = (SSLHandshakeException) catchThrowable(() -> get(jdkClient(null),
        "https://127.0.0.1:" + tls.httpPort() + "/health", null));
    assertThat(old).isNotNull();
    HttpClient trustsNew = HttpClient.newBuilder().sslContext(Certificates.sslContext(renewed.resolve("ca.pem"), null))
        .build();
    assertThat(get(trustsNew, "https://127.0.0.1:" + tls.httpPort() + "/health", null).statusCode()).isEqualTo(200);
  }
}
