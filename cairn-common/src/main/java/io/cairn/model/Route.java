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
 * @param traffic            how requests spread beyond {@code select} and {@code balance}: splits between versions,
 *                           keys that keep a user on one side or instance, zone affinity
 * @param revision           the log revision that wrote it; 0 for a route of the node's configuration file
 */
public record Route(String id, Match match, String service, boolean stripPrefix, String rewritePrefix, Select select,
                    Balance balance,
                    int retries, boolean retryNonIdempotent, Timeouts timeouts, Limits breaker, Traffic traffic,
                    long revision) {

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

  /**
   * What spreads a route's requests besides its balancer. Each part is optional: an empty split, null keys and a null
   * zone affinity leave requests to {@code select} and {@code balance} alone.
   *
   * @param split        sides by weight, each narrowing the route's instances further (a version, a tag): canaries
   *                     and blue/green; one write moves the weights on every node at the same revision
   * @param sticky       with a split: the key that keeps a user on one side; null draws a side per request
   * @param hashOn       with {@code balance: hash}: the key that keeps a user on one instance
   * @param zoneAffinity prefer the caller's zone (then region) while enough of it is in rotation; null spreads over
   *                     every zone
   */
  public record Traffic(List<Split> split, Key sticky, Key hashOn, ZoneAffinity zoneAffinity) {
    public static final Traffic NONE = new Traffic(List.of(), null, null, null);
  }

  /** One side of a split: the instances its {@code select} admits (within the route's), and its share by weight. */
  public record Split(Select select, int weight) {
  }

  /** Where a request's key is read: one header, one cookie, or the client's address. */
  public record Key(String header, String cookie, boolean clientAddress) {
  }

  /**
   * @param minHealthyPercent the caller's zone takes its requests while at least this share of its instances (that
   *                          the route admits) are in rotation and not ejected; below, they spill to the region, then
   *                          everywhere
   */
  public record ZoneAffinity(int minHealthyPercent) {
  }

  /** How one instance is picked among those in rotation. */
  public enum Balance {
    ROUND_ROBIN("round-robin"),
    WEIGHTED("weighted"),
    LEAST_REQUESTS("least-requests"),
    RANDOM("random"),
    /** By a key of the request ({@link Traffic#hashOn}) on a ring: a key stays on its instance while it serves. */
    HASH("hash");

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
        breaker, traffic, at);
  }
}
