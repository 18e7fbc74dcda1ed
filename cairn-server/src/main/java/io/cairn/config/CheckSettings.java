package io.cairn.config;

import io.cairn.model.CheckDefaults;

import java.util.Set;

/**
 * The {@code checks} section: what a registration's check leaves out, flap damping, probe backoff and where a check
 * may connect.
 *
 * @param flappingMaxTransitions checks.flapping.maxTransitions
 * @param flappingWindowMillis   checks.flapping.window
 * @param backoffMaxMillis       checks.backoff.max
 * @param allowedTargets         checks.allowedTargets
 */
public record CheckSettings(long intervalMillis, long timeoutMillis, int failuresBeforeUnhealthy,
                            int successesBeforeHealthy, long gracePeriodMillis, long deregisterAfterMillis,
                            int flappingMaxTransitions, long flappingWindowMillis, long backoffMaxMillis,
                            CheckTargets allowedTargets) {

  public CheckSettings {
    if (intervalMillis < 100 || timeoutMillis < 1 || timeoutMillis > intervalMillis || failuresBeforeUnhealthy < 1
        || successesBeforeHealthy < 1) {
      throw new IllegalArgumentException("checks: interval at least 100ms, timeout positive and at most the interval, "
          + "failuresBeforeUnhealthy and successesBeforeHealthy at least 1");
    }
    if (flappingMaxTransitions < 1 || flappingWindowMillis < 1000 || backoffMaxMillis < 1000) {
      throw new IllegalArgumentException("checks.flapping.maxTransitions at least 1, checks.flapping.window and "
          + "checks.backoff.max at least 1s");
    }
  }

  static CheckSettings from(ConfigReader r) {
    CheckTargets targets = new CheckTargets(r.list("allowedTargets"));
    ConfigReader flapping = r.section("flapping");
    return new CheckSettings(r.duration("interval"), r.duration("timeout"), r.integer("failuresBeforeUnhealthy"),
        r.integer("successesBeforeHealthy"), r.duration("gracePeriod"), r.duration("deregisterAfter"),
        flapping.integer("maxTransitions"), flapping.duration("window"), r.section("backoff").duration("max"), targets);
  }

  /** What a check leaves out, and the check types this node runs. */
  public CheckDefaults defaults(Set<String> types) {
    return new CheckDefaults(intervalMillis, timeoutMillis, failuresBeforeUnhealthy, successesBeforeHealthy,
        gracePeriodMillis, deregisterAfterMillis, Set.copyOf(types));
  }
}
