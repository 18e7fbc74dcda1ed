package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.SseStream;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A watcher on real processes: it follows the event stream of one node while a client keeps registering through
 * the others; that node is SIGKILLed, the watcher resumes on another node with Last-Event-ID; and so on for every
 * node. In the end, what it received equals the stream a fresh watcher gets from revision 0: no gap, no duplicate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WatchFailoverIT {
  private JarCluster cluster;
  private Vertx vertx;

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    // No snapshot during the test: a restarted node then replays its whole log, so its event history reaches back to
    // revision 0 and the reference stream below (since=0) is events, not a snapshot.
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3", "--snapshot.interval=1h",
        "--snapshot.everyRevisions=1000000");
    cluster.startWhole(Duration.ofSeconds(90));
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
    vertx.close();
  }

  @Test
  void aWatcherResumesFromEveryNodeAfterItsNodeIsKilledWithNoGapAndNoDuplicate() throws Exception {
    AtomicReference<JarCluster.Node> watched = new AtomicReference<>(cluster.node(0));
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger written = new AtomicInteger();
    Thread writer = new Thread(() -> {
      while (writing.get()) {
        for (int i = 0; i < cluster.size() && writing.get(); i++) {
          JarCluster.Node through = cluster.node(i);
          if (through == watched.get() || !through.running()) {
            continue;
          }
          try {
            int n = written.get();
            if (Http.put(through.base() + "/v1/services/watched-" + n, new JsonObject().put("name", "watched")
                .put("address", "127.0.0.1").put("port", 9000).encode()).status() == 201) {
              written.incrementAndGet();
            }
          } catch (RuntimeException unreachable) {
            // that node is down; the next one takes the write
          }
        }
      }
    }, "watch-writer");
    try (SseStream watcher = SseStream.reconnecting(vertx,
        () -> watched.get().base() + "/v1/events?name=watched", "0")) {
      writer.start();
      for (int round = 0; round < cluster.size(); round++) {
        JarCluster.Node victim = watched.get();
        int before = watcher.events.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> watcher.events.size() > before + 20);
        watched.set(cluster.node((victim.index + 1) % cluster.size()));
        cluster.kill(victim);
        int afterKill = watcher.events.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> watcher.events.size() > afterKill + 20);
        cluster.restartWhileWriting(victim, Duration.ofSeconds(120));
      }
      writing.set(false);
      writer.join();
      // The last write, once node 0 has applied it (only the node written to answers it at once).
      String lastUrl = cluster.node(0).base() + "/v1/services/watched-" + (written.get() - 1);
      String last = await().atMost(Duration.ofSeconds(20)).until(() -> {
        Http.Response r = Http.get(lastUrl);
        return r.status() == 200 ? Long.toString(r.json().getLong("revision")) : null;
      }, java.util.Objects::nonNull);
      await().atMost(Duration.ofSeconds(20)).until(() -> last.equals(watcher.lastId()));

      assertThat(watcher.connections.stream().distinct().count()).as("it watched every node").isEqualTo(3);
      try (SseStream reference = SseStream.open(vertx, cluster.node(1).base() + "/v1/events?name=watched&since=0", null)) {
        await().atMost(Duration.ofSeconds(20)).until(() -> last.equals(reference.lastId()));
        List<String> expected = ids(reference.events);
        List<String> received = ids(watcher.events);
        assertThat(received).as("%d events over %d connections", received.size(), watcher.connections.size())
            .isEqualTo(expected);
        assertThat(watcher.serviceIds("serviceRegistered")).hasSize(written.get()).doesNotHaveDuplicates();
      }
    } finally {
      writing.set(false);
    }
  }

  private static List<String> ids(List<JsonObject> events) {
    List<String> ids = new ArrayList<>();
    for (JsonObject e : events) {
      ids.add(e.getString("id", "?") + " " + e.getString("event") + " "
          + (e.getJsonObject("data").containsKey("service") ? e.getJsonObject("data").getJsonObject("service").getString("id") : ""));
    }
    return ids;
  }
}
