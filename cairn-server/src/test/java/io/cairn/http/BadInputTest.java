package io.cairn.http;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Bad input never yields a 5xx, never stops the node and never changes state: each class of it gets a 4xx with
 * {@code {"error","message","field"}} naming the culprit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  private static final String JSON = "application/json";
  private TestNodes cluster;
  private String base;
  private long revisionBefore;

  @BeforeAll
  void startNode() {
    cluster = new TestNodes(1);
    base = cluster.start(0).base();
    Http.put(base + "/v1/services/existing-1", valid().encode());
    revisionBefore = Http.get(base + "/v1/status").json().getLong("revision");
  }

  @AfterAll
  void nothingChangedAndTheNodeStillServes() {
    try {
      Http.Response status = Http.get(base + "/v1/status");
      assertThat(status.status()).isEqualTo(200);
      assertThat(status.json().getLong("revision")).as("bad input must not reach the log").isEqualTo(revisionBefore);
      assertThat(Http.get(base + "/health").status()).isEqualTo(200);
      assertThat(Http.get(base + "/v1/services/existing-1").status()).isEqualTo(200);
    } finally {
      cluster.close();
    }
  }

  private static JsonObject valid() {
    return new JsonObject().put("name", "web").put("address", "127.0.0.1").put("port", 8080);
  }

  private static String with(String key, Object value) {
    return valid().put(key, value).encode();
  }

  private static String without(String key) {
    JsonObject j = valid();
    j.remove(key);
    return j.encode();
  }

  private static JsonArray tags(int n, int length) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) {
      a.add(("t" + i + "x".repeat(length)).substring(0, Math.max(2, length)));
    }
    return a;
  }

  private static JsonObject metadata(int n, int keyLength, int valueLength) {
    JsonObject m = new JsonObject();
    for (int i = 0; i < n; i++) {
      m.put(("k" + i + "x".repeat(keyLength)).substring(0, Math.max(2, keyLength)), "v".repeat(valueLength));
    }
    return m;
  }

  static Stream<Arguments> badRequests() {
    String big = "{\"name\":\"web\",\"address\":\"127.0.0.1\",\"port\":80,\"metadata\":{\"k\":\"" + "x".repeat(1_100_000) + "\"}}";
    return Stream.of(
        arguments("malformed JSON", "POST", "/v1/services", JSON, "{\"name\": ", 400, "invalid_json", null),
        arguments("empty body", "POST", "/v1/services", JSON, "", 400, "invalid_json", null),
        arguments("array instead of object", "POST", "/v1/services", JSON, "[1,2]", 400, "invalid_body", null),
        arguments("port as a string", "POST", "/v1/services", JSON, with("port", "80"), 400, "invalid_type", "port"),
        arguments("port as a fraction", "POST", "/v1/services", JSON, with("port", 80.5), 400, "invalid_type", "port"),
        arguments("name as a number", "POST", "/v1/services", JSON, with("name", 7), 400, "invalid_type", "name"),
        arguments("tags as a string", "POST", "/v1/services", JSON, with("tags", "a,b"), 400, "invalid_type", "tags"),
        arguments("tag not a string", "POST", "/v1/services", JSON, with("tags", new JsonArray().add(1)), 400, "invalid_type", "tags"),
        arguments("metadata value not a string", "POST", "/v1/services", JSON, with("metadata", new JsonObject().put("k", 1)), 400, "invalid_type", "metadata.k"),
        arguments("check not an object", "POST", "/v1/services", JSON, with("check", "http"), 400, "invalid_type", "check"),
        arguments("missing name", "POST", "/v1/services", JSON, without("name"), 400, "missing_field", "name"),
        arguments("missing address", "POST", "/v1/services", JSON, without("address"), 400, "missing_field", "address"),
        arguments("missing port", "POST", "/v1/services", JSON, without("port"), 400, "missing_field", "port"),
        arguments("port 0", "POST", "/v1/services", JSON, with("port", 0), 400, "invalid_port", "port"),
        arguments("port 65536", "POST", "/v1/services", JSON, with("port", 65536), 400, "invalid_port", "port"),
        arguments("port beyond int", "POST", "/v1/services", JSON, with("port", 1L << 40), 400, "invalid_port", "port"),
        arguments("name with capitals", "POST", "/v1/services", JSON, with("name", "Web"), 400, "invalid_name", "name"),
        arguments("name with a slash", "POST", "/v1/services", JSON, with("name", "a/b"), 400, "invalid_name", "name"),
        arguments("name of 64 characters", "POST", "/v1/services", JSON, with("name", "a".repeat(64)), 400, "invalid_name", "name"),
        arguments("address with spaces", "POST", "/v1/services", JSON, with("address", "not an address"), 400, "invalid_address", "address"),
        arguments("address out of range", "POST", "/v1/services", JSON, with("address", "999.1.1.1"), 400, "invalid_address", "address"),
        arguments("address with a scheme", "POST", "/v1/services", JSON, with("address", "http://x"), 400, "invalid_address", "address"),
        arguments("65 tags", "POST", "/v1/services", JSON, with("tags", tags(65, 3)), 400, "too_many_tags", "tags"),
        arguments("65 metadata entries", "POST", "/v1/services", JSON, with("metadata", metadata(65, 3, 1)), 400, "too_many_metadata", "metadata"),
        arguments("tag over 512 bytes", "POST", "/v1/services", JSON, with("tags", new JsonArray().add("é".repeat(257))), 400, "too_long", "tags"),
        arguments("metadata key over 512 bytes", "POST", "/v1/services", JSON, with("metadata", new JsonObject().put("k".repeat(513), "v")), 400, "too_long", null),
        arguments("metadata value over 512 bytes", "POST", "/v1/services", JSON, with("metadata", new JsonObject().put("k", "v".repeat(513))), 400, "too_long", "metadata.k"),
        arguments("unknown field", "POST", "/v1/services", JSON, with("tag", "typo"), 400, "unknown_field", "tag"),
        arguments("body over 1 MiB", "POST", "/v1/services", JSON, big, 413, "body_too_large", null),
        arguments("text/plain body", "POST", "/v1/services", "text/plain", valid().encode(), 415, "unsupported_media_type", null),
        arguments("form body with a bad escape", "POST", "/v1/services", "application/x-www-form-urlencoded", "a=%", 415, "unsupported_media_type", null),
        arguments("multipart body", "POST", "/v1/services", "multipart/form-data; boundary=x", "--x--\r\n", 415, "unsupported_media_type", null),
        arguments("no content type", "PUT", "/v1/services/x1", null, valid().encode(), 415, "unsupported_media_type", null),
        arguments("id with an encoded slash", "PUT", "/v1/services/a%2Fb", JSON, valid().encode(), 400, "invalid_id", "id"),
        arguments("id with a control character", "PUT", "/v1/services/a%01b", JSON, valid().encode(), 400, "invalid_id", "id"),
        arguments("id of dots", "GET", "/v1/services/..%2E", null, null, 400, "invalid_id", "id"),
        arguments("id in the body with a space", "POST", "/v1/services", JSON, with("id", "a b"), 400, "invalid_id", "id"),
        arguments("body id differs from path", "PUT", "/v1/services/x1", JSON, with("id", "x2"), 400, "id_mismatch", "id"),
        arguments("unparseable ttl", "POST", "/v1/services", JSON, with("ttl", "soon"), 400, "invalid_duration", "ttl"),
        arguments("ttl as a number", "POST", "/v1/services", JSON, with("ttl", 10), 400, "invalid_type", "ttl"),
        arguments("unparseable check interval", "POST", "/v1/services", JSON,
            with("check", new JsonObject().put("type", "http").put("path", "/h").put("interval", "often")), 400, "invalid_duration", "check.interval"),
        arguments("unknown check type", "POST", "/v1/services", JSON, with("check", new JsonObject().put("type", "ping")), 400, "invalid_check", "check.type"),
        arguments("unparseable semver range", "GET", "/v1/services?name=web&version=%3E%3E1!", null, null, 400, "invalid_version", "version"),
        arguments("unknown status", "GET", "/v1/services?status=fine", null, null, 400, "invalid_status", "status"),
        arguments("invalid name filter", "GET", "/v1/services?name=Bad%20Name", null, null, 400, "invalid_name", "name"),
        arguments("repeated name filter", "GET", "/v1/services?name=a&name=b", null, null, 400, "repeated_parameter", "name"),
        arguments("unknown discovery parameter", "GET", "/v1/services?nmae=web", null, null, 400, "unknown_parameter", "nmae"),
        arguments("unknown parameter on status", "GET", "/v1/status?verbose=1", null, null, 400, "unknown_parameter", "verbose"),
        arguments("unknown parameter on get", "GET", "/v1/services/existing-1?x=1", null, null, 400, "unknown_parameter", "x"),
        arguments("unknown parameter on put", "PUT", "/v1/services/x1?force=true", JSON, valid().encode(), 400, "unknown_parameter", "force"),
        arguments("cas not a number", "PUT", "/v1/services/x1?cas=abc", JSON, valid().encode(), 400, "invalid_cas", "cas"),
        arguments("bulk of an object", "POST", "/v1/services:bulk", JSON, "{\"a\":1}", 400, "invalid_body", null),
        // What the replica already refuses is answered without entering the log (the revision check after all).
        arguments("disable an unknown id", "POST", "/v1/services/nobody/disable", null, null, 404, "not_found", "id"),
        arguments("drain an unknown id", "POST", "/v1/services/nobody/drain", null, null, 404, "not_found", "id"),
        arguments("deregister an unknown id", "DELETE", "/v1/services/nobody", null, null, 404, "not_found", "id"),
        arguments("heartbeat of an unknown id", "PUT", "/v1/services/nobody/heartbeat", null, null, 404, "not_found", "id"),
        arguments("create an existing id", "POST", "/v1/services", JSON, with("id", "existing-1"), 409, "already_exists", "id"),
        arguments("only-if-absent of an existing id", "PUT", "/v1/services/existing-1?cas=0", JSON, valid().encode(), 409, "cas_failed", "cas"),
        arguments("consistent neither true nor false", "GET", "/v1/services?name=web&consistent=maybe", null, null, 400, "invalid_value", "consistent"),
        arguments("unknown endpoint", "GET", "/v1/nothing", null, null, 404, "not_found", null));
  }

  @org.junit.jupiter.api.Test
  void aQueryStringThatDoesNotDecodeIsA400NotA500() {
    Http.Response r = Http.raw(base, "GET", "/v1/services?name=%zz");
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().getString("error")).isEqualTo("bad_request");
    assertThat(r.json().getString("message")).isNotBlank();
  }

  @org.junit.jupiter.api.Test
  void aMultipartRequestWithAQueryThatDoesNotDecodeIsAnsweredNotLeftHanging() throws Exception {
    java.net.URI uri = java.net.URI.create(base);
    try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("POST /v1/services?% HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
          + "Content-Type: multipart/form-data\r\nContent-Length: 3\r\n\r\nabc").getBytes(StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(answer).startsWith("HTTP/1.1 415 ").contains("unsupported_media_type");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void isRefusedWithA4xxNamingTheCulprit(String label, String method, String path, String contentType, String body,
                                         int status, String error, String field) {
    Http.Response r = Http.send(method, base + path, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    JsonObject json = r.json();
    assertThat(json.getString("error")).isEqualTo(error);
    assertThat(json.getString("message")).isNotBlank();
    if (field != null) {
      assertThat(json.getString("field")).isEqualTo(field);
    }
  }
}
