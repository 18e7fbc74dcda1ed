package io.cairn.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;

/** Where a node's metrics live: one Micrometer registry per node, named after it. */
public final class Meters {
  private static final MeterRegistry NO_METRICS = new CompositeMeterRegistry();

  private Meters() {
  }

  /** One registry per node, so that several nodes in one JVM (tests) do not share or close each other's. */
  public static String registryName(String nodeId) {
    return "cairn:" + nodeId;
  }

  /** This node's metrics registry (Prometheus, on /metrics), or one that keeps nothing when metrics are off. */
  public static MeterRegistry of(String nodeId) {
    MeterRegistry registry = BackendRegistries.getNow(registryName(nodeId));
    return registry == null ? NO_METRICS : registry;
  }
}
