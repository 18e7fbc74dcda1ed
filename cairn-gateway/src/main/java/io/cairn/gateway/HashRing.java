package io.cairn.gateway;

import io.cairn.model.ServiceEntry;
import io.cairn.model.StableHash;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Consistent hashing on a ring with virtual nodes (Karger et al.; the scheme of ketama and Envoy's ring_hash): each
 * instance owns {@link #POINTS_PER_INSTANCE} points, a key goes to the owner of the first point at or after its hash.
 * When one of N instances leaves, only the keys it owned move (about 1/N), each to the next owner on the ring; when
 * it comes back, they move home. Immutable: built once per set of instances and shared by every event loop.
 */
final class HashRing {
  /** Enough points that five instances share keys within a few percent of even, cheap to build for dozens. */
  static final int POINTS_PER_INSTANCE = 160;
  private final long[] points;
  private final ServiceEntry[] owners;

  HashRing(List<ServiceEntry> instances) {
    int n = instances.size() * POINTS_PER_INSTANCE;
    long[][] pairs = new long[n][2];
    int p = 0;
    for (int i = 0; i < instances.size(); i++) {
      // Points hash the instance's id, not its position: a ring built without some instance keeps everyone else's.
      String id = instances.get(i).id();
      for (int v = 0; v < POINTS_PER_INSTANCE; v++) {
        pairs[p][0] = StableHash.of(id, Integer.toString(v));
        pairs[p][1] = i;
        p++;
      }
    }
    Arrays.sort(pairs, (a, b) -> Long.compareUnsigned(a[0], b[0]));
    this.points = new long[n];
    this.owners = new ServiceEntry[n];
    for (int i = 0; i < n; i++) {
      points[i] = pairs[i][0];
      owners[i] = instances.get((int) pairs[i][1]);
    }
  }

  /**
   * The owner of {@code hash} among {@code candidates}: the first point at or after it whose instance is a
   * candidate, so a key whose instance was tried or ejected goes on to the next instance on the ring.
   *
   * @param candidates a subset of the ring's instances, not empty
   */
  ServiceEntry pick(long hash, List<ServiceEntry> candidates) {
    int start = firstAtOrAfter(hash);
    if (candidates.size() * POINTS_PER_INSTANCE == points.length) {
      return owners[start];
    }
    Set<String> allowed = new HashSet<>(candidates.size() * 2);
    for (ServiceEntry c : candidates) {
      allowed.add(c.id());
    }
    for (int i = 0; i < points.length; i++) {
      ServiceEntry owner = owners[(start + i) % points.length];
      if (allowed.contains(owner.id())) {
        return owner;
      }
    }
    // A candidate not on the ring (the list changed under the request): any candidate beats none.
    return candidates.get((int) Long.remainderUnsigned(hash, candidates.size()));
  }

  private int firstAtOrAfter(long hash) {
    int lo = 0;
    int hi = points.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(points[mid], hash) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == points.length ? 0 : lo;
  }

  /** Where a request's key sits on the ring. */
  static long hash(String key) {
    return StableHash.of(key);
  }
}
