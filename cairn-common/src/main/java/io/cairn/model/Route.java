package io.cairn.model;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;

/**
 * Where the proxy takes a request: which requests it matches, the service they go to, which of its instances may
 * serve them, how they are balanced, retried and timed out. Routes enter the log like registrations, so every node
 * routes the same way from the same revision on. {@link Routes} reads and writes the JSON document; only
 * {@code service} is required.
 *
 * @param id                 the route's name, unique in the table
 * @param match              which requests; {@link Match#ANY} matches what no more specific route matches
 * @param stripPrefix        with {@code match.pathPrefix}: the upstream sees the path without it
 * @param rewritePrefix      with {@code match.pathPrefix}: the prefix that replaces it; null keeps the path
 * @param retryNonIdempotent retry POST and PATCH too after a 5xx or a try timeout (connection failures before any
 *                           byte was sent are retried for every method anyway)
 * @param revision           the log revision that wrote it; 0 for a route of the node's configuration file
 */
public record Route(String id, Match match, String service, boolean stripPrefix, String rewritePrefix, Select select,
                    Balance balance,
                    int retries, boolean retryNonIdempotent, Timeouts timeouts, Limits breaker, long revision) {

  /** Retries when a route says nothing. */
  public static final int DEFAULT_RETRIES = 2;

  /** Null fields match anything; {@code headers} must all be present with exactly these values. */
  public record Match(String host, String pathPrefix, String pathRegex, List<String> methods,
                      SortedMap<String, String> headers) {
    public static final Match ANY = new Match(null, null, null, List.of(), Collections.emptySortedMap());

    public boolean isAny() {
      return host == null && pathPrefix == null && pathRegex == null && methods.isEmpty() && headers.isEmpty();
    }
  }

  /** Narrows a service's instances in rotation; null fields do not narrow. */
  public record Select(String version, List<String> tags, SortedMap<String, String> meta, String region, String zone) {
    public static final Select ALL = new Select(null, List.of(), Collections.emptySortedMap(), null, null);

    public boolean isAll() {
      return version == null && tags.isEmpty() && meta.isEmpty() && region == null && zone == null;
    }
  }

  /** Milliseconds; 0 leaves the node's default. */
  public record Timeouts(long connectMillis, long tryMillis, long requestMillis) {
    public static final Timeouts DEFAULT = new Timeouts(0, 0, 0);
  }

  /** The service's circuit breaker; 0 leaves the node's default. */
  public record Limits(int maxConnections, int maxPendingRequests, int maxConcurrentRequests) {
    public static final Limits DEFAULT = new Limits(0, 0, 0);
  }

  /** How one instance is picked among those in rotation. */
  public enum Balance {
    ROUND_ROBIN("round-robin"),
    WEIGHTED("weighted"),
    LEAST_REQUESTS("least-requests"),
    RANDOM("random");

    private final String json;

    Balance(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }

    /** The balance named {@code json}, or null. */
    public static Balance of(String json) {
      for (Balance b : values()) {
        if (b.json.equals(json)) {
          return b;
        }
      }
      return null;
    }
  }

  /**
   * The prefix that replaces {@code match.pathPrefix} in the path the upstream sees, or null to keep the path.
   * Stripping {@code /api/users/} from {@code /api/users/x} leaves {@code /x}.
   */
  public String replacementPrefix() {
    return stripPrefix ? "/" : rewritePrefix;
  }

  /** The same route as the log applied it at {@code at}. */
  public Route at(long at) {
    return new Route(id, match, service, stripPrefix, rewritePrefix, select, balance, retries, retryNonIdempotent, timeouts,
        breaker, at);
  }
}
