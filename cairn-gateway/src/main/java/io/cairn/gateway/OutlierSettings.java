package io.cairn.gateway;

/**
 * When this node takes an instance out of its own rotation after failures it saw (passive health).
 *
 * @param consecutive5xx             5xx answers in a row that eject
 * @param consecutiveConnectFailures failed connections in a row (refused, reset, connect timeout) that eject
 * @param baseEjectionMillis         the first ejection; each further one doubles it
 * @param maxEjectionMillis          the longest ejection, and the time without one after which the next starts at base
 * @param maxEjectionPercent         at most this share of a service's instances in rotation are ejected at once
 */
public record OutlierSettings(int consecutive5xx, int consecutiveConnectFailures, long baseEjectionMillis,
                              long maxEjectionMillis, int maxEjectionPercent) {
  public static final OutlierSettings DEFAULTS = new OutlierSettings(5, 3, 30_000, 300_000, 50);

  public OutlierSettings {
    if (consecutive5xx < 1 || consecutiveConnectFailures < 1) {
      throw new IllegalArgumentException("outlier thresholds must be at least 1");
    }
    if (baseEjectionMillis < 1 || maxEjectionMillis < baseEjectionMillis) {
      throw new IllegalArgumentException("ejections need 0 < baseEjectionMillis <= maxEjectionMillis");
    }
    if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
      throw new IllegalArgumentException("maxEjectionPercent must be between 0 and 100");
    }
  }
}
