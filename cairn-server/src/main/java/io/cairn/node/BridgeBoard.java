package io.cairn.node;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest status each bridge published, as this node heard it, and when it heard it: written by the bridge
 * verticles (each of its own bridge), read by the API. A bridge nobody has reported for a few seconds runs nowhere:
 * its node went, or lost its turn and no other took it yet.
 */
public final class BridgeBoard {
  /** A status older than this (by this node's clock) no longer says the bridge runs. */
  public static final long STALE_MILLIS = 3_000;

  public record Heard(BridgeStatus status, long at) {
    public boolean current(long now) {
      return now - at < STALE_MILLIS;
    }
  }

  private final Map<String, Heard> latest = new ConcurrentHashMap<>();

  /** A status heard now; a report from an older term than the one heard last is a former runner's, and ignored. */
  public void heard(BridgeStatus status) {
    long now = System.currentTimeMillis();
    latest.compute(status.id(), (id, before) -> before != null && before.current(now)
        && before.status().term() > status.term() ? before : new Heard(status, now));
  }

  /** The last status heard of a bridge, or null. */
  public Heard of(String id) {
    return latest.get(id);
  }
}
