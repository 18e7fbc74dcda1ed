package io.cairn.support;

import java.util.List;

/** Percentiles of measured samples, as the timed tests print and bound them. */
public final class Percentiles {
  private Percentiles() {
  }

  /** Nearest rank: the smallest sample with at least p% of the samples at or below it ({@code sorted} ascending). */
  public static long nearestRank(List<Long> sorted, double p) {
    int rank = (int) Math.ceil(p / 100 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }
}
