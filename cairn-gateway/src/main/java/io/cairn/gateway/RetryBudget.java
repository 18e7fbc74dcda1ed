package io.cairn.gateway;

import java.util.function.LongSupplier;

/**
 * Bounds a route's retries to a share of its requests over a sliding window, so that a failing service gets at most
 * {@code 1 + ratio} times its normal load instead of {@code 1 + retries} times. {@code minPerWindow} retries are
 * always allowed, so that a route too quiet for the ratio to grant even one can still retry. Thread-safe and
 * lock-free.
 */
public final class RetryBudget {
  private static final int BUCKETS = 10;
  // 0.2 * 100 must allow 20, not 19 because the product came out as 19.999...
  private static final double EPSILON = 1e-9;

  private final double ratio;
  private final int minPerWindow;
  private final LongSupplier nowMillis;
  private final SlidingWindow requests;
  private final SlidingWindow retries;

  /**
   * @param ratio        retries per first try allowed, e.g. 0.2
   * @param minPerWindow retries allowed in every window whatever the traffic
   * @param windowMillis the window, kept in ten buckets (so it slides in tenths)
   */
  public RetryBudget(double ratio, int minPerWindow, long windowMillis, LongSupplier nowMillis) {
    if (!(ratio >= 0) || minPerWindow < 0 || windowMillis < BUCKETS) {
      throw new IllegalArgumentException("a retry budget needs ratio >= 0, minPerWindow >= 0 and a window of at least "
          + BUCKETS + " ms");
    }
    this.ratio = ratio;
    this.minPerWindow = minPerWindow;
    this.nowMillis = nowMillis;
    this.requests = new SlidingWindow(BUCKETS, windowMillis / BUCKETS);
    this.retries = new SlidingWindow(BUCKETS, windowMillis / BUCKETS);
  }

  /** A first try went out. */
  public void onRequest() {
    requests.add(nowMillis.getAsLong());
  }

  /** Whether a retry may go out; if so it is counted against the budget. */
  public boolean tryAcquire() {
    long now = nowMillis.getAsLong();
    // Counting before checking, and taking the count back when over, keeps concurrent callers from all passing
    // a check that only one of them fits under.
    int bucket = retries.add(now);
    long allowed = Math.max(minPerWindow, (long) Math.floor(ratio * requests.sum(now) + EPSILON));
    if (retries.sum(now) <= allowed) {
      return true;
    }
    retries.undo(bucket);
    return false;
  }
}
