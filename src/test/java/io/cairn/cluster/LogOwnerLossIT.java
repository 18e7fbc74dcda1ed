package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The member holding the log's primary copy is SIGKILLed while writes pour in through it. Hazelcast hands a
 * ring-buffer item to readers as soon as the primary has it, before its backups do: the other nodes may have
 * applied items that died with the owner, and the log then goes on without them. Every replica must still end
 * equal to the log (ChaosIT once ended with one node that had replayed the log differing from two that had lived
 * through such a loss).
 */
class LogOwnerLossIT {
  private static final int ROUNDS = 3;
  private JarCluster cluster;
  private final AtomicReference<String> refused = new AtomicReference<>();

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyReplicaEndsEqualAfterTheLogsOwnerDiesUnderWrites() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.members=3", "--cluster.raft.missingMemberRemoval=6s");
    cluster.startWhole(Duration.ofSeconds(120));
    for (int round = 0; round < ROUNDS; round++) {
      JarCluster.Node owner = logOwner();
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger acknowledged = new AtomicInteger();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 6; w++) {
        // Most writers go through the owner: its own appends are the ones that can die with it unbacked.
        JarCluster.Node preferred = w < 4 ? owner : cluster.other(owner);
        String prefix = "r" + round + "w" + w + "-";
        Thread t = new Thread(() -> write(preferred, prefix, writing, acknowledged), "writer-" + w);
        t.start();
        writers.add(t);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.get() > 500);
      cluster.kill(owner);
      int atKill = acknowledged.get();
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.get() > atKill + 200);
      writing.set(false);
      for (Thread t : writers) {
        t.join();
      }
      assertThat(refused.get()).as("a valid registration refused").isNull();
      cluster.restartWhileWriting(owner, Duration.ofSeconds(120));
      // Equal replicas, and equal to the log: the restarted owner replayed it from the start.
      cluster.awaitReplicasEqual(Duration.ofSeconds(60));
      System.out.printf("log owner loss, round %d: %s killed; %d writes acknowledged; replicas equal%n",
          round + 1, owner.id, acknowledged.get());
    }
  }

  /** The node whose member holds the log's primary copy, as the cluster reports it. */
  private JarCluster.Node logOwner() {
    String id = await().atMost(Duration.ofSeconds(30)).until(
        () -> Http.get(cluster.node(0).base() + "/v1/stats").json().getJsonObject("log").getString("owner"),
        owner -> owner != null);
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.node(i).id.equals(id)) {
        return cluster.node(i);
      }
    }
    throw new AssertionError("the log's owner " + id + " is not one of the nodes");
  }

  /** Registers new instances through {@code preferred}, or through any other node while it does not answer. */
  private void write(JarCluster.Node preferred, String prefix, AtomicBoolean writing, AtomicInteger acknowledged) {
    int i = 0;
    int attempt = 0;
    while (writing.get()) {
      JarCluster.Node through = attempt == 0 ? preferred : cluster.node(attempt % cluster.size());
      int status;
      try {
        status = Http.put(through.base() + "/v1/services/" + prefix + i, new JsonObject().put("name", "owner-loss")
            .put("address", "127.0.0.1").put("port", 9000).encode()).status();
      } catch (RuntimeException unreachable) {
        status = -1;
      }
      if (status == 201 || status == 200) {
        acknowledged.incrementAndGet();
        i++;
        attempt = 0;
      } else {
        if (status >= 400 && status < 500) {
          refused.compareAndSet(null, "status " + status + " for " + prefix + i);
        }
        attempt++;
      }
    }
  }
}
