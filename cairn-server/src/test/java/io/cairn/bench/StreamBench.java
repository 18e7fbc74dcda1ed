package io.cairn.bench;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Change-stream benchmarks (run by {@code ./run.sh bench}, not by the tests), on jar processes:
 * <ul>
 *   <li>propagation: a registration acknowledged by node 1 → its event received on a WebSocket on node 3, p50/p99
 *       over sequential writes; at rest, then with 1,000 more watchers on every node while a second client
 *       registers 5,000 instances/s in bulk;</li>
 *   <li>watchers: the resident memory a node gains holding 10,000 WebSocket watchers;</li>
 *   <li>join: the time a new node takes to be ready in a cluster holding 100,000 instances.</li>
 * </ul>
 */
public final class StreamBench {
  private StreamBench() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    List<String> phases = args.length > 0 ? List.of(args) : List.of("propagation", "watchers", "join");
    try {
      if (phases.contains("propagation")) {
        propagation(vertx);
      }
      if (phases.contains("watchers")) {
        watcherMemory(vertx);
      }
      if (phases.contains("join")) {
        join();
      }
    } finally {
      vertx.close();
    }
  }

  private static void propagation(Vertx vertx) throws Exception {
    System.setProperty("cairn.it.heap", "512m");
    try (JarCluster cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3")) {
      cluster.closeOnExit().startWhole(Duration.ofSeconds(120));
      Map<String, java.util.concurrent.CompletableFuture<Long>> arrivals = new ConcurrentHashMap<>();
      connect(vertx, cluster.node(2), "?name=probe", text -> {
        long now = System.nanoTime();
        JsonObject f = new JsonObject(text);
        if ("serviceRegistered".equals(f.getString("type"))) {
          arrivals.computeIfAbsent(f.getJsonObject("service").getString("id"),
              k -> new java.util.concurrent.CompletableFuture<>()).complete(now);
        }
      });
      Histogram rest = probe(cluster, arrivals, "rest", 1_000);
      print("at rest", rest);

      List<WebSocket> watchers = new ArrayList<>();
      for (int n = 0; n < 3; n++) {
        for (int i = 0; i < 1_000; i++) {
          watchers.add(connect(vertx, cluster.node(n), "?name=load-" + i, text -> { }));
        }
      }
      AtomicBoolean loading = new AtomicBoolean(true);
      AtomicLong loaded = new AtomicLong();
      Thread load = new Thread(() -> {
        long next = System.nanoTime();
        int batch = 0;
        while (loading.get()) {
          JsonArray items = new JsonArray();
          for (int i = 0; i < 50; i++) {
            items.add(new JsonObject().put("id", "load-" + batch + "-" + i).put("name", "load-" + ((batch * 50 + i) % 1000))
                .put("address", "10.9.0.1").put("port", 8000 + i));
          }
          try {
            if (Http.post(cluster.node(batch % 2).base() + "/v1/services:bulk", items.encode()).status() == 200) {
              loaded.addAndGet(50);
            }
          } catch (RuntimeException retried) {
            // a dropped connection: the next batch goes on
          }
          batch++;
          next += 10_000_000; // 50 every 10 ms: 5,000/s
          long sleep = next - System.nanoTime();
          if (sleep > 0) {
            try {
              Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      }, "load");
      long loadStart = System.nanoTime();
      load.start();
      Histogram loadedHistogram = probe(cluster, arrivals, "load", 1_000);
      loading.set(false);
      load.join();
      double rate = loaded.get() / ((System.nanoTime() - loadStart) / 1e9);
      print(String.format("3,000 more watchers (1,000 per node, each on one of the 1,000 names the load writes: "
          + "about 5 events/s each), load %.0f registrations/s", rate), loadedHistogram);
      watchers.forEach(WebSocket::close);
    }
  }

  /** Sequential registrations on node 1, each timed from its acknowledgement to its event on node 3. */
  private static Histogram probe(JarCluster cluster, Map<String, java.util.concurrent.CompletableFuture<Long>> arrivals,
                                 String prefix, int count) throws Exception {
    Histogram h = new Histogram(3);
    for (int i = 0; i < count; i++) {
      String id = "probe-" + prefix + "-" + i;
      Http.Response r = Http.put(cluster.node(0).base() + "/v1/services/" + id, new JsonObject().put("name", "probe")
          .put("address", "10.8.0.1").put("port", 9000).encode());
      long acknowledged = System.nanoTime();
      if (r.status() != 201) {
        throw new IllegalStateException("probe registration failed: " + r.body());
      }
      try {
        long arrived = arrivals.computeIfAbsent(id, k -> new java.util.concurrent.CompletableFuture<>())
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
        h.recordValue(Math.max(0, arrived - acknowledged) / 1000);
      } catch (java.util.concurrent.TimeoutException late) {
        System.out.printf("propagation: the event of %s did not arrive within 10 s%n", id);
        h.recordValue(10_000_000);
      }
    }
    return h;
  }

  private static void print(String what, Histogram h) {
    System.out.printf("propagation (write acknowledged on node 1 -> event on a WebSocket on node 3), %s: "
            + "n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms%n", what, h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
  }

  private static void watcherMemory(Vertx vertx) throws Exception {
    System.setProperty("cairn.it.heap", "1g");
    try (JarCluster cluster = new JarCluster(1, false)) {
      cluster.closeOnExit().startWhole(Duration.ofSeconds(120));
      JarCluster.Node node = cluster.node(0);
      long before = rss(node);
      List<WebSocket> watchers = new ArrayList<>();
      int refused = 0;
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(20_000));
      URI uri = URI.create(node.base());
      for (int i = 0; i < 10_000; i++) {
        try {
          watchers.add(TestNodes.await(client.connect(new WebSocketConnectOptions().setHost(uri.getHost())
              .setPort(uri.getPort()).setURI("/v1/ws?name=w-" + (i % 500))).toCompletionStage().toCompletableFuture(), 30));
        } catch (RuntimeException e) {
          if (refused++ == 0) {
            System.out.printf("watchers: connection %d refused: %s%n", i, e);
          }
        }
      }
      Thread.sleep(3_000);
      long after = rss(node);
      System.out.printf("watchers: %,d WebSockets open on one node (%d refused): resident memory %d MB -> %d MB (+%d MB)%n",
          watchers.size(), refused, before >> 20, after >> 20, (after - before) >> 20);
      watchers.forEach(WebSocket::close);
    }
  }

  private static void join() throws Exception {
    System.setProperty("cairn.it.heap", "1g");
    try (JarCluster cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3")) {
      cluster.closeOnExit();
      cluster.start(0);
      cluster.awaitHealthy(cluster.node(0), Duration.ofSeconds(120));
      cluster.start(1);
      cluster.awaitHealthy(cluster.node(1), Duration.ofSeconds(120));
      for (int b = 0; b < 100; b++) {
        JsonArray items = new JsonArray();
        for (int i = 0; i < 1000; i++) {
          items.add(new JsonObject().put("id", "big-" + b + "-" + i).put("name", "big-" + (i % 1000))
              .put("address", "10.7." + (b % 250) + "." + (i % 250)).put("port", 8000 + i % 1000)
              .put("tags", new JsonArray().add("bench")));
        }
        if (Http.post(cluster.node(b % 2).base() + "/v1/services:bulk", items.encode()).status() != 200) {
          throw new IllegalStateException("bulk registration failed");
        }
      }
      long started = System.nanoTime();
      cluster.start(2);
      cluster.awaitHealthy(cluster.node(2), Duration.ofSeconds(300));
      long ready = (System.nanoTime() - started) / 1_000_000;
      int instances = Http.get(cluster.node(2).base() + "/v1/stats").json().getJsonObject("replica").getInteger("services");
      System.out.printf("join: a new node (JVM start included) ready after %d ms in a cluster holding %,d instances%n",
          ready, instances);
    } finally {
      System.clearProperty("cairn.it.heap");
    }
  }

  private static WebSocket connect(Vertx vertx, JarCluster.Node node, String query,
                                   io.vertx.core.Handler<String> frames) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 << 20)
        .setMaxFrameSize(64 << 20));
    URI uri = URI.create(node.base());
    return TestNodes.await(client.connect(new WebSocketConnectOptions().setHost(uri.getHost()).setPort(uri.getPort())
        .setURI("/v1/ws" + query)).onSuccess(ws -> ws.textMessageHandler(frames))
        .toCompletionStage().toCompletableFuture(), 30);
  }

  private static long rss(JarCluster.Node node) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + node.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    return 0;
  }
}
