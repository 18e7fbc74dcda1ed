package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * The balancers a route may name. Each keeps only what one pick needs (a counter, a random source) and walks the
 * candidate list without copying it, so a pick allocates nothing.
 */
public final class Balancers {
  private Balancers() {
  }

  /**
   * A new balancer with its own state, for one route.
   *
   * @param random shared by every thread that picks, so it must be safe for them: {@code ThreadLocalRandom.current()}
   *               is (it draws from the calling thread's own generator); a seeded {@code java.util.Random} makes a
   *               test repeatable
   */
  public static Balancer create(Route.Balance balance, RandomGenerator random) {
    return switch (balance) {
      case ROUND_ROBIN -> new RoundRobin();
      case WEIGHTED -> new Weighted(random);
      case LEAST_REQUESTS -> new LeastRequests(random);
      case RANDOM -> (candidates, load, key) -> candidates.get(random.nextInt(candidates.size()));
      case HASH -> new Hash();
    };
  }

  /** Even within one pick over a stable list; a list that changes size shifts the cycle, which is harmless. */
  private static final class RoundRobin implements Balancer {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public ServiceEntry pick(List<ServiceEntry> candidates, LoadView load, Keyed key) {
      return candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size()));
    }
  }

  /**
   * A random draw by weight: proportions hold over any window, without the per-instance state smooth weighted
   * round-robin would need to keep in step with a candidate list that changes on every retry. Weight 0 takes no
   * traffic while any candidate has weight; when none has, they share it in turn.
   */
  private static final class Weighted implements Balancer {
    private final RandomGenerator random;
    private final RoundRobin unweighted = new RoundRobin();

    Weighted(RandomGenerator random) {
      this.random = random;
    }

    @Override
    public ServiceEntry pick(List<ServiceEntry> candidates, LoadView load, Keyed key) {
      long total = 0;
      for (int i = 0; i < candidates.size(); i++) {
        total += weight(candidates.get(i));
      }
      if (total == 0) {
        return unweighted.pick(candidates, load, key);
      }
      // point < total, so the walk stops on an instance of positive weight before the end of the list
      long point = random.nextLong(total);
      int i = 0;
      while (point >= weight(candidates.get(i))) {
        point -= weight(candidates.get(i));
        i++;
      }
      return candidates.get(i);
    }

    private static int weight(ServiceEntry e) {
      return Math.max(0, e.weight());
    }
  }

  /**
   * Power of two choices: the less loaded of two distinct random candidates. The busiest instance can only lose a
   * comparison, and unlike always taking the least loaded, instances that look equally idle to every event loop
   * are not all sent the same burst.
   */
  private static final class LeastRequests implements Balancer {
    private final RandomGenerator random;

    LeastRequests(RandomGenerator random) {
      this.random = random;
    }

    @Override
    public ServiceEntry pick(List<ServiceEntry> candidates, LoadView load, Keyed key) {
      int n = candidates.size();
      if (n == 1) {
        return candidates.get(0);
      }
      int i = random.nextInt(n);
      int j = random.nextInt(n - 1);
      if (j >= i) {
        j++;
      }
      ServiceEntry a = candidates.get(i);
      ServiceEntry b = candidates.get(j);
      int la = load.inFlight(a.id());
      int lb = load.inFlight(b.id());
      if (la != lb) {
        return la < lb ? a : b;
      }
      return random.nextBoolean() ? a : b;
    }
  }

  /**
   * Consistent hashing on the request's key; a request without one is balanced round-robin. The ring is rebuilt only
   * when the instances it is placed among change.
   */
  private static final class Hash implements Balancer {
    private final RoundRobin keyless = new RoundRobin();
    private volatile Ring ring;

    private record Ring(List<String> ids, HashRing ring) {
    }

    @Override
    public ServiceEntry pick(List<ServiceEntry> candidates, LoadView load, Keyed key) {
      if (key == null) {
        return keyless.pick(candidates, load, null);
      }
      return ringOf(key.population()).pick(key.hash(), candidates);
    }

    private HashRing ringOf(List<ServiceEntry> population) {
      Ring r = ring;
      if (r != null && sameIds(r.ids(), population)) {
        return r.ring();
      }
      List<String> ids = new ArrayList<>(population.size());
      for (ServiceEntry e : population) {
        ids.add(e.id());
      }
      r = new Ring(ids, new HashRing(population));
      ring = r;
      return r.ring();
    }

    private static boolean sameIds(List<String> ids, List<ServiceEntry> population) {
      if (ids.size() != population.size()) {
        return false;
      }
      for (int i = 0; i < ids.size(); i++) {
        if (!ids.get(i).equals(population.get(i).id())) {
          return false;
        }
      }
      return true;
    }
  }
}
