package io.cairn.client;

import io.cairn.grpc.v1.Instance;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link CairnClient}'s picks from its watched services, and what they count on: each service's turn (for
 * round-robin) and the leases open on each instance (for {@link PickStrategy#LEAST_REQUESTS}). Safe from any thread.
 */
final class Picks {
  private final Watches watches;
  private final PickStrategy strategy;
  private final String zone;
  private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> leases = new ConcurrentHashMap<>();

  Picks(Watches watches, PickStrategy strategy, String zone) {
    this.watches = watches;
    this.strategy = strategy;
    this.zone = zone;
  }

  /** A passing instance from the cache; a service not watched yet starts being watched and has none for now. */
  Optional<Instance> pick(String name) {
    ServiceCache cache = watches.cached(name);
    if (cache == null) {
      watches.watch(name);
      return Optional.empty();
    }
    List<Instance> candidates = cache.passing();
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    Instance chosen = choose(name, candidates);
    cache.markUsed(chosen.getId());
    return Optional.of(chosen);
  }

  void hold(String id) {
    leases.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
  }

  void release(String id) {
    leases.get(id).decrementAndGet();
  }

  private Instance choose(String name, List<Instance> candidates) {
    int turn = turns.computeIfAbsent(name, k -> new AtomicInteger()).getAndIncrement();
    return Picker.choose(strategy, candidates, turn, id -> {
      AtomicInteger open = leases.get(id);
      return open == null ? 0 : open.get();
    }, zone);
  }
}
