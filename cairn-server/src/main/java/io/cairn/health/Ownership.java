package io.cairn.health;

import io.cairn.model.StableHash;

import java.util.Collection;

/**
 * Which live node runs an instance's check: rendezvous (highest random weight) hashing of the instance id over
 * the live node ids. Every node computes the same owner from the same membership, without talking to the others;
 * when a node goes, only the checks it owned move (each to its own next-best node), and when one comes, it takes
 * about 1/n of the checks from the others.
 */
public final class Ownership {
  private Ownership() {
  }

  /** The owner of {@code instanceId} among {@code nodes}, or null when there is none. */
  public static String owner(String instanceId, Collection<String> nodes) {
    String best = null;
    long bestWeight = 0;
    for (String node : nodes) {
      long w = weight(node, instanceId);
      if (best == null || Long.compareUnsigned(w, bestWeight) > 0
          || w == bestWeight && node.compareTo(best) < 0) {
        best = node;
        bestWeight = w;
      }
    }
    return best;
  }

  /** A well-mixed 64-bit hash of the pair, the same on every node. */
  static long weight(String node, String instanceId) {
    return StableHash.of(node, instanceId);
  }

  /**
   * Where in each interval an instance's check runs: a fixed offset from its id, the same on every node, so the
   * checks of many instances spread evenly over the interval and a check that changes owner keeps its rhythm.
   */
  public static long phase(String instanceId, long intervalMillis) {
    return Long.remainderUnsigned(weight("phase", instanceId), intervalMillis);
  }
}
