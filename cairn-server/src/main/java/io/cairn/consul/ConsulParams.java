package io.cairn.consul;

import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.model.Durations;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A Consul request's parameters, parsed as Consul (a Go program) parses them: {@code index} as an unsigned integer,
 * {@code wait} as a Go duration, flags as Go's booleans; and what Cairn does not support, refused.
 */
final class ConsulParams {
  /** Consul's default and longest waits of a blocking query. */
  static final long DEFAULT_WAIT_MILLIS = 5 * 60_000;
  static final long MAX_WAIT_MILLIS = 10 * 60_000;

  private ConsulParams() {
  }

  /** Refuses another datacenter than this one, and the filters Cairn does not support. */
  static void checkQuery(MultiMap params, String datacenter) {
    String dc = params.get("dc");
    if (dc != null && !dc.isEmpty() && !dc.equals(datacenter)) {
      throw new ApiException(500, "unknown_datacenter", "No path to datacenter");
    }
    if (params.contains("filter")) {
      throw new ApiException(400, "unsupported", "Cairn does not support Consul's filter expressions yet; "
          + "filter by tag with ?tag= (repeatable) and by health with ?passing");
    }
    if (params.contains("node-meta")) {
      throw new ApiException(400, "unsupported", "Cairn does not support node-meta filters");
    }
  }

  /** A blocking query's {@code index}: the index the client last saw, 0 for none. */
  static long index(MultiMap params) {
    return uint(params, "index");
  }

  /** A blocking query's {@code wait}; as Consul: no wait, or 0, is the default. */
  static long waitMillis(MultiMap params) {
    long wait = params.contains("wait") ? goDuration(params.get("wait"), "wait") : 0;
    return wait <= 0 ? DEFAULT_WAIT_MILLIS : wait;
  }

  /**
   * The key under which waiting reads share their re-reads: the same question by the same caller reads the same, so
   * the key is the caller, the path and every parameter but the index, the wait and the token.
   */
  static String blockingKey(Caller caller, String path, MultiMap params) {
    return caller.name() + " " + path + "?" + params.entries().stream()
        .filter(e -> !e.getKey().equals("index") && !e.getKey().equals("wait") && !e.getKey().equals("token"))
        .map(e -> e.getKey() + "=" + e.getValue()).sorted().collect(Collectors.joining("&"));
  }

  /** {@code passing}, {@code passing=1} and {@code passing=true} mean true, {@code passing=false} and absent false. */
  static boolean passing(MultiMap params) {
    if (!params.contains("passing")) {
      return false;
    }
    String v = params.get("passing");
    return v.isEmpty() || flag("passing", v);
  }

  /** A boolean as Consul parses one (Go's ParseBool): 1, t, true or 0, f, false, in any case. */
  static boolean flag(String key, String value) {
    switch (value.toLowerCase(Locale.ROOT)) {
      case "1": case "t": case "true": return true;
      case "0": case "f": case "false": return false;
      default: throw new ApiException(400, "invalid_value", "Invalid value for " + key + ": " + value);
    }
  }

  /** The service name of the path: Consul matches service names without regard to case; Cairn keeps them in lower case. */
  static String serviceName(RoutingContext rc) {
    return rc.pathParam("name").toLowerCase(Locale.ROOT);
  }

  private static long uint(MultiMap params, String key) {
    String v = params.get(key);
    if (v == null || v.isEmpty()) {
      return 0;
    }
    try {
      long value = Long.parseUnsignedLong(v);
      return value < 0 ? Long.MAX_VALUE : value;
    } catch (NumberFormatException e) {
      throw new ApiException(400, "invalid_value", "Invalid " + key + ": " + v);
    }
  }

  private static long goDuration(String text, String key) {
    try {
      return Durations.parseGo(text);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "invalid_value", "Invalid " + key + ": " + e.getMessage());
    }
  }
}
