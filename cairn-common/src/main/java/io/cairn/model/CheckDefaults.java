package io.cairn.model;

import java.util.Set;

/**
 * What a registration's check gets for the settings it leaves out ({@code checks.*} in conf/cairn.yaml), and the
 * check types this node can run: the built-in ones and those added by {@code Checker} plugins.
 */
public record CheckDefaults(long intervalMillis, long timeoutMillis, int failuresBeforeUnhealthy,
                            int successesBeforeHealthy, long gracePeriodMillis, long deregisterAfterMillis,
                            Set<String> types) {

  /** Settings as the issue of record names them, and the built-in types; for tests and tools. */
  public static final CheckDefaults BUILT_IN = new CheckDefaults(10_000, 2_000, 3, 1, 0, 0,
      Set.of("http", "tcp", "grpc", Check.TTL));
}
