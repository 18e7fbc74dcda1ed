package io.cairn.bench;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Health-check benchmark (run by {@code ./run.sh bench}, not by the tests): a three-node cluster of jar processes
 * runs {@code COUNT} HTTP checks at {@code INTERVAL} against a stub server in this JVM. After one interval of
 * warm-up it measures, for {@code SECONDS}: checks per second arriving at the stub, how late each node started
 * its scheduled runs (p50, p99, max, from /v1/stats), and each node's CPU (from /proc, in % of one core).
 */
public final class CheckBench {
  private CheckBench() {
  }

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int intervalSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    Vertx vertx = Vertx.vertx();
    AtomicLong requests = new AtomicLong();
    HttpServer stub = TestNodes.await(vertx.createHttpServer().requestHandler(req -> {
      requests.incrementAndGet();
      req.response().end("ok");
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    try (JarCluster cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3")) {
      cluster.closeOnExit().startWhole(Duration.ofSeconds(120));
      String base = cluster.node(0).base();
      for (int start = 0; start < count; start += 1000) {
        JsonArray items = new JsonArray();
        for (int i = start; i < Math.min(count, start + 1000); i++) {
          items.add(new JsonObject().put("id", "checked-" + i).put("name", "checked-" + (i % 100))
              .put("address", "127.0.0.1").put("port", stub.actualPort())
              .put("check", new JsonObject().put("type", "http").put("path", "/i/" + i)
                  .put("interval", intervalSeconds + "s").put("timeout", "2s")));
        }
        Http.Response r = Http.post(base + "/v1/services:bulk", items.encode());
        if (r.status() != 200) {
          throw new IllegalStateException("bulk registration failed: " + r.body());
        }
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> owned(cluster) == count);
      Thread.sleep(intervalSeconds * 1000L + 1000);

      long r0 = requests.get();
      long[] cpu0 = cpuTicks(cluster);
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      double elapsed = (System.nanoTime() - t0) / 1e9;
      long r1 = requests.get();
      long[] cpu1 = cpuTicks(cluster);
      long ticksPerSecond = 100; // USER_HZ on Linux
      StringBuilder perNode = new StringBuilder();
      for (int i = 0; i < cluster.size(); i++) {
        JsonObject checks = Http.get(cluster.node(i).base() + "/v1/stats").json().getJsonObject("checks");
        perNode.append(String.format("%n  %s: %d checks owned, lateness p50=%.1f ms p99=%.1f ms max=%.1f ms, CPU %.1f%% of one core",
            cluster.node(i).id, checks.getInteger("owned"), checks.getDouble("latenessP50Millis"),
            checks.getDouble("latenessP99Millis"), checks.getDouble("latenessMaxMillis"),
            100.0 * (cpu1[i] - cpu0[i]) / ticksPerSecond / elapsed));
      }
      System.out.printf("checks: %d http checks at %ds on 3 nodes, measured over %.0f s: %.0f checks/s (expected %.0f)%s%n",
          count, intervalSeconds, elapsed, (r1 - r0) / elapsed, (double) count / intervalSeconds, perNode);
    } finally {
      vertx.close();
    }
  }

  private static long owned(JarCluster cluster) {
    long sum = 0;
    for (int i = 0; i < cluster.size(); i++) {
      sum += Http.get(cluster.node(i).base() + "/v1/stats").json().getJsonObject("checks").getInteger("owned");
    }
    return sum;
  }

  /** utime + stime of each node's process, in clock ticks (/proc/PID/stat fields 14 and 15). */
  private static long[] cpuTicks(JarCluster cluster) throws Exception {
    long[] ticks = new long[cluster.size()];
    for (int i = 0; i < cluster.size(); i++) {
      String stat = Files.readString(Path.of("/proc/" + cluster.node(i).pid() + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      ticks[i] = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
    return ticks;
  }
}
