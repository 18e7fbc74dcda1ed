package io.cairn.gateway;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Outlier ejection for one service, as Envoy does it: an instance that fails too many times in a row leaves this
 * node's rotation for a while, before its health check (if it has one) notices, and comes back by the clock. The
 * view is this node's own and never enters the log. The n-th ejection of an instance lasts {@code base * 2^(n-1)},
 * capped at {@code max}; an instance that goes {@code max} without an ejection after its last one ended starts again
 * at {@code base}.
 *
 * <p>Thread-safe. Counting is lock-free; deciding an ejection, which happens only when an instance reaches its
 * threshold, holds this object's lock, so that two event loops ejecting two instances at once cannot together pass
 * {@code maxEjectionPercent}. Failures reported while an instance is ejected (requests that were already in flight)
 * are not counted.
 */
public final class Ejections {
  private final OutlierSettings settings;
  private final LongSupplier nowMillis;
  private final Map<String, Instance> instances = new ConcurrentHashMap<>();

  public Ejections(OutlierSettings settings, LongSupplier nowMillis) {
    this.settings = settings;
    this.nowMillis = nowMillis;
  }

  /** An answer that was not a failure: the runs of failures start again. */
  public void onSuccess(String instanceId) {
    Instance i = instances.get(instanceId);
    if (i != null) {
      // Reads before writes keep a healthy instance's counters from bouncing between the cores of every event loop.
      if (i.serverErrors.get() != 0) {
        i.serverErrors.set(0);
      }
      if (i.connectFailures.get() != 0) {
        i.connectFailures.set(0);
      }
    }
  }

  /**
   * A 5xx answer.
   *
   * @param instancesInService the service's instances in rotation, ejected ones included
   * @return whether this call ejected the instance
   */
  public boolean onServerError(String instanceId, int instancesInService) {
    Instance i = instance(instanceId);
    long now = nowMillis.getAsLong();
    return !i.ejectedAt(now) && i.serverErrors.incrementAndGet() >= settings.consecutive5xx()
        && eject(i, now, instancesInService);
  }

  /** A connection refused, reset or timed out; as {@link #onServerError}. */
  public boolean onConnectFailure(String instanceId, int instancesInService) {
    Instance i = instance(instanceId);
    long now = nowMillis.getAsLong();
    return !i.ejectedAt(now) && i.connectFailures.incrementAndGet() >= settings.consecutiveConnectFailures()
        && eject(i, now, instancesInService);
  }

  public boolean isEjected(String instanceId) {
    Instance i = instances.get(instanceId);
    return i != null && i.ejectedAt(nowMillis.getAsLong());
  }

  /** When the instance's ejection ends, epoch ms; 0 when it is not ejected. */
  public long ejectedUntil(String instanceId) {
    Instance i = instances.get(instanceId);
    return i != null && i.ejectedAt(nowMillis.getAsLong()) ? i.ejectedUntil : 0;
  }

  public int ejectedCount() {
    return ejectedCount(nowMillis.getAsLong());
  }

  /** Forgets instances no longer registered, so that the map follows the service and a returning id starts clean. */
  public void retain(Set<String> instanceIds) {
    instances.keySet().retainAll(instanceIds);
  }

  private Instance instance(String instanceId) {
    Instance i = instances.get(instanceId);
    return i != null ? i : instances.computeIfAbsent(instanceId, id -> new Instance());
  }

  private synchronized boolean eject(Instance i, long now, int instancesInService) {
    if (i.ejectedAt(now)) {
      return false;
    }
    // When the percent allows none (one instance at 50 %), none goes: a lone instance that fails is still better
    // than answering 503 without trying it. The counter stays at its threshold, so the next failure asks again.
    long allowed = (long) instancesInService * settings.maxEjectionPercent() / 100;
    if (ejectedCount(now) + 1 > allowed) {
      return false;
    }
    if (i.ejections > 0 && now - i.ejectedUntil >= settings.maxEjectionMillis()) {
      i.ejections = 0;
    }
    i.ejections++;
    i.serverErrors.set(0);
    i.connectFailures.set(0);
    i.ejectedUntil = now + duration(i.ejections);
    return true;
  }

  private long duration(int ejection) {
    long base = settings.baseEjectionMillis();
    int doublings = ejection - 1;
    // base << doublings must not overflow before it is capped
    if (doublings >= Long.numberOfLeadingZeros(base) - 1) {
      return settings.maxEjectionMillis();
    }
    return Math.min(settings.maxEjectionMillis(), base << doublings);
  }

  private int ejectedCount(long now) {
    int count = 0;
    for (Instance i : instances.values()) {
      if (i.ejectedAt(now)) {
        count++;
      }
    }
    return count;
  }

  private static final class Instance {
    final AtomicInteger serverErrors = new AtomicInteger();
    final AtomicInteger connectFailures = new AtomicInteger();
    // Written under the Ejections' lock, read without it.
    volatile long ejectedUntil;
    int ejections;

    boolean ejectedAt(long now) {
      return now < ejectedUntil;
    }
  }
}
