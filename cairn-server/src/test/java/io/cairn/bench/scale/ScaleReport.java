package io.cairn.bench.scale;

import java.util.ArrayList;
import java.util.List;

/**
 * The figures of a scale run, each beside its target and a verdict, printed as one Markdown table at the end (the
 * phases print their details as they go).
 */
final class ScaleReport {
  private record Row(String measure, String figure, String target, String verdict) {
  }

  private final List<Row> rows = new ArrayList<>();

  /** A figure with a target: met when {@code met}. */
  void judged(String measure, String figure, String target, boolean met) {
    rows.add(new Row(measure, figure, target, met ? "met" : "NOT MET"));
  }

  /** A figure without a target. */
  void info(String measure, String figure) {
    rows.add(new Row(measure, figure, "-", "-"));
  }

  /** A figure whose verdict is a sentence (a load that was not reached, say). */
  void noted(String measure, String figure, String target, String verdict) {
    rows.add(new Row(measure, figure, target, verdict));
  }

  void print() {
    System.out.println();
    System.out.println("| measure | figure | target | verdict |");
    System.out.println("|---|---|---|---|");
    for (Row r : rows) {
      System.out.printf("| %s | %s | %s | %s |%n", r.measure, r.figure, r.target, r.verdict);
    }
  }

  static String bytes(double b) {
    if (b >= 1 << 20) {
      return String.format("%.1f MB", b / (1 << 20));
    }
    if (b >= 1 << 10) {
      return String.format("%.1f KB", b / (1 << 10));
    }
    return String.format("%.0f B", b);
  }

  static String millis(double ms) {
    return ms >= 10_000 ? String.format("%.1f s", ms / 1000) : String.format("%.0f ms", ms);
  }
}
