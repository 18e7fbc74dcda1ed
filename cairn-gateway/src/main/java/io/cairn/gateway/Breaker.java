package io.cairn.gateway;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service's circuit breaker on concurrency: requests in flight to it from this node. Over the limit a request is
 * refused at once (503, {@code X-Cairn-Overloaded}), not queued behind a slow service until it times out.
 * Connections and pending requests are bounded by the HTTP client's pool (see {@link Forwarder}).
 */
public final class Breaker {
  private final AtomicInteger active = new AtomicInteger();
  private volatile boolean refusedLast;

  /** Takes a place when fewer than {@code limit} are in flight; give it back with {@link #release}. */
  public boolean tryAcquire(int limit) {
    while (true) {
      int now = active.get();
      if (now >= limit) {
        refusedLast = true;
        return false;
      }
      if (active.compareAndSet(now, now + 1)) {
        refusedLast = false;
        return true;
      }
    }
  }

  public void release() {
    active.decrementAndGet();
  }

  public int active() {
    return active.get();
  }

  /** Whether the last request it saw was refused: the breaker is open until one gets through. */
  public boolean open() {
    return refusedLast;
  }
}
