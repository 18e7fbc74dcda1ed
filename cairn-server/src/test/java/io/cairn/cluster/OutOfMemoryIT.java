package io.cairn.cluster;

import io.cairn.support.BigInstances;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node with a small heap (issue 21), as the fat jar with -Xmx128m and the flags ./run.sh gives it:
 *
 * <ol>
 *   <li>with a registry quota that fits the heap (registry.maxBytes=8MB), registrations of ~4 KB instances past it
 *       are refused with 507 insufficient_storage naming the quota, while the node stays healthy, reads work, and
 *       deregistrations and updates go on;</li>
 *   <li>the same node with a quota far too large for its heap runs out of memory and exits
 *       (-XX:+ExitOnOutOfMemoryError) instead of lingering unanswering;</li>
 *   <li>restarted with a heap that fits, it has every registration it acknowledged.</li>
 * </ol>
 */
class OutOfMemoryIT {
  /** ./run.sh's flags (the nodes run in a directory of their own: the argument file by its absolute path). */
  private static final String JVM_OPTIONS = "@" + Path.of("conf/jvm.options").toAbsolutePath();
  private static final Duration START = Duration.ofSeconds(120);
  private static final Duration UNTIL_EXIT = Duration.ofSeconds(240);
  private static final int BATCH = 100;
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aQuotaRefusesWritesBeforeTheHeapRunsOutAndWithoutOneTheNodeExitsAndComesBackWhole() throws Exception {
    cluster = new JarCluster(1, false, "--cluster.raft.bootstrapExpect=1")
        .withJvmFlags(List.of(JVM_OPTIONS, "-Xmx128m", "-XX:+ExitOnOutOfMemoryError"));
    JarCluster.Node node = cluster.node(0);
    Set<String> acknowledged = new LinkedHashSet<>();

    // 1. The quota fits the heap: refused past it, healthy all along.
    cluster.start(0, "--registry.maxBytes=8MB");
    cluster.awaitHealthy(node, START);
    Http.Response refused = null;
    for (int batch = 0; batch < 100 && refused == null; batch++) {
      Http.Response r = BigInstances.register(node, "q" + batch, "big", BATCH, acknowledged);
      if (r.status() != 200) {
        refused = r;
      }
    }
    assertThat(refused).as("a registration refused within 100 batches of %d ~4 KB instances", BATCH).isNotNull();
    assertThat(refused.status()).as(refused.body()).isEqualTo(507);
    assertThat(refused.json().getString("error")).isEqualTo("insufficient_storage");
    assertThat(refused.json().getString("message")).contains("registry.maxBytes");
    assertThat(Http.get(node.base() + "/health").status()).as("healthy at the quota").isEqualTo(200);
    assertThat(cluster.ids(node)).as("reads at the quota").containsAll(acknowledged);
    // The standing is measured once a second: within a few, /v1/status shows the registry at its quota.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonObject quota = node.status().getJsonObject("standing").getJsonObject("quota");
      assertThat(quota.getLong("maxBytes")).isEqualTo(8L << 20);
      assertThat(quota.getLong("estimatedBytes")).as("/v1/status quota " + quota)
          .isGreaterThan((8L << 20) - BATCH * 4500L).isLessThanOrEqualTo(8L << 20);
    });
    assertThat(Http.get(node.base() + "/metrics").body()).contains("cairn_registry_bytes_estimated");
    String first = acknowledged.iterator().next();
    assertThat(Http.put(node.base() + "/v1/services/" + first, BigInstances.instance(first, "big").encode()).status())
        .as("an update at the quota").isEqualTo(200);
    String gone = acknowledged.stream().skip(1).findFirst().orElseThrow();
    assertThat(Http.delete(node.base() + "/v1/services/" + gone).status()).as("a deregistration at the quota")
        .isBetween(200, 204);
    acknowledged.remove(gone);
    int atQuota = acknowledged.size();
    cluster.kill(node);

    // 2. No quota that fits: the heap runs out, and the JVM exits rather than linger.
    cluster.start(0, "--registry.maxBytes=1GB");
    cluster.awaitHealthy(node, START);
    long deadline = System.nanoTime() + UNTIL_EXIT.toNanos();
    for (int batch = 0; node.running(); batch++) {
      assertThat(System.nanoTime()).as("the node exits on OutOfMemoryError within %s:\n%s", UNTIL_EXIT,
          node.logTail(30)).isLessThan(deadline);
      try {
        BigInstances.register(node, "m" + batch, "big", BATCH, acknowledged);
      } catch (RuntimeException noAnswer) {
        JarCluster.pause(100);
      }
    }
    int exit = node.process().waitFor();
    String log = Files.readString(cluster.workDir().resolve(node.id + ".log"));
    System.out.printf("OutOfMemoryIT: quota refused at %d instances; without it the node exited with %d after "
        + "%d acknowledged%n", atQuota, exit, acknowledged.size());
    assertThat(exit).as("exit status after OutOfMemoryError").isNotZero();
    assertThat(log).contains("OutOfMemoryError");

    // 3. Restarted with room, it has every write it acknowledged.
    cluster.withJvmFlags(List.of(JVM_OPTIONS, "-Xmx512m", "-XX:+ExitOnOutOfMemoryError"));
    cluster.start(0);
    cluster.awaitHealthy(node, START);
    Set<String> lost = new TreeSet<>(acknowledged);
    lost.removeAll(cluster.ids(node));
    assertThat(lost).as("acknowledged registrations missing after the restart").isEmpty();
  }
}
