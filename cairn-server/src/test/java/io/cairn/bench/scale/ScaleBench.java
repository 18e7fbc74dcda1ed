package io.cairn.bench.scale;

import io.cairn.support.JarCluster;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scale benchmark ({@code ./run.sh bench --only scale}, not a test): three fat-jar nodes on 127.0.0.1, on ports
 * from {@code --port-base} (Hazelcast +0.., HTTP +10.., Raft +20..), with a cluster name of their own and the heap
 * given by {@code --heap}, with the JVM flags of {@link NodeFlags} (./run.sh's, or {@code --node-jvm}).
 *
 * <ol>
 *   <li>{@link InstancePhase}: {@code --instances} registered in bulk; live heap per instance on each node; the
 *       snapshot's size and writing time; a cold restart of a follower to ready and to the full registry.</li>
 *   <li>{@link WatchPhase}: {@code --watches} open watches (SSE, WebSocket, gRPC) and {@code --blocking} blocking
 *       queries (REST, Consul) over the nodes; live heap per idle watch and per waiting query; then
 *       {@code --writes} writes a second through the leader for {@code --seconds} after {@code --warmup}, and the
 *       time from a write's answer to its last watcher and to its last blocking query.</li>
 *   <li>Last, a fourth node joins with empty storage: its time to catch up and become a voter.</li>
 * </ol>
 *
 * Prints every figure beside its target, with a verdict. Every node process is stopped when it ends, also on
 * failure (and on Ctrl-C); their data and logs are deleted unless something failed.
 */
public final class ScaleBench {
  private ScaleBench() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args);
    int instances = Integer.parseInt(o.get("instances"));
    int watches = Integer.parseInt(o.get("watches"));
    int blocking = Integer.parseInt(o.get("blocking"));
    int writes = Integer.parseInt(o.get("writes"));
    int seconds = Integer.parseInt(o.get("seconds"));
    int warmup = Integer.parseInt(o.get("warmup"));
    int portBase = Integer.parseInt(o.get("port-base"));
    List<String> nodeJvm = NodeFlags.resolve(o.get("node-jvm"), o.get("heap"),
        Path.of(System.getProperty("cairn.jar", "target/cairn.jar")));

    System.out.printf("scale: %,d instances, %,d watches, %,d blocking queries, %,d writes/s for %d s after %d s%n",
        instances, watches, blocking, writes, seconds, warmup);
    System.out.println("node JVM flags: " + String.join(" ", nodeJvm));
    System.out.println("benchmark JVM flags: " + String.join(" ", ManagementFactory.getRuntimeMXBean()
        .getInputArguments()) + "; " + openFilesLimit());
    System.out.printf("ports: Hazelcast %d-%d, HTTP %d-%d, Raft %d-%d (127.0.0.1); load average %s%n", portBase,
        portBase + 3, portBase + 10, portBase + 13, portBase + 20, portBase + 23, ProcessCpu.loadAverage());

    ScaleReport report = new ScaleReport();
    // Four nodes are configured, three started: the fourth is the newcomer of the catch-up. voters=5 makes it a
    // voter once caught up (a replacement voter's path); with three nodes the group has three voters either way.
    JarCluster cluster = JarCluster.onPorts(4, portBase, "--cluster.raft.bootstrapExpect=3",
        "--cluster.raft.voters=5").withJvmFlags(nodeJvm).closeOnExit();
    boolean failed = true;
    try {
      List<JarCluster.Node> three = List.of(cluster.node(0), cluster.node(1), cluster.node(2));
      Map<String, Path> dataDirs = new HashMap<>();
      for (int i = 0; i < 4; i++) {
        dataDirs.put(cluster.node(i).id, cluster.workDir().resolve(cluster.node(i).id));
      }
      try (SnapshotFiles snapshots = new SnapshotFiles(dataDirs)) {
        for (JarCluster.Node n : three) {
          ClusterProbe.start(cluster, n);
        }
        ClusterProbe.awaitFormed(three, 3, Duration.ofMinutes(3));
        System.out.println("cluster " + cluster.clusterName() + " formed: leader " + cluster.leader().id);

        InstancePhase instancesPhase = new InstancePhase(cluster, three, snapshots, report);
        instancesPhase.load(instances);
        instancesPhase.coldRestart(instances);
        long total = new WatchPhase(cluster, three, snapshots, report, watches).run(instances, watches, blocking, writes, warmup,
            seconds);
        instancesPhase.newNodeCatchUp(cluster.node(3), total);
      }
      report.print();
      failed = false;
    } finally {
      if (failed) {
        cluster.keepWorkDir();
        System.out.println("node logs and data kept in " + cluster.workDir());
      }
      cluster.close();
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> o = new LinkedHashMap<>(Map.of("instances", "500000", "watches", "20000",
        "blocking", "5000", "writes", "1000", "seconds", "30", "warmup", "10", "port-base", "26000", "heap", "3g",
        "node-jvm", ""));
    for (int i = 0; i + 1 < args.length; i += 2) {
      String key = args[i].replaceFirst("^--", "");
      if (!o.containsKey(key)) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + o.keySet());
      }
      o.put(key, args[i + 1]);
    }
    return o;
  }

  /** "Max open files" of this JVM, which holds a connection per SSE, WebSocket and blocking query. */
  private static String openFilesLimit() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        return "open files limit " + f[0] + " (hard " + f[1] + ")";
      }
    }
    return "open files limit unknown";
  }
}
