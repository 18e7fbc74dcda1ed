package io.cairn.gateway;

import io.cairn.model.ServiceEntry;

import java.util.List;

/**
 * Where one request may go, settled once before its first try: the instances it prefers (its side of a split, its
 * zone), the wider set a retry may spill to once those are all tried, and its hash key.
 *
 * @param preferred the instances in rotation the request goes to first; empty when none may serve it
 * @param spill     where retries go once every preferred instance was tried (the other zones); the same list as
 *                  {@code preferred} when there is nowhere else
 * @param hash      the request's key hashed, for the hash balancer; meaningful only when {@code keyed}
 * @param side      the split's side taken, -1 without a split
 * @param refusal   why the caller's own narrowing cannot be followed (a bad X-Cairn-Version), or null
 */
record Plan(List<ServiceEntry> preferred, List<ServiceEntry> spill, boolean keyed, long hash, int side,
            String refusal) {

  static Plan refused(String why) {
    return new Plan(List.of(), List.of(), false, 0, -1, why);
  }

  boolean isEmpty() {
    return preferred.isEmpty();
  }

  /** The balancer's view of the key among {@code population}; null without a key. */
  Balancer.Keyed keyAmong(List<ServiceEntry> population) {
    return keyed ? new Balancer.Keyed(hash, population) : null;
  }
}
