package io.cairn.health;

import io.cairn.model.Health;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code cairn_health_check_duration_seconds{type}} (a histogram) and {@code cairn_health_checks_total{type,result}}
 * for the runs of this node's checks. Labels are bounded: the check types this node has checkers for, and the three
 * results a run can have (healthy, degraded, unhealthy; a timeout is unhealthy). Used on the health-check verticle's
 * loop only.
 */
final class CheckMetrics {
  /** Bucket bounds from a local TCP connect to a slow HTTP endpoint near the largest timeout worth having. */
  private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};
  private final MeterRegistry registry;
  private final String node;
  private final Map<String, Timer> durations = new HashMap<>();
  private final Map<String, Counter> results = new HashMap<>();

  CheckMetrics(MeterRegistry registry, String node) {
    this.registry = registry;
    this.node = node;
  }

  void record(String type, Health result, long millis) {
    durations.computeIfAbsent(type, t -> Timer.builder("cairn_health_check_duration")
        .description("How long health check runs took, by check type")
        .tags("node", node, "type", t)
        .serviceLevelObjectives(BUCKETS)
        .register(registry)).record(millis, TimeUnit.MILLISECONDS);
    String label = result.json();
    results.computeIfAbsent(type + "\n" + label, k -> Counter.builder("cairn_health_checks")
        .description("Health check runs by check type and result")
        .tags("node", node, "type", type, "result", label)
        .register(registry)).increment();
  }
}
