package io.cairn.gateway;

import io.cairn.model.Route;

/**
 * How the gateway behaves where a route says nothing, and what it calls itself.
 *
 * @param via                   this gateway's name in {@code Via} (e.g. the node id)
 * @param domain                {@code Host: {service}.{domain}} routes to that service
 * @param pathRouting           {@code /{service}/...} routes to that service
 * @param connectTimeoutMillis  connecting to an instance
 * @param tryTimeoutMillis      one try, until the answer's head arrives
 * @param requestTimeoutMillis  the whole request with its retries, until the answer's head arrives
 * @param retryBudgetPercent    retries at most this share of a route's requests over 10 s
 * @param minRetriesPerSecond   retries a quiet route may always make
 * @param outlier               passive health
 * @param maxConnections        connections to one instance from one event loop
 * @param maxPendingRequests    requests waiting for a connection to one instance, per event loop
 * @param maxConcurrentRequests requests in flight to one service from this gateway
 * @param idleTimeoutMillis     an upstream connection idle this long is closed
 * @param zone                  where this gateway runs, for zone affinity when a caller does not say; null when unknown
 * @param region                likewise
 * @param bareNames             {@code Host: {service}} routes to that service too (an agent's sidecar, whose
 *                              application names services as hosts; off on a node, where a Host names the node)
 */
public record GatewaySettings(String via, String domain, boolean pathRouting, long connectTimeoutMillis,
                              long tryTimeoutMillis, long requestTimeoutMillis, int retryBudgetPercent,
                              int minRetriesPerSecond, OutlierSettings outlier, int maxConnections,
                              int maxPendingRequests, int maxConcurrentRequests, long idleTimeoutMillis,
                              String zone, String region, boolean bareNames) {
  /** Bodies up to this size are kept while they are sent, so a 5xx can be retried on another instance. */
  public static final int RETRYABLE_BODY_BYTES = 64 * 1024;
  /** The window of the retry budget. */
  public static final long RETRY_WINDOW_MILLIS = 10_000;

  /**
   * The settings a node has when its configuration says nothing (conf/cairn.yaml's {@code proxy.*}), for a gateway
   * without a configuration of its own (an agent's sidecar), with path routing off.
   */
  public static GatewaySettings defaults(String via, String domain, String zone, String region, boolean bareNames) {
    return new GatewaySettings(via, domain, false, 1_000, 15_000, 30_000, 20, 3, OutlierSettings.DEFAULTS, 256, 1024,
        10_000, 60_000, zone, region, bareNames);
  }

  long connectTimeout(Route route) {
    return route.timeouts().connectMillis() > 0 ? route.timeouts().connectMillis() : connectTimeoutMillis;
  }

  long tryTimeout(Route route) {
    return route.timeouts().tryMillis() > 0 ? route.timeouts().tryMillis() : tryTimeoutMillis;
  }

  long requestTimeout(Route route) {
    return route.timeouts().requestMillis() > 0 ? route.timeouts().requestMillis() : requestTimeoutMillis;
  }
}
