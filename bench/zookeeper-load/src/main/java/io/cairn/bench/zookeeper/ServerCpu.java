package io.cairn.bench.zookeeper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time of processes from /proc/PID/stat (user + system, all threads), read the way bench/peers.sh reads Cairn's and
 * etcd's, so that CPU per request means the same for every peer.
 */
final class ServerCpu {
  private final List<Long> pids;
  private final int clockTicks;

  ServerCpu(List<Long> pids, int clockTicks) {
    this.pids = pids;
    this.clockTicks = clockTicks;
  }

  /** CPU time of all the processes so far, in microseconds. A process that is gone counts as 0. */
  long micros() {
    long ticks = 0;
    for (long pid : pids) {
      ticks += ticks(Path.of("/proc", Long.toString(pid), "stat"));
    }
    return ticks * 1_000_000L / clockTicks;
  }

  /** Whether every process still runs. */
  boolean allAlive() {
    return pids.stream().allMatch(pid -> Files.exists(Path.of("/proc", Long.toString(pid))));
  }

  private static long ticks(Path stat) {
    String text;
    try {
      text = Files.readString(stat);
    } catch (IOException e) {
      return 0;
    }
    // The command name (in parentheses) may hold spaces: count the fields after its closing parenthesis, where the
    // state is the first and utime, stime the 12th and 13th.
    String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
