package io.cairn.health;

import java.nio.charset.StandardCharsets;
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

  /** A well-mixed 64-bit hash of the pair: FNV-1a over both ids, finished with SplitMix64's mixer. */
  static long weight(String node, String instanceId) {
    long h = 0xcbf29ce484222325L;
    for (byte b : node.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h = (h ^ 0xff) * 0x100000001b3L; // separator, so ("ab","c") and ("a","bc") differ
    for (byte b : instanceId.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h ^= h >>> 30;
    h *= 0xbf58476d1ce4e5b9L;
    h ^= h >>> 27;
    h *= 0x94d049bb133111ebL;
    h ^= h >>> 31;
    return h;
  }

  /**
   * Where in each interval an instance's check runs: a fixed offset from its id, the same on every node, so the
   * checks of many instances spread evenly over the interval and a check that changes owner keeps its rhythm.
   */
  public static long phase(String instanceId, long intervalMillis) {
    return Long.remainderUnsigned(weight("phase", instanceId), intervalMillis);
  }
}
