package io.cairn.http.web;

import io.cairn.config.CairnConfig;
import io.cairn.model.NodeInfo;
import io.cairn.registry.Replica;
import io.cairn.webapi.Responses;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.net.URI;

/**
 * The live topology page: the files of {@code web/} at {@code /} (from the working directory when there is one,
 * else from the jar), and cross-origin access to the API for a page that another node of this cluster served, so
 * that the page can follow the cluster when the node it came from goes away.
 */
public final class TopologyPage {
  /** Where the page's files are: {@code web/} in the working directory, else {@code web/} inside the jar. */
  static final String WEB_ROOT = "web";

  /** The nodes' HTTP API is served over TLS (what their origins look like). */
  private final boolean tls;
  private final Replica replica;

  public TopologyPage(boolean tls, Replica replica) {
    this.tls = tls;
    this.replica = replica;
  }

  /** Before every other route: answers cross-origin preflights and marks answers readable by the cluster's pages. */
  public void mountOrigins(Router router) {
    router.route().handler(this::allowClusterOrigins);
  }

  /** After the API: everything else that is a GET is a file of the page. */
  public void mountFiles(Router router) {
    // No long caching: a wall screen reloaded after an upgrade must get the new page, not a day-old one.
    StaticHandler files = StaticHandler.create(WEB_ROOT).setCachingEnabled(false).setIndexPage("index.html");
    router.routeWithRegex(HttpMethod.GET, "^/(?!v1/|health$|metrics$).*").handler(files);
  }

  private void allowClusterOrigins(RoutingContext rc) {
    String origin = rc.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null || !isClusterNode(origin)) {
      rc.next();
      return;
    }
    HttpServerResponse response = rc.response()
        .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
        .putHeader(HttpHeaders.VARY, HttpHeaders.ORIGIN)
        .putHeader(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, Responses.REVISION_HEADER + ", " + Responses.STALE_HEADER);
    if (rc.request().method() == HttpMethod.OPTIONS
        && rc.request().getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null) {
      // The page sends its token in Authorization.
      response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, DELETE")
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type")
          .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600")
          .setStatusCode(204)
          .end();
      return;
    }
    rc.next();
  }

  /**
   * A page's origin is trusted when it is the base URL of a node this cluster has known, or, on one machine, the
   * same port under another loopback name (a page opened at localhost:8080 for a node that advertises 127.0.0.1).
   */
  private boolean isClusterNode(String origin) {
    URI uri;
    try {
      uri = URI.create(origin);
    } catch (IllegalArgumentException notAnOrigin) {
      return false;
    }
    boolean loopbackOrigin = CairnConfig.isLoopback(uri.getHost());
    for (NodeInfo n : replica.nodes().values()) {
      String scheme = tls ? "https" : "http";
      if (origin.equals(n.baseUrl(tls))
          || loopbackOrigin && CairnConfig.isLoopback(n.host()) && uri.getPort() == n.httpPort() && scheme.equals(uri.getScheme())) {
        return true;
      }
    }
    return false;
  }
}
