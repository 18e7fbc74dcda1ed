package io.cairn.config;

import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ValidationException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code proxy} section: the gateway every node runs on its own port, taking requests to healthy instances.
 *
 * @param port                  0: off
 * @param grpcPort              HTTP/2 only (h2c with prior knowledge, or h2 under TLS), for gRPC; 0: off
 * @param host                  the proxy's address; http.host when blank
 * @param domain                {@code Host: {service}.{domain}} routes to that service
 * @param pathRouting           {@code /{service}/...} routes to that service
 * @param routes                the routes of the configuration file (routes written through the API replace those
 *                              of the same id)
 * @param connectTimeoutMillis  a route's connect timeout unless it sets one
 * @param tryTimeoutMillis      how long one try may wait for the answer's head, unless the route says
 * @param requestTimeoutMillis  how long a request may take with all its tries, unless the route says
 * @param retryBudgetPercent    retries at most this share of a route's requests
 * @param minRetriesPerSecond   retries a quiet route may always make, whatever the share
 * @param maxConnections        connections to one instance from one event loop (the breaker's first limit)
 * @param maxPendingRequests    requests one event loop may keep waiting for a connection to one instance
 * @param maxConcurrentRequests requests in flight to one service from this node
 * @param maxHeaderBytes        request line plus headers (431 beyond)
 * @param idleTimeoutMillis     a client or upstream connection idle this long is closed
 */
public record ProxySettings(int port, int grpcPort, String host, String domain, boolean pathRouting, List<Route> routes,
                            long connectTimeoutMillis, long tryTimeoutMillis, long requestTimeoutMillis,
                            int retryBudgetPercent, int minRetriesPerSecond, int consecutive5xx,
                            int consecutiveConnectFailures, long baseEjectionMillis, long maxEjectionMillis,
                            int maxEjectionPercent, int maxConnections, int maxPendingRequests,
                            int maxConcurrentRequests, int maxHeaderBytes, long idleTimeoutMillis) {
  private static final String NAME = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*";

  /** Whether the node runs the proxy: on either of its ports. */
  public boolean enabled() {
    return port > 0 || grpcPort > 0;
  }

  static ProxySettings from(ConfigReader r, String httpHost) {
    int port = r.integer("port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("proxy.port must be 0 (off) or a port");
    }
    int grpcPort = r.integer("grpcPort");
    if (grpcPort < 0 || grpcPort > 65535 || grpcPort > 0 && grpcPort == port) {
      throw new IllegalArgumentException("proxy.grpcPort must be 0 (off) or a port other than proxy.port");
    }
    String host = r.string("host").trim();
    String domain = r.string("domain").trim().toLowerCase(Locale.ROOT);
    if (domain.isEmpty() || domain.length() > 200 || !domain.matches(NAME)) {
      throw new IllegalArgumentException("proxy.domain must be a DNS name, not '" + r.string("domain") + "'");
    }
    ConfigReader timeouts = r.section("timeouts");
    ConfigReader budget = r.section("retryBudget");
    ConfigReader outlier = r.section("outlier");
    ConfigReader breaker = r.section("breaker");
    ProxySettings s = new ProxySettings(port, grpcPort, host.isEmpty() ? httpHost : host, domain, r.bool("pathRouting"),
        routes(r), positive(timeouts, "connect"), positive(timeouts, "try"), positive(timeouts, "request"),
        budget.integer("percent"), budget.integer("minRetriesPerSecond"), outlier.integer("consecutive5xx"),
        outlier.integer("consecutiveConnectFailures"), positive(outlier, "baseEjectionTime"),
        positive(outlier, "maxEjectionTime"), outlier.integer("maxEjectionPercent"),
        breaker.integer("maxConnections"), breaker.integer("maxPendingRequests"),
        breaker.integer("maxConcurrentRequests"), r.integer("maxHeaderBytes"), positive(r, "idleTimeout"));
    s.check();
    return s;
  }

  private void check() {
    if (retryBudgetPercent < 0 || retryBudgetPercent > 100 || minRetriesPerSecond < 0) {
      throw new IllegalArgumentException("proxy.retryBudget: percent between 0 and 100, minRetriesPerSecond at least 0");
    }
    if (consecutive5xx < 1 || consecutiveConnectFailures < 1 || maxEjectionPercent < 0 || maxEjectionPercent > 100
        || maxEjectionMillis < baseEjectionMillis) {
      throw new IllegalArgumentException("proxy.outlier: consecutive5xx and consecutiveConnectFailures at least 1, "
          + "maxEjectionPercent between 0 and 100, maxEjectionTime at least baseEjectionTime");
    }
    if (maxConnections < 1 || maxPendingRequests < 1 || maxConcurrentRequests < 1) {
      throw new IllegalArgumentException("proxy.breaker: maxConnections, maxPendingRequests and maxConcurrentRequests "
          + "at least 1");
    }
    if (maxHeaderBytes < 1024) {
      throw new IllegalArgumentException("proxy.maxHeaderBytes at least 1024");
    }
  }

  private static long positive(ConfigReader r, String key) {
    long millis = r.duration(key);
    if (millis <= 0) {
      throw new IllegalArgumentException(r.key(key) + " must be longer than 0");
    }
    return millis;
  }

  /**
   * {@code proxy.routes}: route documents by id, in the file; a flag or an environment variable gives them as one
   * JSON object. Each is checked as the API checks a route, so a bad one stops the start and names its key.
   */
  private static List<Route> routes(ConfigReader r) {
    Object value = r.value("routes");
    JsonObject routes;
    if (value instanceof JsonObject) {
      routes = (JsonObject) value;
    } else {
      String text = value == null ? "" : String.valueOf(value).trim();
      try {
        routes = text.isEmpty() ? new JsonObject() : new JsonObject(text);
      } catch (DecodeException e) {
        throw new IllegalArgumentException("proxy.routes is a map of route documents by id (as JSON in a flag or an "
            + "environment variable), not '" + text + "'");
      }
    }
    List<Route> parsed = new ArrayList<>();
    for (String id : routes.fieldNames()) {
      Object doc = routes.getValue(id);
      try {
        if (!(doc instanceof JsonObject)) {
          throw new ValidationException("invalid_body", "a route is a map with at least a service", null);
        }
        parsed.add(Routes.parse((JsonObject) doc, id));
      } catch (ValidationException e) {
        throw new IllegalArgumentException("proxy.routes." + id + (e.field() == null ? "" : "." + e.field()) + ": "
            + e.getMessage());
      }
    }
    return List.copyOf(parsed);
  }
}
