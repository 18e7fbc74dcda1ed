package io.cairn.bench.scale;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;

/**
 * Part 1 of the scale benchmark, on the three nodes: the registry grown to {@code instances} in bulk, then what it
 * costs (live heap per instance on each node, the snapshot's size and writing time), how fast a node comes back
 * from a cold restart, and (last, see {@link #newNodeCatchUp}) how fast a new node catches up.
 */
final class InstancePhase {
  private static final Duration LONG = Duration.ofMinutes(5);
  private static final int TOP_CLASSES = 10;

  private final JarCluster cluster;
  private final List<JarCluster.Node> nodes;
  private final SnapshotFiles snapshots;
  private final ScaleReport report;

  InstancePhase(JarCluster cluster, List<JarCluster.Node> nodes, SnapshotFiles snapshots, ScaleReport report) {
    this.cluster = cluster;
    this.nodes = List.copyOf(nodes);
    this.snapshots = snapshots;
    this.report = report;
  }

  /** Registers {@code instances} of the bench's shape and measures heap and snapshot; returns the loaded revision. */
  long load(int instances) throws Exception {
    NodeHeap.Histogram[] before = histograms();
    JarCluster.Node leader = cluster.leader();
    System.out.printf("%nloading %,d instances in bulk through the leader %s (%d per request, 3 requests at once)%n",
        instances, leader.id, BulkLoad.PER_REQUEST);
    long start = System.nanoTime();
    long revision = BulkLoad.register(leader.base(), instances, 3, BulkLoad::benchInstance);
    double seconds = (System.nanoTime() - start) / 1e9;
    ClusterProbe.awaitApplied(nodes, revision, instances, LONG);
    System.out.printf("loaded: %,d instances in %.1f s (%,.0f/s), revision %d, on every node after %.1f s%n",
        instances, seconds, instances / seconds, revision, (System.nanoTime() - start) / 1e9);
    report.info("bulk registration, " + String.format("%,d", instances) + " instances through the leader",
        String.format("%,.0f instances/s", instances / seconds));

    System.out.println("waiting for each node's first snapshot that holds them (snapshot.interval, 60 s by default)");
    List<String> without = snapshots.awaitAll(nodes.stream().map(n -> n.id).toList(), revision,
        Duration.ofMinutes(3));
    long worstWrite = 0;
    long size = 0;
    for (JarCluster.Node n : nodes) {
      SnapshotFiles.Written w = snapshots.firstAtOrAfter(n.id, revision);
      if (w == null) {
        SnapshotFiles.Written newest = snapshots.newest(n.id);
        System.out.printf("  %s: no snapshot at revision %d or later within 3 min (its newest: %s)%n", n.id, revision,
            newest == null ? "none" : "revision " + newest.revision());
        continue;
      }
      System.out.printf("  %s: snapshot at revision %d, %s on disk, written in %s%n", n.id, w.revision(),
          ScaleReport.bytes(w.bytes()), w.millis() < 0 ? "under 10 ms" : w.millis() + " ms");
      worstWrite = Math.max(worstWrite, w.millis());
      size = Math.max(size, w.bytes());
    }
    if (without.size() == nodes.size()) {
      throw new IllegalStateException("no node wrote a snapshot of the " + instances + " instances");
    }
    report.info("snapshot of " + String.format("%,d", instances) + " instances: size on disk (gzip)",
        ScaleReport.bytes(size) + String.format(" (%.0f B per instance)", (double) size / instances));
    report.info("snapshot: time to write one (encode, gzip, write, fsync; slowest node)",
        ScaleReport.millis(worstWrite) + (without.isEmpty() ? "" : " (none within 3 min on " + without + ")"));

    NodeHeap.Histogram[] after = histograms();
    double worst = 0;
    StringBuilder perNode = new StringBuilder();
    for (int i = 0; i < nodes.size(); i++) {
      double per = (double) (after[i].total() - before[i].total()) / instances;
      worst = Math.max(worst, per);
      perNode.append(String.format("%s%s %.0f B", i == 0 ? "" : ", ", nodes.get(i).id, per));
      System.out.printf("  %s: live heap %s -> %s (+%s), %.0f B per instance%n", nodes.get(i).id,
          ScaleReport.bytes(before[i].total()), ScaleReport.bytes(after[i].total()),
          ScaleReport.bytes(after[i].total() - before[i].total()), per);
    }
    // The leader may have changed meanwhile (an election after a long pause).
    int leaderIndex = nodes.indexOf(cluster.leader());
    int followerIndex = leaderIndex == 0 ? 1 : 0;
    for (int i : new int[] {leaderIndex, followerIndex}) {
      System.out.printf("  where it goes on %s (%s), bytes per instance by class:%n", nodes.get(i).id,
          i == leaderIndex ? "leader" : "follower");
      after[i].topGrowth(before[i], instances, TOP_CLASSES).forEach(l -> System.out.println("    " + l));
    }
    report.judged("live heap per instance (after a full GC; per node)", perNode.toString(), "<= 1 KB",
        worst <= 1024);
    return revision;
  }

  /** SIGTERM of a follower, then a start from its data directory: time to /health ready and to every instance. */
  void coldRestart(long instances) throws Exception {
    JarCluster.Node leader = cluster.leader();
    JarCluster.Node victim = nodes.stream().filter(n -> n != leader).reduce((a, b) -> b).orElseThrow();
    System.out.printf("%ncold restart of %s (a follower): SIGTERM, then started again from its data directory%n",
        victim.id);
    int status = cluster.terminate(victim, Duration.ofSeconds(60));
    long target = ClusterProbe.revision(leader);
    LocalTime startedAt = LocalTime.now();
    long start = System.nanoTime();
    ClusterProbe.start(cluster, victim);
    long ready = ClusterProbe.millisUntil(start, LONG, victim.id + " ready", () -> {
      if (!victim.running()) {
        throw new IllegalStateException(victim.id + " exited:\n" + victim.logTail(40));
      }
      return ClusterProbe.ready(victim);
    });
    long full = ClusterProbe.millisUntil(start, LONG, victim.id + " holding every instance",
        () -> ClusterProbe.caughtUp(victim, target, instances));
    System.out.printf("  stopped with status %d; from start: ready after %d ms, every instance (%,d, revision >= %d) "
        + "after %d ms; from its log:%n", status, ready, instances, target, full);
    NodeLog.milestones(victim, startedAt).forEach(l -> System.out.println("    " + l));
    report.judged("cold restart of a node with " + String.format("%,d", instances)
        + " instances: start to /health ready", ScaleReport.millis(ready), "<= 10 s", ready <= 10_000);
    report.info("cold restart: start to the full registry", ScaleReport.millis(full));
    ClusterProbe.awaitFormed(nodes, 3, LONG);
  }

  /**
   * A fourth node, with empty storage, joins: it gets the leader's snapshot and the log after it, and (the nodes run
   * with cluster.raft.voters=5) is promoted to voter once caught up, as a replacement voter would be. Time from its
   * start to ready, to the leader's revision, and to voter.
   */
  void newNodeCatchUp(JarCluster.Node joiner, long instances) throws IOException {
    JarCluster.Node leader = cluster.leader();
    long target = ClusterProbe.revision(leader);
    System.out.printf("%nnew node %s joins (empty data directory) a cluster holding %,d instances at revision %d%n",
        joiner.id, instances, target);
    LocalTime startedAt = LocalTime.now();
    long start = System.nanoTime();
    ClusterProbe.start(cluster, joiner);
    long ready = ClusterProbe.millisUntil(start, LONG, joiner.id + " ready", () -> {
      if (!joiner.running()) {
        throw new IllegalStateException(joiner.id + " exited:\n" + joiner.logTail(40));
      }
      return ClusterProbe.ready(joiner);
    });
    long caughtUp = ClusterProbe.millisUntil(start, LONG, joiner.id + " at the leader's revision",
        () -> ClusterProbe.caughtUp(joiner, target, instances));
    long voter = ClusterProbe.millisUntil(start, LONG, joiner.id + " a voter", () -> {
      JsonObject s = ClusterProbe.status(joiner);
      return s != null && "voter".equals(s.getJsonObject("raft").getString("role"));
    });
    JsonObject stats = Http.get(joiner.base() + "/v1/stats").json();
    System.out.printf("  from its start: ready after %d ms, at revision >= %d with every instance after %d ms, a voter "
        + "after %d ms (snapshots received: %d)%n", ready, target, caughtUp, voter,
        stats.getJsonObject("replica").getLong("snapshotsLoaded"));
    NodeLog.milestones(joiner, startedAt).forEach(l -> System.out.println("    " + l));
    report.info("new node catch-up (snapshot + log; JVM start included): start to ready / to the leader's revision "
        + "/ to voter", ScaleReport.millis(ready) + " / " + ScaleReport.millis(caughtUp) + " / "
        + ScaleReport.millis(voter));
  }

  private NodeHeap.Histogram[] histograms() throws Exception {
    NodeHeap.Histogram[] h = new NodeHeap.Histogram[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      h[i] = NodeHeap.live(nodes.get(i).pid());
    }
    return h;
  }
}
