package io.cairn.bench.scale;

import io.cairn.bench.scale.Propagation.Family;
import io.cairn.bench.scale.Propagation.Transport;
import io.cairn.bench.scale.WatchFleet.Target;
import io.cairn.support.JarCluster;
import io.vertx.core.Vertx;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Part 2 of the scale benchmark: watches (SSE, WebSocket, gRPC) and blocking queries (Cairn's REST and Consul's)
 * spread over the three nodes, each following one of the live service names of {@link #PER_NAME} instances; their
 * memory on the nodes (live heap before and after opening each kind, while idle); then writes at a steady rate
 * through the leader, round the names, and the time from each write's answer to the last watcher, and to the last
 * blocking query, of its name.
 *
 * <p>There is a live name per {@link #WATCHES_PER_NAME} watches (1,000 names for 20,000 watches, fewer in a smaller
 * run, so that a write reaches as many watchers whatever the size). The live names are small (10 instances) so that
 * a blocking query's answer, sent again after every change of its name, stays small: with the bulk names of part 1
 * (500 instances each at full size) 5,000 blocking queries answered once a second would move about 1 GB/s of JSON,
 * a test of rendering rather than of propagation.
 */
final class WatchPhase {
  static final int WATCHES_PER_NAME = 20;
  static final int MAX_NAMES = 1000;
  static final int PER_NAME = 10;
  private static final int TOP_CLASSES = 10;
  private static final long SETTLE_MILLIS = 2000;
  private static final long STEADY_MILLIS = 5000;
  private static final long STEADY_BYTES = 1 << 20;
  private static final int STEADY_TRIES = 6;

  private final JarCluster cluster;
  private final List<JarCluster.Node> nodes;
  private final SnapshotFiles snapshots;
  private final ScaleReport report;
  private final int names;
  private final Propagation propagation;
  private final Vertx vertx = Vertx.vertx();

  WatchPhase(JarCluster cluster, List<JarCluster.Node> nodes, SnapshotFiles snapshots, ScaleReport report,
             int watches) {
    this.cluster = cluster;
    this.nodes = List.copyOf(nodes);
    this.snapshots = snapshots;
    this.report = report;
    this.names = Math.max(1, Math.min(MAX_NAMES, watches / WATCHES_PER_NAME));
    this.propagation = new Propagation(names);
  }

  /** Runs it all; returns the instances the registry holds after registering the live ones. */
  long run(long instancesBefore, int watches, int blocking, int writesPerSecond, int warmupSeconds, int seconds)
      throws Exception {
    JarCluster.Node leader = cluster.leader();
    int live = names * PER_NAME;
    long revision = BulkLoad.register(leader.base(), live, 2, n -> PacedWriter.liveInstance(n, names, 0));
    long instances = instancesBefore + live;
    ClusterProbe.awaitApplied(nodes, revision, instances, Duration.ofMinutes(2));
    System.out.printf("%n%,d watches and %,d blocking queries over %d live names (%d instances each, registered now: "
        + "%,d in all), spread over %d nodes%n", watches, blocking, names, PER_NAME, instances, nodes.size());
    // A snapshot follows within snapshot.interval: wait for it, so that writing it (and what Raft lets go of
    // after it) happens before the baseline of the streams' memory, not while they are counted.
    System.out.println("waiting for a snapshot that covers the live instances on every node");
    List<String> without = snapshots.awaitAll(nodes.stream().map(n -> n.id).toList(), revision,
        Duration.ofMinutes(3));
    if (!without.isEmpty()) {
      System.out.println("  no snapshot within 3 min on " + without + ": their baseline may move");
    }

    List<Target> targets = new ArrayList<>();
    for (JarCluster.Node n : nodes) {
      URI uri = URI.create(n.base());
      targets.add(new Target(targets.size(), uri.getHost(), uri.getPort()));
    }
    warmUp(targets);
    WatchFleet watchFleet = new WatchFleet(vertx, targets, propagation, names, watches);
    BlockingFleet blockingFleet = new BlockingFleet(vertx, targets, propagation, names, blocking);
    try {
      measureMemory(watchFleet, blockingFleet, watches, blocking);
      measurePropagation(leader, watchFleet, blockingFleet, writesPerSecond, warmupSeconds, seconds);
    } finally {
      watchFleet.closing();
      blockingFleet.stop();
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
    return instances;
  }

  /**
   * Opens a few streams and queries of every kind on every node and closes them again: the code they run is then
   * loaded and compiled, so that its one-off memory (classes, compiled code's data) does not count as theirs.
   */
  private void warmUp(List<Target> targets) throws Exception {
    Vertx warm = Vertx.vertx();
    try {
      Propagation unmeasured = new Propagation(names);
      int perKind = 3 * targets.size();
      WatchFleet watches = new WatchFleet(warm, targets, unmeasured, names, 3 * perKind);
      BlockingFleet queries = new BlockingFleet(warm, targets, unmeasured, names, 2 * perKind);
      for (Transport t : Transport.values()) {
        if (t.family == Family.WATCH) {
          watches.open(t, i -> ClusterProbe.revision(nodes.get(i)));
        } else {
          queries.open(t);
        }
      }
      watches.closing();
      queries.stop();
    } finally {
      warm.close().toCompletionStage().toCompletableFuture().join();
    }
    ClusterProbe.await(Duration.ofSeconds(30), "the warm-up's streams closed on every node", () -> nodes.stream()
        .allMatch(n -> ClusterProbe.watchers(n, "sse") + ClusterProbe.watchers(n, "websocket")
            + ClusterProbe.watchers(n, "grpc") == 0));
  }

  /** Opens each kind in turn, a live heap of every node before and after it (idle: nothing is written meanwhile). */
  private void measureMemory(WatchFleet watchFleet, BlockingFleet blockingFleet, int watches, int blocking)
      throws Exception {
    NodeHeap.Histogram[] first = steadyHistograms();
    NodeHeap.Histogram[] previous = first;
    NodeHeap.Histogram[] afterWatches = first;
    Map<Transport, long[]> grown = new EnumMap<>(Transport.class);
    for (Transport t : Transport.values()) {
      long start = System.nanoTime();
      Lanes.Outcome outcome = t.family == Family.WATCH
          ? watchFleet.open(t, i -> ClusterProbe.revision(nodes.get(i)))
          : blockingFleet.open(t);
      System.out.printf("  %s: opened in %.1f s, %d failed%s%n", t, (System.nanoTime() - start) / 1e9,
          outcome.failed(), outcome.firstFailure() == null ? "" : " (first: " + outcome.firstFailure() + ")");
      if (t.family == Family.WATCH) {
        String kind = t == Transport.SSE ? "sse" : t == Transport.WEBSOCKET ? "websocket" : "grpc";
        ClusterProbe.await(Duration.ofSeconds(60), "every " + kind + " watch counted by the nodes",
            () -> nodes.stream().allMatch(n -> ClusterProbe.watchers(n, kind) >= opened(watchFleet, t, n)));
      }
      Thread.sleep(SETTLE_MILLIS);
      NodeHeap.Histogram[] now = histograms();
      long[] delta = new long[nodes.size()];
      for (int i = 0; i < nodes.size(); i++) {
        delta[i] = now[i].total() - previous[i].total();
      }
      grown.put(t, delta);
      for (int i = 0; i < nodes.size(); i++) {
        if (delta[i] < 0) {
          // Nothing else runs meanwhile, but the node may still let go of something it held (Raft's cache of log
          // entries): the figure of this kind on this node is then too low, and the run should be taken again.
          System.out.printf("  note: %s's live heap shrank by %s while %s streams opened: that figure is not "
              + "theirs alone%n", nodes.get(i).id, ScaleReport.bytes(-delta[i]), t);
        }
      }
      previous = now;
      if (t == Transport.GRPC) {
        afterWatches = now;
        printTop("per watch", first[0], now[0], watchFleet.opened(Transport.SSE, 0)
            + watchFleet.opened(Transport.WEBSOCKET, 0) + watchFleet.opened(Transport.GRPC, 0));
      } else if (t == Transport.CONSUL) {
        printTop("per blocking query", afterWatches[0], now[0], blockingFleet.opened(Transport.REST, 0)
            + blockingFleet.opened(Transport.CONSUL, 0));
      }
    }

    double worstWatch = 0;
    StringBuilder perNode = new StringBuilder();
    StringBuilder blockingPerNode = new StringBuilder();
    for (int i = 0; i < nodes.size(); i++) {
      JarCluster.Node n = nodes.get(i);
      long watchBytes = 0;
      int watchCount = 0;
      StringBuilder line = new StringBuilder();
      for (Transport t : Transport.values()) {
        int count = t.family == Family.WATCH ? watchFleet.opened(t, i) : blockingFleet.opened(t, i);
        long bytes = grown.get(t)[i];
        line.append(String.format(" %s %,d: %s each;", t, count, ScaleReport.bytes(count == 0 ? 0 : (double) bytes / count)));
        if (t.family == Family.WATCH) {
          watchBytes += bytes;
          watchCount += count;
        }
      }
      double perWatch = watchCount == 0 ? 0 : (double) watchBytes / watchCount;
      worstWatch = Math.max(worstWatch, perWatch);
      int blockingCount = blockingFleet.opened(Transport.REST, i) + blockingFleet.opened(Transport.CONSUL, i);
      double perBlocking = blockingCount == 0 ? 0
          : (double) (grown.get(Transport.REST)[i] + grown.get(Transport.CONSUL)[i]) / blockingCount;
      System.out.printf("  %s live heap by kind:%s watches %s each, blocking queries %s each%n", n.id, line,
          ScaleReport.bytes(perWatch), ScaleReport.bytes(perBlocking));
      perNode.append(i == 0 ? "" : ", ").append(n.id).append(' ').append(ScaleReport.bytes(perWatch));
      blockingPerNode.append(i == 0 ? "" : ", ").append(n.id).append(' ').append(ScaleReport.bytes(perBlocking));
    }
    report.judged(String.format("live heap per idle watch (%,d: SSE, WebSocket, gRPC; per node)", watches),
        perNode.toString(), "<= 20 KB", worstWatch <= 20 * 1024);
    report.info(String.format("live heap per waiting blocking query (%,d: REST, Consul; per node)", blocking),
        blockingPerNode.toString());
  }

  private long opened(WatchFleet fleet, Transport t, JarCluster.Node n) {
    return fleet.opened(t, nodes.indexOf(n));
  }

  /** The classes that grew most on the first node, per stream of the kinds just opened. */
  private void printTop(String what, NodeHeap.Histogram before, NodeHeap.Histogram after, int count) {
    System.out.printf("  where it goes on %s, bytes %s by class:%n", nodes.get(0).id, what);
    after.topGrowth(before, Math.max(1, count), TOP_CLASSES).forEach(l -> System.out.println("    " + l));
  }

  private void measurePropagation(JarCluster.Node leader, WatchFleet watchFleet, BlockingFleet blockingFleet,
                                  int writesPerSecond, int warmupSeconds, int seconds) throws Exception {
    URI uri = URI.create(leader.base());
    PacedWriter writer = new PacedWriter(uri.getHost(), uri.getPort(), names, PER_NAME, propagation);
    System.out.printf("writing %,d/s through the leader %s: %d s of warm-up, then %d s measured%n", writesPerSecond,
        leader.id, warmupSeconds, seconds);
    try {
      writer.start(writesPerSecond);
      Thread.sleep(warmupSeconds * 1000L);
      List<ProcessCpu> cpu = new ArrayList<>();
      for (JarCluster.Node n : nodes) {
        cpu.add(ProcessCpu.of(n.pid()));
      }
      ProcessCpu self = ProcessCpu.self();
      writer.measure();
      long start = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      writer.stop();
      double elapsed = (System.nanoTime() - start) / 1e9;
      StringBuilder nodeCpu = new StringBuilder();
      for (int i = 0; i < nodes.size(); i++) {
        nodeCpu.append(String.format("%s%s %.0f%%", i == 0 ? "" : ", ", nodes.get(i).id, cpu.get(i).percentOfOneCore()));
      }
      double benchCpu = self.percentOfOneCore();
      String load = ProcessCpu.loadAverage();
      // What is still on its way gets until the give-up time.
      long waitUntil = System.nanoTime() + Propagation.GIVE_UP_NANOS + 1_000_000_000L;
      while (propagation.expire(System.nanoTime()) > 0 && System.nanoTime() < waitUntil) {
        Thread.sleep(200);
      }
      propagation.expire(Long.MAX_VALUE / 2);
      double rate = writer.answered() / elapsed;
      Histogram w = writer.latency();
      System.out.printf("  writes answered: %,d (%.0f/s), failed %d, not sent (writer behind) %d; write answer p50 %.2f "
              + "ms p99 %.2f ms%n", writer.answered(), rate, writer.failed(), writer.skipped(),
          w.getValueAtPercentile(50) / 1000.0, w.getValueAtPercentile(99) / 1000.0);
      System.out.printf("  events received: SSE %,d, WebSocket %,d, gRPC %,d; blocking answers: REST %,d, Consul %,d;"
              + " streams dropped %d; blocking requests failed %d%s%n", watchFleet.events(Transport.SSE),
          watchFleet.events(Transport.WEBSOCKET), watchFleet.events(Transport.GRPC),
          blockingFleet.answers(Transport.REST), blockingFleet.answers(Transport.CONSUL), watchFleet.dropped(),
          blockingFleet.failures(), blockingFleet.firstFailure() == null ? "" : " (first: "
              + blockingFleet.firstFailure() + ")");
      System.out.printf("  CPU over the measured %.0f s, in %% of one core (2 cores = 200%%): nodes %s; this "
          + "benchmark JVM %.0f%%; load average %s%n", elapsed, nodeCpu, benchCpu, load);
      for (Transport t : Transport.values()) {
        Histogram h = propagation.transport(t);
        System.out.printf("  propagation to the last %s client of each write: n=%d p50 %.2f ms p99 %.2f ms max %.2f "
            + "ms%n", t, h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
            h.getMaxValue() / 1000.0);
      }
      report.noted(String.format("write load through the leader (PUT of a live instance, %d in flight at most)",
              PacedWriter.MAX_IN_FLIGHT), String.format("%.0f/s, answer p50 %.1f ms, p99 %.1f ms", rate,
              w.getValueAtPercentile(50) / 1000.0, w.getValueAtPercentile(99) / 1000.0),
          writesPerSecond + "/s", rate >= 0.95 * writesPerSecond ? "reached" : "NOT REACHED (figures below are at a lower load)");
      judge(Family.WATCH, "watches", "<= 50 ms");
      judge(Family.BLOCKING, "blocking queries", "<= 50 ms (the watches' target)");
      report.info("CPU during the measured writes (% of one core; 200 % = the machine)", "nodes " + nodeCpu
          + String.format("; benchmark JVM %.0f%%; load average %s", benchCpu, load));
    } finally {
      writer.close();
    }
  }

  private void judge(Family f, String who, String target) {
    Histogram h = propagation.family(f);
    double p50 = h.getValueAtPercentile(50) / 1000.0;
    double p99 = h.getValueAtPercentile(99) / 1000.0;
    long lost = propagation.undelivered(f);
    String figure = String.format("p50 %.1f ms, p99 %.1f ms (n=%,d%s)", p50, p99, h.getTotalCount(),
        lost == 0 ? "" : String.format(", %,d not delivered within 10 s", lost));
    report.judged("propagation, write answered -> the last of its name's " + who, figure, "p99 " + target,
        h.getTotalCount() > 0 && lost == 0 && p99 <= 50);
  }

  /**
   * The baseline: live heaps taken until no node's moved by more than {@link #STEADY_BYTES} in
   * {@link #STEADY_MILLIS} (at most {@link #STEADY_TRIES} times). A node lets go of Raft log entries some seconds
   * after a snapshot (the log before it is purged; 20 MB at once was seen at 500,000 instances): that must happen
   * before the baseline, not while the streams are counted.
   */
  private NodeHeap.Histogram[] steadyHistograms() throws Exception {
    NodeHeap.Histogram[] before = histograms();
    for (int attempt = 1; attempt < STEADY_TRIES; attempt++) {
      Thread.sleep(STEADY_MILLIS);
      NodeHeap.Histogram[] now = histograms();
      long moved = 0;
      for (int i = 0; i < nodes.size(); i++) {
        moved = Math.max(moved, Math.abs(now[i].total() - before[i].total()));
      }
      before = now;
      if (moved <= STEADY_BYTES) {
        break;
      }
      System.out.printf("  baseline: a node's live heap moved by %s in %d s, measured again%n",
          ScaleReport.bytes(moved), STEADY_MILLIS / 1000);
    }
    return before;
  }

  private NodeHeap.Histogram[] histograms() throws Exception {
    NodeHeap.Histogram[] h = new NodeHeap.Histogram[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      h[i] = NodeHeap.live(nodes.get(i).pid());
    }
    return h;
  }
}
