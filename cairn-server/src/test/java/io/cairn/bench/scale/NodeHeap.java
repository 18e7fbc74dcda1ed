package io.cairn.bench.scale;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's live heap, as {@code jmap -histo:live} gives it (the same as run-bench.sh's heap phase): it forces a full
 * collection and counts what survives, in total and by class. Two histograms taken around a change say what the
 * change costs, and in which classes.
 */
final class NodeHeap {
  private NodeHeap() {
  }

  /** Live bytes by class name, and their total. */
  record Histogram(long total, Map<String, Long> byClass) {
    /** The classes that grew most from {@code before} to this one, largest first, as "bytes per unit" lines. */
    List<String> topGrowth(Histogram before, long units, int count) {
      List<Map.Entry<String, Long>> grown = new ArrayList<>();
      for (Map.Entry<String, Long> e : byClass.entrySet()) {
        long delta = e.getValue() - before.byClass.getOrDefault(e.getKey(), 0L);
        if (delta > 0) {
          grown.add(Map.entry(e.getKey(), delta));
        }
      }
      grown.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
      List<String> lines = new ArrayList<>();
      for (Map.Entry<String, Long> e : grown.subList(0, Math.min(count, grown.size()))) {
        lines.add(String.format("%8.0f B  %s", (double) e.getValue() / units, e.getKey()));
      }
      return lines;
    }
  }

  /** Runs {@code jmap -histo:live PID}: a full GC in the node, then its histogram. */
  static Histogram live(long pid) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jmap", "-histo:live", Long.toString(pid)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("jmap -histo:live " + pid + " failed:\n" + out);
    }
    Map<String, Long> byClass = new HashMap<>();
    long total = -1;
    for (String line : out.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 3 && f[0].equals("Total")) {
        total = Long.parseLong(f[2]);
      } else if (f.length >= 4 && f[0].endsWith(":")) {
        // "  1:   123456   7890123  [B (java.base@17)": rank, instances, bytes, class (module)
        byClass.merge(f[3], Long.parseLong(f[2]), Long::sum);
      }
    }
    if (total < 0) {
      throw new IllegalStateException("no total in jmap's histogram of " + pid + ":\n" + out);
    }
    return new Histogram(total, byClass);
  }
}
