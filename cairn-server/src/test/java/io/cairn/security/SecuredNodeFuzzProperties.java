package io.cairn.security;

import io.cairn.support.Http;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of mutated requests (methods, paths, query strings, headers, tokens, bodies), written byte for byte on a
 * socket to a live node with tokens and an ACL policy: every answer is a 4xx or a success, never a 5xx; a refused
 * request changes nothing (the revision stays where it was); and the node is ready before and after every one.
 */
class SecuredNodeFuzzProperties {
  private static final String ADMIN = "fuzz-admin-secret";
  private static final String READER = "fuzz-reader-secret";
  private static TestNodes cluster;
  private static TestNodes.Node node;

  @BeforeContainer
  static void start() {
    Path tokens = SecurityFiles.tokens(ADMIN, "admin", READER, "reader");
    Path policy = SecurityFiles.policy("p, admin, *, *, allow", "p, reader, *, read, allow");
    cluster = new TestNodes(1).withToken(ADMIN);
    node = cluster.start(0, new JsonObject().put("security", new JsonObject().put("tokensFile", tokens.toString())
        .put("acl", new JsonObject().put("policy", policy.toString()))
        .put("limits", new JsonObject().put("writesPerSecond", 0))));
    Http.send("PUT", node.base() + "/v1/services/fuzz-1", Map.of("Authorization", "Bearer " + ADMIN),
        new JsonObject().put("name", "fuzz").put("address", "127.0.0.1").put("port", 80).encode());
  }

  @AfterContainer
  static void stop() {
    cluster.close();
    cluster = null;
  }

  record Request(String method, String target, String authorization, String contentType, String body) {
    byte[] bytes() {
      StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
          .append("Host: 127.0.0.1\r\nConnection: close\r\n");
      if (authorization != null) {
        b.append("Authorization: ").append(authorization).append("\r\n");
      }
      if (contentType != null) {
        b.append("Content-Type: ").append(contentType).append("\r\n");
      }
      byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      b.append("Content-Length: ").append(payload.length).append("\r\n\r\n");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(b.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes(payload);
      return out.toByteArray();
    }
  }

  @Property(tries = 2500)
  void mutatedRequestsGetA4xxOrSucceedAndRefusedOnesChangeNothing(@ForAll("requests") Request request)
      throws IOException {
    long before = revision();
    int status = send(request);
    assertThat(status).as(new String(request.bytes(), StandardCharsets.UTF_8)).isBetween(200, 499);
    if (status >= 400) {
      assertThat(revision()).as("a refused request changed the registry: " + request).isEqualTo(before);
    }
  }

  /** The registry's revision, from /health, which also says that the node is still ready (200). */
  private static long revision() {
    Http.Response health = Http.get(node.base() + "/health");
    assertThat(health.status()).as("the node stays ready: " + health.body()).isEqualTo(200);
    return health.json().getLong("revision");
  }

  private static int send(Request request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node.httpPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.bytes());
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      byte[] head = in.readNBytes(12);
      String line = new String(head, StandardCharsets.US_ASCII);
      assertThat(line).as("an HTTP answer to " + request).startsWith("HTTP/1.1 ");
      return Integer.parseInt(line.substring(9, 12));
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within 30 s to " + request, e);
    }
  }

  @Provide
  Arbitrary<Request> requests() {
    Arbitrary<String> method = Arbitraries.oneOf(
        Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
        Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(10));
    Arbitrary<String> path = Arbitraries.of("/v1/services", "/v1/services/fuzz-1", "/v1/services/fuzz-2",
        "/v1/services:bulk", "/v1/services/fuzz-1/heartbeat", "/v1/services/fuzz-1/enable",
        "/v1/services/fuzz-1/disable", "/v1/services/fuzz-1/drain", "/v1/services/fuzz-1/check", "/v1/checks/run",
        "/v1/status", "/v1/nodes", "/v1/topology", "/v1/stats", "/metrics", "/health", "/v1/unknown", "/",
        "/v1/services/../status", "/v1/services/%zz", "/v1/services/a%00b", "/v1//services", "/v1/services/é");
    Arbitrary<String> mutation = Arbitraries.oneOf(
        Arbitraries.just(""),
        Arbitraries.strings().withChars("/%.:?&=;#~_-aZ09").ofMaxLength(12),
        Arbitraries.of("?name=fuzz", "?status=any", "?name=", "?tag=a&tag=b", "?version=%3E1.0", "?cas=-1",
            "?cas=abc", "?consistent=true", "?meta.k=v", "?bogus=1", "?name=fuzz&status=nope", "?%zz"));
    Arbitrary<String> authorization = Arbitraries.oneOf(
        Arbitraries.just((String) null),
        Arbitraries.of("Bearer " + ADMIN, "Bearer " + READER, "Bearer wrong", "Bearer ", "Basic YTpi", "bearer "
            + READER, "Bearer " + ADMIN + "x", "Token " + ADMIN),
        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40).map(s -> "Bearer " + s));
    Arbitrary<String> contentType = Arbitraries.of(null, "application/json", "text/plain",
        "application/json; charset=utf-8", "multipart/form-data", "application/x-www-form-urlencoded");
    Arbitrary<String> body = Arbitraries.oneOf(
        Arbitraries.just((String) null),
        Arbitraries.of("{}", "[]", "null", "{\"name\":\"fuzz\",\"address\":\"127.0.0.1\",\"port\":81}",
            "{\"name\":\"fuzz\",\"address\":\"127.0.0.1\",\"port\":-1}", "{\"name\":\"\",\"port\":1}",
            "{\"name\":\"fuzz\",\"address\":\"127.0.0.1\",\"port\":81,\"check\":{\"type\":\"nope\"}}",
            "[{\"name\":\"fuzz\",\"address\":\"127.0.0.1\",\"port\":82}]", "{\"services\":{}}", "{\"name\":1e999}"),
        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(200),
        Arbitraries.strings().ofMaxLength(100));
    return Combinators.combine(method, Combinators.combine(path, mutation).as(String::concat), authorization,
        contentType, body).as(Request::new);
  }
}
