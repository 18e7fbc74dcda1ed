package io.cairn.model;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How an instance's health is established. {@code ttl}: the instance heartbeats; {@code http}, {@code tcp},
 * {@code grpc} (or a type a {@code Checker} plugin adds): Cairn probes it. Durations are in milliseconds; 0 means
 * "not set" where that makes sense ({@code deregisterAfter} 0 = never).
 *
 * <p>{@code path} (http) is requested on the instance's address and port, over TLS when {@code tls}; a full
 * {@code url} names its own scheme. {@code tlsSkipVerify} accepts any server certificate. {@code headers} are sent
 * with every http probe. {@code service} is the service name a grpc probe asks about ("" = the whole server).
 */
public record Check(String type, String path, String url, String service, boolean tls, boolean tlsSkipVerify,
                    SortedMap<String, String> headers, long intervalMillis, long timeoutMillis,
                    int failuresBeforeUnhealthy, int successesBeforeHealthy, long gracePeriodMillis,
                    long deregisterAfterMillis) {

  public static final String TTL = "ttl";

  public Check {
    headers = headers == null ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(new TreeMap<>(headers));
  }

  public static Check ttl(long deregisterAfterMillis) {
    return new Check(TTL, null, null, null, false, false, null, 0, 0, 1, 1, 0, deregisterAfterMillis);
  }

  public boolean isTtl() {
    return TTL.equals(type);
  }
}
