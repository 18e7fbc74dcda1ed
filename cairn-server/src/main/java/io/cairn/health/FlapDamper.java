package io.cairn.health;

import io.cairn.model.Health;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Holds an instance whose health keeps changing at {@code degraded}: more than {@code maxTransitions} changes within
 * {@code window} and it is flapping; it stays held until its checks have pointed the same way for one whole
 * window, then it gets the health they point to.
 */
final class FlapDamper {
  static final String REASON = "flapping";

  private final int maxTransitions;
  private final long windowMillis;
  private final Deque<Long> transitions = new ArrayDeque<>();
  private boolean flapping;
  private Health lastTarget;
  private long stableSince;

  FlapDamper(int maxTransitions, long windowMillis) {
    this.maxTransitions = maxTransitions;
    this.windowMillis = windowMillis;
  }

  boolean flapping() {
    return flapping;
  }

  /**
   * The checks point to {@code target} at {@code now}; the registry has {@code current}. Returns the health to
   * record, {@link Health#DEGRADED} while flapping, or null when nothing should change. A null target (thresholds
   * not reached yet) still counts as a run for the stability window.
   */
  Health decide(Health target, Health current, long now) {
    if (flapping) {
      if (target != null && target != lastTarget) {
        lastTarget = target;
        stableSince = now;
      }
      if (now - stableSince < windowMillis || lastTarget == null) {
        return null;
      }
      flapping = false;
      transitions.clear();
      return lastTarget;
    }
    if (target == null || target == current) {
      return null;
    }
    transitions.addLast(now);
    while (!transitions.isEmpty() && now - transitions.peekFirst() > windowMillis) {
      transitions.removeFirst();
    }
    if (transitions.size() > maxTransitions) {
      flapping = true;
      lastTarget = target;
      stableSince = now;
      return Health.DEGRADED;
    }
    return target;
  }
}
