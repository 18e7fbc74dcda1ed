package io.cairn.client;

/** How {@link CairnClient#pick} chooses among a service's passing instances. */
public enum PickStrategy {
  /** Each in turn. */
  ROUND_ROBIN,
  /** Any, uniformly. */
  RANDOM,
  /** The one with the fewest leases open ({@link CairnClient#acquire}); ties in turn. */
  LEAST_REQUESTS,
  /** Instances in the client's zone, in turn; the others only when the zone has none. */
  ZONE_AFFINITY
}
