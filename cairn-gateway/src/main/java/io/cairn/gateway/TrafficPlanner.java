package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.model.ValidationException;
import io.cairn.model.VersionFilter;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Settles where one request may go ({@link Plan}), in this order:
 * <ol>
 *   <li>the caller's own narrowing: {@code X-Cairn-Version} (a version or semver range) and {@code X-Cairn-Tag};</li>
 *   <li>the route's split: a side by weight, drawn per request or, with {@code sticky}, by the hash of the user's
 *       key, so a key stays on its side while the weights stay; a side with no instance left (after the narrowing)
 *       hands its share to the sides that have some;</li>
 *   <li>zone affinity: the caller's zone ({@code X-Cairn-Zone}, else this gateway's) while at least
 *       {@code minHealthyPercent} of that zone's instances are in rotation and not ejected; else the caller's region
 *       ({@code X-Cairn-Region}, else this gateway's) by the same rule; else every zone. Retries spill to the wider
 *       set once the preferred instances are all tried;</li>
 *   <li>the hash key, for {@code balance: hash}.</li>
 * </ol>
 * A route that sets none of this costs two header lookups and the cached list of its instances.
 */
final class TrafficPlanner {
  static final String VERSION_HEADER = "X-Cairn-Version";
  static final String TAG_HEADER = "X-Cairn-Tag";
  static final String ZONE_HEADER = "X-Cairn-Zone";
  static final String REGION_HEADER = "X-Cairn-Region";

  private final InstanceSource instances;
  private final String zone;
  private final String region;
  private final RandomGenerator random;

  /**
   * @param zone   this gateway's zone, for callers that do not name theirs; null when unknown
   * @param region this gateway's region, likewise
   * @param random draws the side of a split for requests without a sticky key; safe for every event loop
   */
  TrafficPlanner(InstanceSource instances, String zone, String region, RandomGenerator random) {
    this.instances = instances;
    this.zone = zone;
    this.region = region;
    this.random = random;
  }

  /** @param ejected whether this gateway has ejected an instance now (by id) */
  Plan plan(RouteState state, Predicate<String> ejected, RequestFacts request) {
    Route route = state.route;
    Predicate<ServiceEntry> narrowing;
    try {
      narrowing = narrowing(request);
    } catch (ValidationException e) {
      return Plan.refused(VERSION_HEADER + ": " + e.getMessage());
    }
    Route.Traffic traffic = route.traffic();
    int side = -1;
    List<ServiceEntry> candidates;
    if (traffic.split().isEmpty()) {
      candidates = narrow(instances.inRotation(route.service(), route.select()), narrowing);
    } else {
      List<List<ServiceEntry>> sides = new ArrayList<>(state.selects.size());
      for (Route.Select select : state.selects) {
        sides.add(narrow(instances.inRotation(route.service(), select), narrowing));
      }
      String sticky = traffic.sticky() == null ? null : request.read(traffic.sticky());
      side = side(traffic.split(), sides, sticky);
      candidates = side < 0 ? List.of() : sides.get(side);
    }
    String key = route.balance() == Route.Balance.HASH ? request.read(traffic.hashOn()) : null;
    long hash = key == null ? 0 : HashRing.hash(key);
    if (traffic.zoneAffinity() != null && !candidates.isEmpty()) {
      Affinity affinity = new Affinity(instances, route.service(), candidates, ejected,
          state.admissions.get(Math.max(side, 0)), traffic.zoneAffinity().minHealthyPercent());
      List<ServiceEntry> local = affinity.localTo(callers(request, ZONE_HEADER, zone), ServiceEntry::zone);
      if (local == null) {
        local = affinity.localTo(callers(request, REGION_HEADER, region), ServiceEntry::region);
      }
      if (local != null) {
        return new Plan(local, candidates, key != null, hash, side, null);
      }
    }
    return new Plan(candidates, candidates, key != null, hash, side, null);
  }

  /** The caller's narrowing by version and tag; null when it asks for none. */
  private static Predicate<ServiceEntry> narrowing(RequestFacts request) {
    String version = request.header(VERSION_HEADER);
    String tag = request.header(TAG_HEADER);
    if (version == null && tag == null) {
      return null;
    }
    VersionFilter filter = version == null ? null : VersionFilter.parse(version);
    return e -> (filter == null || filter.matches(e.version())) && (tag == null || e.tags().contains(tag));
  }

  private static List<ServiceEntry> narrow(List<ServiceEntry> list, Predicate<ServiceEntry> narrowing) {
    if (narrowing == null) {
      return list;
    }
    List<ServiceEntry> out = new ArrayList<>(list.size());
    for (ServiceEntry e : list) {
      if (narrowing.test(e)) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * The side by weight, over every side's weight so that a key's side does not move while the weights stay; when
   * that side has no instance, again among the sides that have some. -1 when none has.
   */
  private int side(List<Route.Split> split, List<List<ServiceEntry>> sides, String sticky) {
    long total = 0;
    for (Route.Split s : split) {
      total += s.weight();
    }
    long draw = sticky == null ? random.nextLong(Long.MAX_VALUE) : HashRing.hash(sticky) >>> 1;
    int chosen = byWeight(split, sides, draw % total, false);
    if (chosen >= 0 && !sides.get(chosen).isEmpty()) {
      return chosen;
    }
    long left = 0;
    int firstLeft = -1;
    for (int i = 0; i < split.size(); i++) {
      if (!sides.get(i).isEmpty()) {
        left += split.get(i).weight();
        firstLeft = firstLeft < 0 ? i : firstLeft;
      }
    }
    // Sides of weight 0 take traffic only when nothing else can: a blue/green's idle side beats an error.
    return left == 0 ? firstLeft : byWeight(split, sides, draw % left, true);
  }

  private static int byWeight(List<Route.Split> split, List<List<ServiceEntry>> sides, long point, boolean onlyLive) {
    for (int i = 0; i < split.size(); i++) {
      if (onlyLive && sides.get(i).isEmpty()) {
        continue;
      }
      if (point < split.get(i).weight()) {
        return i;
      }
      point -= split.get(i).weight();
    }
    return -1;
  }

  /** The caller's zone (or region) as its header says, else this gateway's; null when neither says. */
  private static String callers(RequestFacts request, String header, String own) {
    String said = request.header(header);
    return said == null || said.isEmpty() ? own : said;
  }

  /**
   * Zone affinity over one request's candidates.
   *
   * @param admitted what the request's side admits, held against every registered instance (in rotation or not)
   * @param min      {@code minHealthyPercent}
   */
  private record Affinity(InstanceSource instances, String service, List<ServiceEntry> candidates,
                          Predicate<String> ejected, ServiceQuery admitted, int min) {

    /**
     * The candidates in {@code wanted} (a zone or a region, read by {@code place}) when enough of it serves: at
     * least {@code min} percent of its registered instances the route admits are in rotation and not ejected, and
     * at least one. Null otherwise, or when {@code wanted} is null.
     */
    List<ServiceEntry> localTo(String wanted, Function<ServiceEntry, String> place) {
      if (wanted == null) {
        return null;
      }
      List<ServiceEntry> local = new ArrayList<>();
      int serving = 0;
      for (ServiceEntry e : candidates) {
        if (wanted.equals(place.apply(e))) {
          local.add(e);
          if (!ejected.test(e.id())) {
            serving++;
          }
        }
      }
      if (serving == 0) {
        return null;
      }
      return serving * 100L >= (long) min * Math.max(registeredIn(wanted, place), serving) ? local : null;
    }

    private int registeredIn(String wanted, Function<ServiceEntry, String> place) {
      int registered = 0;
      for (ServiceEntry e : instances.registered(service)) {
        if (wanted.equals(place.apply(e)) && admitted.matches(e)) {
          registered++;
        }
      }
      return registered;
    }
  }
}
