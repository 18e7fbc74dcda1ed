package io.cairn.bench.zookeeper;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line of {@link ZooKeeperLoad}: {@code --name value} pairs, all given by bench/peers.sh.
 */
record Options(
    String connect,
    int sessions,
    Duration warmup,
    Duration duration,
    int warmupIds,
    Path preload,
    List<Long> serverPids,
    int clockTicks,
    String out) {

  static Options parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + String.join(" ", args));
      }
      values.put(args[i].substring(2), args[i + 1]);
    }
    List<Long> pids = new ArrayList<>();
    for (String pid : required(values, "server-pids").split(",")) {
      pids.add(Long.parseLong(pid.trim()));
    }
    return new Options(
        required(values, "connect"),
        Integer.parseInt(values.getOrDefault("sessions", "32")),
        duration(values.getOrDefault("warmup", "10s")),
        duration(values.getOrDefault("duration", "10s")),
        Integer.parseInt(values.getOrDefault("warmup-ids", "10000")),
        Path.of(required(values, "preload")),
        pids,
        Integer.parseInt(values.getOrDefault("clock-ticks", "100")),
        required(values, "out"));
  }

  private static String required(Map<String, String> values, String name) {
    String value = values.get(name);
    if (value == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return value;
  }

  /** wrk's duration syntax, which the script passes on: 10, 10s, 2m, 1h. */
  static Duration duration(String text) {
    char unit = text.charAt(text.length() - 1);
    if (Character.isDigit(unit)) {
      return Duration.ofSeconds(Long.parseLong(text));
    }
    long amount = Long.parseLong(text.substring(0, text.length() - 1));
    return switch (unit) {
      case 's' -> Duration.ofSeconds(amount);
      case 'm' -> Duration.ofMinutes(amount);
      case 'h' -> Duration.ofHours(amount);
      default -> throw new IllegalArgumentException("unknown duration " + text);
    };
  }
}
