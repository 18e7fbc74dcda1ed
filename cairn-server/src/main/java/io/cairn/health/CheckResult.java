package io.cairn.health;

import io.cairn.model.Health;

/**
 * What a {@link Checker} found: the health it points to (healthy, degraded or unhealthy) and a short output for
 * people ("HTTP 503 Service Unavailable", "connection refused", "SERVING").
 */
public record CheckResult(Health status, String output) {

  public CheckResult {
    if (status == null || status == Health.UNKNOWN) {
      throw new IllegalArgumentException("a check result is healthy, degraded or unhealthy");
    }
  }

  public static CheckResult healthy(String output) {
    return new CheckResult(Health.HEALTHY, output);
  }

  public static CheckResult degraded(String output) {
    return new CheckResult(Health.DEGRADED, output);
  }

  public static CheckResult unhealthy(String output) {
    return new CheckResult(Health.UNHEALTHY, output);
  }
}
