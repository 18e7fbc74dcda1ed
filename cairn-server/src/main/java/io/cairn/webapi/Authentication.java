package io.cairn.webapi;

import io.cairn.api.Access;
import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * Finds who calls the HTTP API (REST, SSE, WebSocket, metrics) before any route runs, and keeps it on the routing
 * context for the route to pass to {@code api/}, which decides what the caller may do. A token comes as
 * {@code Authorization: Bearer …}; a browser's SSE or WebSocket, which cannot set that header, may send it as the
 * {@code token} query parameter or the {@code cairn-token} cookie instead (the cookie only from the page's own
 * origin, so that another site cannot open a stream with it); a protocol's own clients where that protocol's
 * {@link TokenSource} finds it (Consul's, as {@code X-Consul-Token}). Under mutual TLS the client certificate's CN
 * names the caller.
 */
public final class Authentication {
  public static final String TOKEN_COOKIE = "cairn-token";
  private static final String CALLER = "cairn.caller";

  private Authentication() {
  }

  public static void mount(Router router, Access access, List<TokenSource> sources) {
    router.route("/v1/*").handler(rc -> authenticate(rc, access, sources));
    router.route("/metrics").handler(rc -> authenticate(rc, access, sources));
  }

  /** The caller the request was authenticated as. */
  public static Caller caller(RoutingContext rc) {
    Caller caller = rc.get(CALLER);
    if (caller == null) {
      throw new IllegalStateException("route " + rc.request().path() + " is not behind Authentication");
    }
    return caller;
  }

  private static void authenticate(RoutingContext rc, Access access, List<TokenSource> sources) {
    HttpServerRequest request = rc.request();
    try {
      rc.put(CALLER, access.authenticate(request.getHeader(HttpHeaders.AUTHORIZATION), () -> otherToken(rc, sources),
          request.connection()));
      rc.next();
    } catch (ApiException e) {
      Responses.error(rc, e);
    }
  }

  /**
   * A token sent otherwise than as a bearer header: where a protocol's clients send it (Consul's: {@code
   * X-Consul-Token}, or {@code ?token=} on Consul's paths); a browser's stream sends the {@code token} query
   * parameter, or the cookie from the page's own origin.
   */
  private static String otherToken(RoutingContext rc, List<TokenSource> sources) {
    for (TokenSource source : sources) {
      String token = source.token(rc);
      if (token != null) {
        return token;
      }
    }
    if (!isStream(rc)) {
      return null;
    }
    String query = rc.queryParams().get("token");
    if (query != null) {
      return query;
    }
    Cookie cookie = rc.request().getCookie(TOKEN_COOKIE);
    return cookie != null && sameOrigin(rc.request()) ? cookie.getValue() : null;
  }

  /** The change streams, which browsers open without a way to set headers. */
  private static boolean isStream(RoutingContext rc) {
    String path = rc.request().path();
    return path.equals("/v1/events") || path.equals("/v1/ws");
  }

  /** No Origin (not a browser's cross-site request), or the origin this request is addressed to. */
  private static boolean sameOrigin(HttpServerRequest request) {
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (origin == null) {
      return true;
    }
    // The Host header over HTTP/1.1, :authority over HTTP/2.
    HostAndPort authority = request.authority();
    if (authority == null) {
      return false;
    }
    String host = authority.port() >= 0 ? authority.host() + ":" + authority.port() : authority.host();
    return origin.equals((request.isSSL() ? "https://" : "http://") + host);
  }
}
