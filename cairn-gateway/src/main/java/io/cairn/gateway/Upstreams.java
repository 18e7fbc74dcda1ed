package io.cairn.gateway;

import java.util.List;

/**
 * One service as this gateway sees it: requests in flight, whether its breaker refuses, and per instance in
 * rotation its load and ejection (this node's own view, not the registry's).
 */
public record Upstreams(String service, int activeRequests, boolean breakerOpen, int ejected, List<Instance> instances) {

  /** @param ejectedUntil epoch ms, 0 when in rotation */
  public record Instance(String id, String address, int port, int inFlight, long requests, double recentErrorRate,
                         double requestsPerSecond, boolean ejected, long ejectedUntil) {
  }
}
