package io.cairn.bench.zookeeper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * ZooKeeper's run in bench/peers.sh, in the order and with the settings of the wrk runs against Cairn and etcd:
 * preload 10,000 instances (1,000 names x 10, the script's documents), discovery (a warm-up, then the measured run),
 * registrations (a warm-up re-registering a bounded set of ids, then the measured run of distinct ids), then the count
 * of stored measured instances. Writes, like the script does for the other peers, {@code <out>-disc.sum} and
 * {@code <out>-reg.sum} ("rate p50_ms p99_ms errors answers server_cpu_us_per_answer server_cores") and
 * {@code <out>-stored.txt} ("stored answered"). One process for all of it: the instances are ephemeral znodes, which
 * live as long as the sessions that made them.
 */
public final class ZooKeeperLoad {
  private static final Duration NO_LIMIT = Duration.ofMinutes(10);

  private ZooKeeperLoad() {
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    ServerCpu servers = new ServerCpu(options.serverPids(), options.clockTicks());
    ServerCpu self = new ServerCpu(List.of(ProcessHandle.current().pid()), options.clockTicks());
    try (Sessions sessions = new Sessions(options.connect(), options.sessions())) {
      int n = sessions.size();
      Registrations registrations = new Registrations(sessions);
      Discovery discovery = new Discovery(sessions);

      List<Documents.Instance> instances = Documents.preload(options.preload());
      ClosedLoop.Result preload = ClosedLoop.run(n, NO_LIMIT, registrations.preload(instances));
      check(preload.errors() == 0 && preload.answers() == instances.size(),
          "preload: " + preload.answers() + " answers, " + preload.errors() + " errors for " + instances.size());
      long svc42 = sessions.get(0).getChildren().forPath(Registrations.BASE + "/svc-42").size();
      check(svc42 == 10, "expected 10 instances of svc-42, found " + svc42);
      log("preloaded %d instances in %.1f s", instances.size(), preload.elapsed().toMillis() / 1000.0);

      if (!options.warmup().isZero()) {
        ClosedLoop.run(n, options.warmup(), discovery.query("svc", 1000));
      }
      measured(options, servers, self, "disc", n, discovery.query("svc", 1000));

      for (String prefix : List.of("warm", "peer")) {
        ClosedLoop.Result parents = ClosedLoop.run(n, NO_LIMIT, registrations.parents(prefix));
        check(parents.errors() == 0, "creating the parents of " + prefix + "-*: " + parents.errors() + " errors");
      }
      if (!options.warmup().isZero()) {
        int idsPerSession = (options.warmupIds() + n - 1) / n;
        ClosedLoop.Result warm = ClosedLoop.run(n, options.warmup(), registrations.rereg(new Documents("warm"),
            idsPerSession));
        log("registration warm-up: %d re-registrations, %d errors", warm.answers(), warm.errors());
      }
      ClosedLoop.Result reg = measured(options, servers, self, "reg", n,
          registrations.distinct(new Documents("peer")));

      long stored = registrations.count("peer");
      Files.writeString(Path.of(options.out() + "-stored.txt"), stored + " " + (reg.answers() - reg.errors()) + "\n");
    }
    check(servers.allAlive(), "a ZooKeeper server died during the run");
  }

  private static ClosedLoop.Result measured(Options options, ServerCpu servers, ServerCpu self, String label,
                                            int sessions, ClosedLoop.Operation operation)
      throws InterruptedException, IOException {
    long cpuBefore = servers.micros();
    long selfBefore = self.micros();
    ClosedLoop.Result result = ClosedLoop.run(sessions, options.duration(), operation);
    long cpu = servers.micros() - cpuBefore;
    long selfCpu = self.micros() - selfBefore;
    double seconds = options.duration().toMillis() / 1000.0;
    String line = String.format(Locale.ROOT, "%.0f %.2f %.2f %d %d %d %.2f%n",
        result.perSecond(),
        result.latencyMicros().getValueAtPercentile(50) / 1000.0,
        result.latencyMicros().getValueAtPercentile(99) / 1000.0,
        result.errors(),
        result.answers(),
        result.answers() > 0 ? cpu / result.answers() : 0,
        cpu / 1e6 / seconds);
    Files.writeString(Path.of(options.out() + "-" + label + ".sum"), line);
    log("%s: %s(load generator: %.2f cores)", label, line.replace('\n', ' '), selfCpu / 1e6 / seconds);
    return result;
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  private static void log(String format, Object... args) {
    System.out.println("zookeeper-load: " + String.format(Locale.ROOT, format, args));
  }
}
