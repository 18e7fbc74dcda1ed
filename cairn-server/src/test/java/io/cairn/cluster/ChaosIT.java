package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chaos on real processes: a client writes through the REST API of whichever node it picks while nodes are killed
 * (SIGKILL) or stopped (SIGTERM) and restarted at random, one at a time. Then the history is checked: every
 * acknowledged registration is present unless an acknowledged deregistration removed it, every acknowledged
 * deregistration stuck, and every replica has the same digest.
 *
 * <p>The cluster runs as production would: three Raft voters, so a write needs two of them. Kills come from the first
 * seconds of the cluster on, while it may still be electing; whatever state they are left in, the cluster ends
 * whole with a leader.
 */
class ChaosIT {
  private static final int ROUNDS = 4;
  private JarCluster cluster;

  /** What the client knows of one instance id: each id is registered once and deregistered at most once. */
  private static final class History {
    volatile Boolean registered;   // TRUE acknowledged, FALSE sent without acknowledgement (outcome unknown)
    volatile Boolean deregistered; // same; null when never tried
  }

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void acknowledgedWritesSurviveRandomKillsAndRestartsAndReplicasEndEqual() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();
    cluster.awaitAllHealthy(Duration.ofSeconds(90));
    cluster.awaitWhole(Duration.ofSeconds(90));

    long seed = System.nanoTime();
    Random random = new Random(seed);
    Map<String, History> history = new ConcurrentHashMap<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger acknowledged = new AtomicInteger();
    Thread writer = new Thread(() -> write(new Random(seed + 1), history, writing, acknowledged), "chaos-writer");
    writer.start();

    List<String> actions = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      JarCluster.Node victim = cluster.node(random.nextInt(cluster.size()));
      boolean kill = random.nextBoolean();
      actions.add((kill ? "SIGKILL " : "SIGTERM ") + victim.id);
      if (kill) {
        cluster.kill(victim);
      } else {
        cluster.terminate(victim, Duration.ofSeconds(30));
      }
      int before = acknowledged.get();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> acknowledged.get() > before + 10);
      cluster.restartWhileWriting(victim, Duration.ofSeconds(120));
    }
    writing.set(false);
    writer.join();
    cluster.awaitWhole(Duration.ofSeconds(60));

    String context = "seed " + seed + ", " + actions;
    System.out.printf("chaos: %s; %d writes acknowledged, %d instance ids%n", context, acknowledged.get(), history.size());
    assertThat(acknowledged.get()).as(context).isGreaterThan(50);
    for (Map.Entry<String, History> e : history.entrySet()) {
      History h = e.getValue();
      int status = Http.get(cluster.node(0).base() + "/v1/services/" + e.getKey()).status();
      if (Boolean.TRUE.equals(h.registered) && h.deregistered == null) {
        assertThat(status).as("acknowledged registration of " + e.getKey() + " (" + context + ")").isEqualTo(200);
      }
      if (Boolean.TRUE.equals(h.deregistered)) {
        assertThat(status).as("acknowledged deregistration of " + e.getKey() + " (" + context + ")").isEqualTo(404);
      }
    }
  }

  /** One client: registers new ids and deregisters earlier ones, through a random node, until told to stop. */
  private void write(Random random, Map<String, History> history, AtomicBoolean writing, AtomicInteger acknowledged) {
    List<String> live = new ArrayList<>();
    int next = 0;
    while (writing.get()) {
      JarCluster.Node through = cluster.node(random.nextInt(cluster.size()));
      boolean deregister = !live.isEmpty() && random.nextInt(10) < 3;
      String id = deregister ? live.remove(random.nextInt(live.size())) : "chaos-" + next++;
      History h = history.computeIfAbsent(id, k -> new History());
      int status;
      try {
        status = deregister ? Http.delete(through.base() + "/v1/services/" + id).status()
            : Http.put(through.base() + "/v1/services/" + id, new JsonObject().put("name", "chaos")
                .put("address", "127.0.0.1").put("port", 9000).encode()).status();
      } catch (RuntimeException unreachable) {
        status = -1;
      }
      boolean ok = deregister ? status == 200 : status == 201;
      if (status >= 400 && status < 500 && status != 404) {
        throw new AssertionError("the cluster refused a valid request with " + status);
      }
      if (deregister) {
        h.deregistered = ok;
      } else {
        h.registered = ok;
        if (ok) {
          live.add(id);
        }
      }
      if (ok) {
        acknowledged.incrementAndGet();
      }
    }
  }
}
