package io.cairn.client;

import io.cairn.grpc.v1.Instance;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.ToIntFunction;

/** The choice of one instance among a service's passing ones, by {@link PickStrategy}. */
final class Picker {
  private Picker() {
  }

  /**
   * @param turn       this service's pick counter (round-robin position)
   * @param openLeases leases open on an instance id
   * @param zone       the client's zone, for {@link PickStrategy#ZONE_AFFINITY}
   */
  static Instance choose(PickStrategy strategy, List<Instance> candidates, int turn, ToIntFunction<String> openLeases,
                         String zone) {
    switch (strategy) {
      case RANDOM:
        return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
      case LEAST_REQUESTS: {
        int fewest = Integer.MAX_VALUE;
        List<Instance> least = new ArrayList<>();
        for (Instance i : candidates) {
          int n = openLeases.applyAsInt(i.getId());
          if (n < fewest) {
            fewest = n;
            least.clear();
          }
          if (n == fewest) {
            least.add(i);
          }
        }
        return least.get(Math.floorMod(turn, least.size()));
      }
      case ZONE_AFFINITY: {
        List<Instance> local = candidates.stream().filter(i -> i.getZone().equals(zone)).toList();
        List<Instance> from = local.isEmpty() ? candidates : local;
        return from.get(Math.floorMod(turn, from.size()));
      }
      default:
        return candidates.get(Math.floorMod(turn, candidates.size()));
    }
  }
}
