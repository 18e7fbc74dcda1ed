package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceQuery;
import io.cairn.model.StatusFilter;
import io.cairn.model.VersionFilter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * What a route keeps between requests: its balancer's position, its retry budget, and per side of its split the
 * instances that side admits and the requests it took. Shared by every event loop (ThreadLocalRandom draws from the
 * calling thread's own generator).
 */
final class RouteState {
  final Route route;
  final Balancer balancer;
  final RetryBudget budget;
  /** Per side of the split (one entry without a split): what it selects, within the route's select. */
  final List<Route.Select> selects;
  /** The same as queries that any instance, in rotation or not, can be held against (zone affinity's count). */
  final List<ServiceQuery> admissions;
  /** Per side: requests sent to it, over the last minute. */
  private final List<SlidingWindow> taken;
  private final LongSupplier clock;
  /** How far back a side's share of requests counts, in buckets of 5 s. */
  static final long SIDE_WINDOW_MILLIS = 60_000;
  private static final int SIDE_BUCKETS = 12;

  RouteState(Route route, GatewaySettings settings, LongSupplier clock) {
    this.route = route;
    this.clock = clock;
    this.balancer = Balancers.create(route.balance(), ThreadLocalRandom.current());
    this.budget = new RetryBudget(settings.retryBudgetPercent() / 100.0,
        (int) (settings.minRetriesPerSecond() * GatewaySettings.RETRY_WINDOW_MILLIS / 1000),
        GatewaySettings.RETRY_WINDOW_MILLIS, clock);
    List<Route.Select> sides = new ArrayList<>();
    List<SlidingWindow> windows = new ArrayList<>();
    if (route.traffic().split().isEmpty()) {
      sides.add(route.select());
    } else {
      for (Route.Split s : route.traffic().split()) {
        sides.add(within(route.select(), s.select()));
        windows.add(new SlidingWindow(SIDE_BUCKETS, SIDE_WINDOW_MILLIS / SIDE_BUCKETS));
      }
    }
    this.selects = List.copyOf(sides);
    List<ServiceQuery> queries = new ArrayList<>();
    for (Route.Select s : sides) {
      queries.add(new ServiceQuery(route.service(), s.version() == null ? null : VersionFilter.parse(s.version()),
          s.tags(), StatusFilter.ANY, null, s.region(), s.zone(), new TreeMap<>(s.meta())));
    }
    this.admissions = List.copyOf(queries);
    this.taken = List.copyOf(windows);
  }


  /**
   * A side's select within the route's: tags and meta add up; a version, region or zone the side names replaces the
   * route's (a split exists to tell versions apart, so its sides name the version each takes).
   */
  static Route.Select within(Route.Select route, Route.Select side) {
    List<String> tags = new ArrayList<>(route.tags());
    for (String t : side.tags()) {
      if (!tags.contains(t)) {
        tags.add(t);
      }
    }
    TreeMap<String, String> meta = new TreeMap<>(route.meta());
    meta.putAll(side.meta());
    return new Route.Select(side.version() != null ? side.version() : route.version(), List.copyOf(tags),
        Collections.unmodifiableSortedMap(meta), side.region() != null ? side.region() : route.region(),
        side.zone() != null ? side.zone() : route.zone());
  }

  void tookSide(int side) {
    if (side >= 0) {
      taken.get(side).add(clock.getAsLong());
    }
  }

  /** Per side, requests it took over the last minute (empty without a split). */
  List<Long> recentPerSide() {
    long now = clock.getAsLong();
    List<Long> out = new ArrayList<>(taken.size());
    for (SlidingWindow w : taken) {
      out.add(w.sum(now));
    }
    return out;
  }
}
