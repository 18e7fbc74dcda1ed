package io.cairn.health;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Vertx;

/**
 * Capped exponential back-off for a target that keeps failing: a circuit breaker (vertx-circuit-breaker) per
 * unhealthy target. The breaker opens when the target turns unhealthy; scheduled probes are skipped while it is
 * open; after its reset timeout it lets one probe through (half-open). If that probe fails, the breaker opens
 * again with twice the timeout (2, 4, 8... intervals, capped at {@code checks.backoff.max}); if it succeeds, the
 * target is back to its interval and the breaker is dropped. Healthy targets have no breaker at all, so ten
 * thousand checks cost nothing here.
 */
final class ProbeBackoff {
  private final Vertx vertx;
  private final String name;
  private final long intervalMillis;
  private final long maxMillis;
  private CircuitBreaker breaker;
  private long resetTimeout;

  ProbeBackoff(Vertx vertx, String name, long intervalMillis, long maxMillis) {
    this.vertx = vertx;
    this.name = name;
    this.intervalMillis = intervalMillis;
    this.maxMillis = Math.max(maxMillis, intervalMillis);
  }

  /** False while a scheduled probe should be skipped (the breaker is open). */
  boolean allowsProbe() {
    return breaker == null || breaker.state() != CircuitBreakerState.OPEN;
  }

  /** The target is unhealthy and a probe failed: open the breaker, for longer if the probe was the half-open try. */
  void probeFailed() {
    if (breaker == null) {
      resetTimeout = Math.min(2 * intervalMillis, maxMillis);
    } else if (breaker.state() == CircuitBreakerState.HALF_OPEN) {
      breaker.close();
      resetTimeout = Math.min(2 * resetTimeout, maxMillis);
    } else {
      return; // already open (an on-demand run): keep the current back-off
    }
    breaker = CircuitBreaker.create("cairn-check-" + name, vertx, new CircuitBreakerOptions()
        .setNotificationAddress(null).setMaxFailures(1).setTimeout(-1).setResetTimeout(resetTimeout));
    breaker.open();
  }

  /** A probe succeeded: back to the normal interval. */
  void probeSucceeded() {
    if (breaker != null) {
      breaker.close();
      breaker = null;
    }
  }

  /** Current wait between probes while backing off, 0 when not backing off (for /v1/services/{id}). */
  long backoffMillis() {
    return breaker == null ? 0 : resetTimeout;
  }

  void stop() {
    probeSucceeded();
  }
}
