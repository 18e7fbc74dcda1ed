package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The gateway's shared state, one per process: the route table (rebuilt when the routes change), and per service
 * and route what passive health, breakers, balancers and retry budgets remember. Every event loop's
 * {@link Forwarder} uses the same one, so an ejection or a breaker limit holds for the whole node.
 */
public final class Gateway {
  private final GatewaySettings settings;
  private final InstanceSource instances;
  private final Supplier<List<Route>> routes;
  private final LongSupplier clock;
  private final Map<String, ServiceState> services = new ConcurrentHashMap<>();
  private final Map<String, RouteState> routeStates = new ConcurrentHashMap<>();
  private final TrafficPlanner planner;
  private volatile Table table;

  private record Table(List<Route> source, RouteTable table) {
  }

  /**
   * @param routes the routes in force; hands out the same list while they stay the same, so the table is rebuilt
   *               only on a change
   */
  public Gateway(GatewaySettings settings, InstanceSource instances, Supplier<List<Route>> routes, LongSupplier clock) {
    this.settings = settings;
    this.instances = instances;
    this.routes = routes;
    this.clock = clock;
    this.planner = new TrafficPlanner(instances, settings.zone(), settings.region(), ThreadLocalRandom.current());
  }

  public GatewaySettings settings() {
    return settings;
  }

  InstanceSource instances() {
    return instances;
  }

  RouteTable table() {
    List<Route> current = routes.get();
    Table t = table;
    if (t == null || t.source() != current) {
      t = new Table(current, new RouteTable(current, settings.domain(), settings.bareNames(),
          settings.pathRouting()));
      table = t;
    }
    return t.table();
  }

  ServiceState service(String name) {
    ServiceState s = services.get(name);
    return s != null ? s : services.computeIfAbsent(name, n -> new ServiceState(n, settings.outlier(), clock));
  }

  /** Whether this gateway has ejected instance {@code id} of {@code service} now; false without state of it. */
  boolean ejected(String service, String id) {
    ServiceState s = services.get(service);
    return s != null && s.ejections.isEjected(id);
  }

  /** A route's state; a route written anew (another revision) starts with fresh state. */
  RouteState route(Route route) {
    String key = route.id() + "@" + route.revision();
    RouteState r = routeStates.get(key);
    return r != null ? r : routeStates.computeIfAbsent(key, k -> new RouteState(route, settings, clock));
  }

  TrafficPlanner planner() {
    return planner;
  }

  long now() {
    return clock.getAsLong();
  }

  /**
   * Drops what is kept of instances that left their service and of routes no longer in force; run now and then, so
   * that state does not grow with instances and routes that come and go.
   */
  public void forgetGone() {
    Set<String> live = new HashSet<>();
    for (Route r : routes.get()) {
      live.add(r.id() + "@" + r.revision());
    }
    // Host and path routing make a route per service on the fly: its state goes with the service's instances.
    routeStates.entrySet().removeIf(e -> !live.contains(e.getKey())
        && !RouteTable.isDefault(e.getValue().route)
        || !instances.known(e.getValue().route.service()));
    services.values().removeIf(s -> !instances.known(s.name) && s.breaker.active() == 0);
    for (ServiceState s : services.values()) {
      Set<String> registered = new HashSet<>();
      for (ServiceEntry e : instances.inRotation(s.name, Route.Select.ALL)) {
        registered.add(e.id());
      }
      s.retain(registered);
    }
  }

  /** Requests in flight to {@code service} through this gateway. */
  public int activeRequests(String service) {
    ServiceState s = services.get(service);
    return s == null ? 0 : s.breaker.active();
  }

  /** Instances of {@code service} this gateway has ejected now. */
  public int ejectedCount(String service) {
    ServiceState s = services.get(service);
    return s == null ? 0 : s.ejections.ejectedCount();
  }

  /** Whether {@code service}'s breaker refused its last request. */
  public boolean breakerOpen(String service) {
    ServiceState s = services.get(service);
    return s != null && s.breaker.open();
  }

  /** Per route with a split that this gateway routed requests by: how many each side took over the last minute. */
  public List<SplitShare> splitShares() {
    List<SplitShare> all = new ArrayList<>();
    for (RouteState r : routeStates.values()) {
      if (!r.route.traffic().split().isEmpty()) {
        all.add(new SplitShare(r.route, r.recentPerSide()));
      }
    }
    all.sort(Comparator.comparing(s -> s.route().id()));
    return all;
  }

  /**
   * @param recent per side of the route's split, in its order: requests sent to it over the last
   *               {@link RouteState#SIDE_WINDOW_MILLIS} ms
   */
  public record SplitShare(Route route, List<Long> recent) {
  }

  /** Per service this gateway has routed to, its instances in rotation and what it knows of each. */
  public List<Upstreams> upstreams() {
    List<Upstreams> all = new ArrayList<>();
    for (ServiceState s : services.values()) {
      List<Upstreams.Instance> list = new ArrayList<>();
      for (ServiceEntry e : instances.inRotation(s.name, Route.Select.ALL)) {
        InstanceLoad load = s.loadIfAny(e.id());
        long until = s.ejections.ejectedUntil(e.id());
        list.add(new Upstreams.Instance(e.id(), e.address(), e.port(), load == null ? 0 : load.inFlight(),
            load == null ? 0 : load.requests(), load == null ? 0 : load.recentErrorRate(),
            load == null ? 0 : load.recentRequestsPerSecond(), until > 0, until));
      }
      all.add(new Upstreams(s.name, s.breaker.active(), s.breaker.open(), s.ejections.ejectedCount(), list));
    }
    all.sort(Comparator.comparing(Upstreams::service));
    return all;
  }
}
