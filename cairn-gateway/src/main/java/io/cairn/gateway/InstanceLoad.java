package io.cairn.gateway;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One instance's traffic through this node, for balancing ({@link #inFlight}) and for the upstreams view and the
 * topology page (the rest). Thread-safe and lock-free; the recent figures cover the last 10 s in 1 s buckets.
 * Recent requests are counted as they finish, so that the error rate divides errors by the same requests, and a
 * long poll counts once it is over (it shows in {@link #inFlight} meanwhile).
 */
public final class InstanceLoad {
  private static final int BUCKETS = 10;
  private static final long BUCKET_MILLIS = 1_000;

  private final LongSupplier nowMillis;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder requests = new LongAdder();
  private final SlidingWindow finished = new SlidingWindow(BUCKETS, BUCKET_MILLIS);
  private final SlidingWindow errors = new SlidingWindow(BUCKETS, BUCKET_MILLIS);

  public InstanceLoad(LongSupplier nowMillis) {
    this.nowMillis = nowMillis;
  }

  /** A request to the instance began. */
  public void started() {
    inFlight.incrementAndGet();
    requests.increment();
  }

  /** A request that {@link #started} ended; {@code error}: a 5xx answer or a failed connection. */
  public void finished(boolean error) {
    inFlight.decrementAndGet();
    long now = nowMillis.getAsLong();
    finished.add(now);
    if (error) {
      errors.add(now);
    }
  }

  public int inFlight() {
    return inFlight.get();
  }

  /** Requests started since this object was made. */
  public long requests() {
    return requests.sum();
  }

  /** Errors per finished request over the last 10 s; 0 without requests. */
  public double recentErrorRate() {
    long now = nowMillis.getAsLong();
    long total = finished.sum(now);
    // errors are read after requests, so a request finishing in between could make the ratio pass 1
    return total == 0 ? 0 : Math.min(1.0, (double) errors.sum(now) / total);
  }

  /** Finished requests per second over the last 10 s. */
  public double recentRequestsPerSecond() {
    long now = nowMillis.getAsLong();
    return finished.sum(now) * 1000.0 / finished.coveredMillis(now);
  }
}
