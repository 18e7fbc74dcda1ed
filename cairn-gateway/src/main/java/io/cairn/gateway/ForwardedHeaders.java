package io.cairn.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the headers of a request and its answer become across the gateway (RFC 9110 7.6): hop-by-hop headers stay on
 * their hop (with those the Connection header names), the upstream learns who asked ({@code X-Forwarded-*},
 * {@code Forwarded}), every request carries an {@code X-Request-Id}, and {@code Via} names the gateway.
 */
final class ForwardedHeaders {
  static final String REQUEST_ID = "X-Request-Id";
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
      "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect",
      "http2-settings");

  private ForwardedHeaders() {
  }

  /**
   * The headers for the upstream.
   *
   * @param strip headers the gateway consumed itself (a Cairn token), lower case
   */
  static MultiMap upstream(HttpServerRequest request, String requestId, String via, Set<String> strip) {
    MultiMap in = request.headers();
    Set<String> drop = dropped(in);
    drop.addAll(strip);
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    for (var e : in) {
      if (!drop.contains(e.getKey().toLowerCase(Locale.ROOT)) && !e.getKey().startsWith(":")) {
        out.add(e.getKey(), e.getValue());
      }
    }
    String remote = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    String proto = request.isSSL() ? "https" : "http";
    String host = request.authority() == null ? null : request.authority().toString();
    String forwardedFor = in.get("X-Forwarded-For");
    out.set("X-Forwarded-For", forwardedFor == null ? remote : forwardedFor + ", " + remote);
    out.set("X-Forwarded-Proto", proto);
    if (host != null) {
      out.set("X-Forwarded-Host", host);
      out.set(HttpHeaders.HOST, host);
    }
    String node = remote.indexOf(':') >= 0 ? "\"[" + remote + "]\"" : remote;
    String forwarded = "for=" + node + ";proto=" + proto + (host == null ? "" : ";host=\"" + host + "\"");
    String earlier = in.get("Forwarded");
    out.set("Forwarded", earlier == null ? forwarded : earlier + ", " + forwarded);
    out.set(REQUEST_ID, requestId);
    out.set("Via", viaChain(in.get("Via"), request.version().alpnName(), via));
    return out;
  }

  /** The answer's headers for the client: the upstream's, without hop-by-hop ones, plus Via. */
  static void downstream(MultiMap upstream, MultiMap out, String requestId, String via) {
    downstream(upstream, out, requestId, via, "http/1.1");
  }

  /** As {@link #downstream(MultiMap, MultiMap, String, String)}, from an upstream spoken to in {@code alpn}. */
  static void downstream(MultiMap upstream, MultiMap out, String requestId, String via, String alpn) {
    Set<String> drop = dropped(upstream);
    for (var e : upstream) {
      if (!drop.contains(e.getKey().toLowerCase(Locale.ROOT))) {
        out.add(e.getKey(), e.getValue());
      }
    }
    out.set(REQUEST_ID, requestId);
    out.set("Via", viaChain(upstream.get("Via"), alpn, via));
  }

  /** The request's id: the one the client sent when it is sane, else a new one. */
  static String requestId(HttpServerRequest request) {
    String given = request.headers().get(REQUEST_ID);
    if (given != null && !given.isEmpty() && given.length() <= 200 && given.chars().allMatch(c -> c > 32 && c < 127)) {
      return given;
    }
    // Random enough to tell requests apart, without UUID.randomUUID's SecureRandom on every request.
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
  }

  private static Set<String> dropped(MultiMap headers) {
    Set<String> drop = new HashSet<>(HOP_BY_HOP);
    for (String connection : headers.getAll(HttpHeaders.CONNECTION)) {
      for (String token : connection.split(",")) {
        drop.add(token.trim().toLowerCase(Locale.ROOT));
      }
    }
    return drop;
  }

  private static String viaChain(String earlier, String alpn, String via) {
    String version = "h2".equals(alpn) ? "2" : alpn == null ? "1.1" : alpn.replace("http/", "");
    String mine = version + " " + via;
    return earlier == null ? mine : earlier + ", " + mine;
  }

  /** The one header a request with a body may frame it by, checked before anything is forwarded. */
  static String framingProblem(HttpServerRequest request) {
    if (request.headers().contains(StrictFraming.AMBIGUOUS)) {
      return "both Content-Length and Transfer-Encoding";
    }
    List<String> encodings = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
    if (encodings.size() > 1 || encodings.size() == 1 && !encodings.get(0).trim().equalsIgnoreCase("chunked")) {
      return "Transfer-Encoding must be chunked alone";
    }
    List<String> lengths = request.headers().getAll(HttpHeaders.CONTENT_LENGTH);
    if (lengths.size() > 1) {
      return "more than one Content-Length";
    }
    if (!encodings.isEmpty() && !lengths.isEmpty()) {
      return "both Content-Length and Transfer-Encoding";
    }
    return null;
  }
}
