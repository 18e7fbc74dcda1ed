package io.cairn.health;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What this node's health checking did, for /v1/stats, /metrics and the benchmark: checks owned, runs, runs
 * skipped by back-off, and how late scheduled runs started against their schedule.
 */
public final class CheckStats {
  final AtomicInteger owned = new AtomicInteger();
  final LongAdder runs = new LongAdder();
  final LongAdder skipped = new LongAdder();
  /** Lateness in microseconds, recorded on the health-check verticle's loop, read from any thread. */
  private final Recorder lateness = new Recorder(3);
  private final Histogram latenessTotal = new Histogram(3);

  void lateBy(long millis) {
    lateness.recordValue(Math.max(0, millis) * 1000);
  }

  public int owned() {
    return owned.get();
  }

  public long runs() {
    return runs.sum();
  }

  /** How many checks this node runs and how they ran, as /v1/stats shows them. */
  public record Figures(int owned, long runs, long skippedByBackoff, double latenessP50Millis,
                        double latenessP99Millis, double latenessMaxMillis, long scheduledRuns) {
  }

  /** The figures now; the lateness is that of every scheduled run since the node started. */
  public Figures figures() {
    synchronized (latenessTotal) {
      latenessTotal.add(lateness.getIntervalHistogram());
      return new Figures(owned.get(), runs.sum(), skipped.sum(), latenessTotal.getValueAtPercentile(50) / 1000.0,
          latenessTotal.getValueAtPercentile(99) / 1000.0, latenessTotal.getMaxValue() / 1000.0,
          latenessTotal.getTotalCount());
    }
  }
}
