package io.cairn.model;

/**
 * How an instance's health is established. {@code ttl}: the instance heartbeats; {@code http}, {@code tcp},
 * {@code grpc}: Cairn probes it. Durations are in milliseconds; 0 means "not set" where that makes sense
 * ({@code deregisterAfter} 0 = never).
 */
public record Check(String type, String path, String url, long intervalMillis, long timeoutMillis,
                    int failuresBeforeUnhealthy, int successesBeforeHealthy, long gracePeriodMillis,
                    long deregisterAfterMillis) {

  public static final String TTL = "ttl";

  public static Check ttl(long deregisterAfterMillis) {
    return new Check(TTL, null, null, 0, 0, 1, 1, 0, deregisterAfterMillis);
  }

  public boolean isTtl() {
    return TTL.equals(type);
  }
}
