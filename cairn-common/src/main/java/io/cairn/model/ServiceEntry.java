package io.cairn.model;

import java.util.List;
import java.util.SortedMap;

/**
 * One registered service instance: what the client declared, plus the state the registry keeps about it.
 * Immutable; every change produces a new entry. Times are epoch milliseconds taken from the command that made
 * the change, so every replica holds the same values. {@code revision} is the log revision of the last change.
 * {@code lastCheck} is the check result of the last health transition (only transitions enter the log; the latest
 * result of every run is kept apart, per node, by the health-check verticle).
 */
public record ServiceEntry(
    String id,
    String name,
    String version,
    String address,
    int port,
    List<String> tags,
    SortedMap<String, String> metadata,
    String region,
    String zone,
    int weight,
    String node,
    Check check,
    long ttlMillis,
    Health health,
    boolean enabled,
    boolean draining,
    long registeredAt,
    CheckOutcome lastCheck,
    long lastHeartbeat,
    long healthSince,
    String healthReason,
    long revision) {

  /** Health on registration: no check and no ttl counts as healthy; a probe starts unknown; a ttl starts healthy. */
  public Health initialHealth() {
    if (check == null || check.isTtl()) {
      return Health.HEALTHY;
    }
    return Health.UNKNOWN;
  }

  /** Carries {@code tag}, compared without regard to case (as DNS and Consul's clients compare tags). */
  public boolean hasTagIgnoringCase(String tag) {
    for (String t : tags) {
      if (t.equalsIgnoreCase(tag)) {
        return true;
      }
    }
    return false;
  }

  public boolean hasTtl() {
    return ttlMillis > 0;
  }

  /** In rotation: the instance would receive traffic. */
  public boolean passing() {
    return enabled && !draining && health.servesTraffic();
  }

  /** The declared definition, ignoring state: a re-registration with the same definition keeps its health. */
  public boolean sameDefinition(ServiceEntry other) {
    return other != null
        && name.equals(other.name)
        && address.equals(other.address)
        && port == other.port
        && java.util.Objects.equals(check, other.check)
        && ttlMillis == other.ttlMillis;
  }

  /** New state; a change of health clears the reason of the previous one. */
  public ServiceEntry withState(Health newHealth, boolean newEnabled, boolean newDraining, CheckOutcome newLastCheck,
                                long newLastHeartbeat, long newHealthSince, long newRevision) {
    return new ServiceEntry(id, name, version, address, port, tags, metadata, region, zone, weight, node, check,
        ttlMillis, newHealth, newEnabled, newDraining, registeredAt, newLastCheck, newLastHeartbeat,
        newHealthSince, newHealth == health ? healthReason : null, newRevision);
  }

  /** A new health with the reason for it (e.g. {@code node-failed}), since {@code at}. */
  public ServiceEntry withHealth(Health newHealth, String reason, long at, long newRevision) {
    return withHealth(newHealth, reason, lastCheck, at, newRevision);
  }

  /** A new health decided by a check run ({@code outcome}, may be null), with the reason for it, since {@code at}. */
  public ServiceEntry withHealth(Health newHealth, String reason, CheckOutcome outcome, long at, long newRevision) {
    return new ServiceEntry(id, name, version, address, port, tags, metadata, region, zone, weight, node, check,
        ttlMillis, newHealth, enabled, draining, registeredAt, outcome, lastHeartbeat, at, reason, newRevision);
  }

  /**
   * The same definition stamped with the state it gets when a command registers it at {@code at}: never draining,
   * and heard from now if it has a ttl.
   */
  public ServiceEntry registered(String viaNode, Health newHealth, boolean newEnabled, long newRegisteredAt,
                                 CheckOutcome newLastCheck, long at, long healthSinceAt, long newRevision) {
    return new ServiceEntry(id, name, version, address, port, tags, metadata, region, zone, weight, viaNode, check,
        ttlMillis, newHealth, newEnabled, false, newRegisteredAt, newLastCheck, hasTtl() ? at : 0, healthSinceAt,
        null, newRevision);
  }
}
