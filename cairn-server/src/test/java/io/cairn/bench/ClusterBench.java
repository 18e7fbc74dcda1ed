package io.cairn.bench;

import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Cluster benchmarks on three real fat-jar processes with Raft leader election (run by {@code ./run.sh bench}, not
 * by the tests):
 *
 * <ul>
 *   <li>{@code failover N}: N times, SIGKILL a follower and time until a client of another node sees it failed
 *       ({@code GET /v1/nodes}, polled every 2 ms); N times, SIGKILL the leader and time until a client of
 *       another node sees a new leader with a higher term ({@code GET /v1/status}). p50, p99, max. The killed node
 *       is restarted and the cluster made whole before the next kill.</li>
 *   <li>{@code stability SECONDS}: full write load (wrk on every node, re-registering a bounded set of ids) for
 *       that long, watching every node once a second for a node declared failed or a leader change.</li>
 * </ul>
 */
public final class ClusterBench {
  private ClusterBench() {
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "failover";
    int amount = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    try (JarCluster cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3")) {
      cluster.closeOnExit().startWhole(Duration.ofSeconds(120));
      if (mode.equals("failover")) {
        failover(cluster, amount);
      } else {
        stability(cluster, amount);
      }
    }
  }

  private static void failover(JarCluster cluster, int kills) throws Exception {
    Histogram detection = new Histogram(3);
    Histogram election = new Histogram(3);
    for (int k = 0; k < kills; k++) {
      JarCluster.Node victim = cluster.other(cluster.leader());
      JarCluster.Node witness = cluster.other(victim);
      long start = System.nanoTime();
      cluster.kill(victim);
      while (!witness.nodeStatus(victim.id).equals("failed")) {
        Thread.sleep(2);
      }
      long detected = (System.nanoTime() - start) / 1_000_000;
      detection.recordValue(detected);
      cluster.restart(victim, Duration.ofSeconds(180));

      JarCluster.Node leader = cluster.leader();
      witness = cluster.other(leader);
      long term = witness.status().getLong("term");
      start = System.nanoTime();
      cluster.kill(leader);
      while (true) {
        JsonObject s = witness.status();
        if (s.getString("leader") != null && !s.getString("leader").equals(leader.id) && s.getLong("term") > term) {
          break;
        }
        Thread.sleep(2);
      }
      long elected = (System.nanoTime() - start) / 1_000_000;
      election.recordValue(elected);
      cluster.restart(leader, Duration.ofSeconds(180));
      System.out.printf("kill %d/%d: failure seen after %d ms, new leader seen after %d ms%n", k + 1, kills,
          detected, elected);
    }
    print("failure detection (SIGKILL of a follower -> failed on another node)", detection);
    print("leader failover (SIGKILL of the leader -> new leader, higher term, on another node)", election);
  }

  private static void print(String what, Histogram h) {
    System.out.printf("%s: n=%d p50=%d ms p99=%d ms max=%d ms%n", what, h.getTotalCount(),
        h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue());
  }

  private static void stability(JarCluster cluster, int seconds) throws Exception {
    long term = cluster.node(0).status().getLong("term");
    List<Process> load = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      ProcessBuilder pb = new ProcessBuilder("wrk", "-t1", "-c16", "-d" + seconds + "s", "-s", "bench/register.lua",
          cluster.node(i).base()).redirectErrorStream(true);
      pb.environment().put("CAIRN_BENCH_PREFIX", "stable" + i);
      pb.environment().put("CAIRN_BENCH_ID_SPACE", "20000");
      load.add(pb.start());
    }
    int falseFailures = 0;
    int leaderChanges = 0;
    long end = System.currentTimeMillis() + seconds * 1000L;
    while (System.currentTimeMillis() < end) {
      for (int i = 0; i < cluster.size(); i++) {
        JarCluster.Node n = cluster.node(i);
        JsonObject s = n.status();
        if (s.getLong("term") != term) {
          leaderChanges++;
          term = s.getLong("term");
          System.out.println("leader change seen on " + n.id + ": " + s.encode());
        }
        for (int j = 0; j < cluster.size(); j++) {
          String state = n.nodeStatus(cluster.node(j).id);
          if (!state.equals("alive")) {
            falseFailures++;
            System.out.println(n.id + " sees " + cluster.node(j).id + " " + state);
          }
        }
      }
      Thread.sleep(1000);
    }
    double rps = 0;
    for (Process p : load) {
      p.waitFor();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      for (String line : out.split("\n")) {
        if (line.startsWith("Requests/sec:")) {
          rps += Double.parseDouble(line.substring("Requests/sec:".length()).trim());
        }
      }
    }
    long revision = cluster.node(0).status().getLong("revision");
    System.out.printf("stability: %d s of writes at %.0f registrations/s (revision %d), observations with a node "
        + "not alive: %d, leader changes: %d%n", seconds, rps, revision, falseFailures, leaderChanges);
  }
}
