package io.cairn.gateway;

import io.cairn.model.Registrations;
import io.cairn.model.Route;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Which route a request takes: one immutable table per revision of the routes (the configuration's and the log's),
 * shared by every event loop.
 *
 * <p>Routes that match on something are tried first, most specific first:
 * <ol>
 *   <li>the longest {@code pathPrefix};</li>
 *   <li>then an exact {@code host}, then a wildcard host (the longer first), then none;</li>
 *   <li>then a route with a {@code pathRegex} before one without (a regex counts as no prefix, but it is a
 *       narrower match than none);</li>
 *   <li>then the route with more conditions on headers and methods (so a route that adds {@code methods} to another's
 *       match is not shadowed by it);</li>
 *   <li>then by id, which leaves the order of otherwise equal routes to whoever names them.</li>
 * </ol>
 * Routes with no match ({@link Route.Match#ANY}) come last, by id: they take what no other route matches. Then a
 * Host of {@code {service}.{domain}} routes to that service, then (with bare names on, as in an agent's sidecar,
 * where the application calls {@code http://users/...} through it) a Host that is itself a service name, and then,
 * with path routing on, a path {@code /{service}/rest} goes to it as {@code /rest}.
 *
 * <p>A {@code pathPrefix} matches at a segment boundary: {@code /api/users} and {@code /api/users/} both match
 * {@code /api/users} and {@code /api/users/x}, never {@code /api/usersx}. So what follows a matched prefix is empty or
 * starts with '/', and a rewritten path joins the replacement and that rest without doubling or losing a slash, and
 * without gluing the rest to the replacement's last segment (which could make a ".." the normalized path did not
 * have). A {@code host} is compared lower case; {@code *.example.com} matches every sub-domain of example.com, not
 * example.com itself.
 */
public final class RouteTable {
  /** Ids of the routes Host and path routing make; Routes refuses them for routes of the table. */
  static final String HOST_PREFIX = "host:";
  static final String PATH_PREFIX = "path:";
  private static final int MAX_ECHO = 100;

  private final List<Entry> entries;
  private final String domainSuffix;
  private final boolean bareNames;
  private final boolean pathRouting;

  /**
   * @param routes      the routes in force, a log route already in place of a configuration route of the same id
   * @param domain      the Host suffix of services, e.g. {@code cairn}
   * @param pathRouting whether {@code /{service}/...} routes to the service
   */
  public RouteTable(Collection<Route> routes, String domain, boolean pathRouting) {
    this(routes, domain, false, pathRouting);
  }

  /**
   * @param bareNames whether {@code Host: {service}} (without the domain) routes to the service, after
   *                  {@code {service}.{domain}}
   */
  public RouteTable(Collection<Route> routes, String domain, boolean bareNames, boolean pathRouting) {
    List<Entry> sorted = new ArrayList<>(routes.size());
    for (Route r : routes) {
      sorted.add(new Entry(r));
    }
    sorted.sort(Comparator.comparingInt((Entry e) -> -prefixLength(e.route))
        .thenComparingInt(e -> -hostRank(e.route))
        .thenComparingInt(e -> e.regex == null ? 1 : 0)
        .thenComparingInt(e -> -conditions(e.route))
        .thenComparing(e -> e.route.id()));
    this.entries = List.copyOf(sorted);
    this.domainSuffix = "." + domain.toLowerCase(Locale.ROOT);
    this.bareNames = bareNames;
    this.pathRouting = pathRouting;
  }

  /**
   * @param host   the Host header as sent: may be null, carry a port, upper case or a trailing dot
   * @param path   the path, already through {@link Paths#normalize}, without its query
   * @param header a request header by name, whatever its case; null when absent
   * @return the route and the path the upstream gets, or null when nothing matches
   */
  public Resolution resolve(String host, String path, String method, Function<String, String> header) {
    String h = normalizeHost(host);
    for (Entry e : entries) {
      if (e.matches(h, path, method, header)) {
        return new Resolution(e.route, e.upstreamPath(path));
      }
    }
    String byHost = serviceOfHost(h);
    if (byHost != null) {
      return new Resolution(defaultRoute(HOST_PREFIX + byHost, byHost), path);
    }
    int end = pathRouting ? serviceEnd(path) : -1;
    if (end < 0) {
      return null;
    }
    String byPath = path.substring(1, end);
    return new Resolution(defaultRoute(PATH_PREFIX + byPath, byPath), end == path.length() ? "/" : path.substring(end));
  }

  /** What {@link #resolve} tried and why each failed, for the body of a 404. */
  public String explainMiss(String host, String path, String method) {
    String h = normalizeHost(host);
    StringBuilder b = new StringBuilder("no route matches ").append(echo(method)).append(' ')
        .append(h == null ? "" : echo(h)).append(echo(path));
    if (h == null) {
      b.append("; no Host header");
    } else if (h.endsWith(domainSuffix)) {
      b.append("; '").append(echo(h.substring(0, h.length() - domainSuffix.length())))
          .append("' in Host ").append(echo(h)).append(" is not a service name");
    } else {
      b.append("; Host ").append(echo(h)).append(" is not {service}").append(domainSuffix)
          .append(bareNames ? " or a service name" : "");
    }
    b.append(pathRouting ? "; the path does not start with /{service}/" : "; path routing is off");
    return b.toString();
  }

  /** The routes in the table, not counting the default routes made from Host and path. */
  public int size() {
    return entries.size();
  }

  /** @param upstreamPath the path the upstream gets, a prefix rewritten or stripped */
  public record Resolution(Route route, String upstreamPath) {
  }

  private String serviceOfHost(String h) {
    if (h == null) {
      return null;
    }
    if (h.endsWith(domainSuffix)) {
      String service = h.substring(0, h.length() - domainSuffix.length());
      if (Registrations.validName(service)) {
        return service;
      }
    }
    return bareNames && Registrations.validName(h) ? h : null;
  }

  /** The end of a service name that is the path's first segment, or -1. */
  private static int serviceEnd(String path) {
    int end = path.indexOf('/', 1);
    if (end < 0) {
      end = path.length();
    }
    return end > 1 && Registrations.validName(path.substring(1, end)) ? end : -1;
  }

  // Made per request rather than cached per name: the name comes from the client, so a cache could be filled
  // without bound, and one record costs less than a map look-up would save.
  /** Whether the route is one Host or path routing made for a service, rather than one of the table. */
  static boolean isDefault(Route route) {
    return route.revision() == 0 && (route.id().startsWith(HOST_PREFIX) || route.id().startsWith(PATH_PREFIX));
  }

  private static Route defaultRoute(String id, String service) {
    return new Route(id, Route.Match.ANY, service, false, null, Route.Select.ALL, Route.Balance.ROUND_ROBIN,
        Route.DEFAULT_RETRIES, false, Route.Timeouts.DEFAULT, Route.Limits.DEFAULT, Route.Traffic.NONE, 0);
  }

  static String normalizeHost(String host) {
    if (host == null || host.isEmpty()) {
      return null;
    }
    int end;
    if (host.charAt(0) == '[') {
      int close = host.indexOf(']');
      end = close < 0 ? host.length() : close + 1;
    } else {
      int colon = host.indexOf(':');
      end = colon < 0 ? host.length() : colon;
    }
    if (end > 0 && host.charAt(end - 1) == '.') {
      end--;
    }
    return end == 0 ? null : host.substring(0, end).toLowerCase(Locale.ROOT);
  }

  private static int prefixLength(Route r) {
    return r.match().pathPrefix() == null ? 0 : r.match().pathPrefix().length();
  }

  private static int hostRank(Route r) {
    String host = r.match().host();
    if (host == null) {
      return 0;
    }
    // exact hosts above every wildcard; among wildcards, the longer (narrower) first
    return host.startsWith("*.") ? host.length() : 1 << 16;
  }

  private static int conditions(Route r) {
    return r.match().headers().size() + (r.match().methods().isEmpty() ? 0 : 1);
  }

  private static String echo(String text) {
    if (text == null) {
      return "";
    }
    return text.length() > MAX_ECHO ? text.substring(0, MAX_ECHO) + "…" : text;
  }

  /** A route with its match made ready: the regex compiled, the prefix without its trailing slash. */
  private static final class Entry {
    final Route route;
    final Pattern regex;
    final String host;
    final boolean wildcard;
    final String prefix;

    Entry(Route route) {
      this.route = route;
      Route.Match m = route.match();
      this.regex = m.pathRegex() == null ? null : Pattern.compile(m.pathRegex());
      this.wildcard = m.host() != null && m.host().startsWith("*.");
      // "*.example.com" keeps ".example.com": a sub-domain ends with it and is longer
      this.host = wildcard ? m.host().substring(1) : m.host();
      String p = m.pathPrefix();
      this.prefix = p != null && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    boolean matches(String h, String path, String method, Function<String, String> header) {
      Route.Match m = route.match();
      if (!m.methods().isEmpty() && !m.methods().contains(method)) {
        return false;
      }
      if (host != null && (h == null || !(wildcard ? h.endsWith(host) && h.length() > host.length() : h.equals(host)))) {
        return false;
      }
      if (prefix != null && !underPrefix(path)) {
        return false;
      }
      for (Map.Entry<String, String> e : m.headers().entrySet()) {
        if (!e.getValue().equals(header.apply(e.getKey()))) {
          return false;
        }
      }
      return regex == null || regex.matcher(path).matches();
    }

    private boolean underPrefix(String path) {
      return path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/');
    }

    String upstreamPath(String path) {
      String replacement = route.replacementPrefix();
      if (replacement == null || prefix == null) {
        return path;
      }
      String rest = path.substring(prefix.length());
      if (rest.isEmpty()) {
        return replacement;
      }
      return (replacement.endsWith("/") ? replacement.substring(0, replacement.length() - 1) : replacement) + rest;
    }
  }
}
