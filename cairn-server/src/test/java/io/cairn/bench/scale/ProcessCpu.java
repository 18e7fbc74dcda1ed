package io.cairn.bench.scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of processes from {@code /proc}: a reading now, and the share of one core spent between two readings.
 * The benchmark reads its own JVM too, to show that the load generator was not the bottleneck.
 */
final class ProcessCpu {
  /** USER_HZ on Linux: /proc/PID/stat counts in these ticks. */
  private static final double TICKS_PER_SECOND = 100;

  private final long pid;
  private long ticks;
  private long at;

  private ProcessCpu(long pid) {
    this.pid = pid;
    restart();
  }

  static ProcessCpu of(long pid) {
    return new ProcessCpu(pid);
  }

  static ProcessCpu self() {
    return new ProcessCpu(ProcessHandle.current().pid());
  }

  /** Starts a new measurement from now. */
  void restart() {
    ticks = ticks(pid);
    at = System.nanoTime();
  }

  /** CPU since the last {@link #restart}, in % of one core (200 % is both cores of this machine). */
  double percentOfOneCore() {
    double seconds = (System.nanoTime() - at) / 1e9;
    return 100.0 * (ticks(pid) - ticks) / TICKS_PER_SECOND / seconds;
  }

  /** The 1-minute load average, as {@code uptime} prints it. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** utime + stime (fields 14 and 15 of /proc/PID/stat). */
  private static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
