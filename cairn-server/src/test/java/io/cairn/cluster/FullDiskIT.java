package io.cairn.cluster;

import io.cairn.dns.Dig;
import io.cairn.support.BigInstances;
import io.cairn.support.Browser;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.Writers;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node whose disk fills up (issue 21): three fat-jar processes, node p3's data directory on a tmpfs of its own that
 * a filler file all but fills; writers register through every node until p3 can no longer write its Raft log. Once as
 * a follower (with storage.minFreeBytes, refusing writes before the disk is full), once as the leader (without, so
 * that its log fails while it leads). What a user must see:
 *
 * <ul>
 *   <li>p3 says so: /health 503 with the reason, reads marked X-Cairn-Stale, Consul's X-Consul-KnownLeader false,
 *       /v1/status not current with the log failure, the other nodes' /v1/nodes and topology page showing it lagging,
 *       its DNS answers not authoritative with TTL 0, and writes through it refused with 507 insufficient_storage,
 *       answered, never hung;</li>
 *   <li>the majority goes on: a leader other than p3 (p3 leading steps down), writes acknowledged;</li>
 *   <li>once the filler is deleted, p3 recovers by itself: ready again and equal to the others within 30 s, and no
 *       acknowledged write is lost.</li>
 * </ul>
 * Needs root for the tmpfs, as the partition tests need it for network namespaces.
 */
class FullDiskIT {
  private static final Duration FORM = Duration.ofSeconds(180);
  private static final Duration FILL = Duration.ofSeconds(180);
  private static final Duration RECOVER = Duration.ofSeconds(30);
  /** Left free by the filler: a few thousand registrations' worth of log, once the cluster is formed. */
  private static final long LEFT_FREE = 2L << 20;
  private JarCluster cluster;
  private Path mount;

  @AfterEach
  void stop() throws Exception {
    // Unmounted first, so that closing the cluster deletes its work directory whole (a mount point would stay).
    if (mount != null) {
      run("umount", "-l", mount.toString());
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aFollowerWithAFullDiskSaysSoRefusesWritesAndRecoversOnceSpaceReturns() throws Exception {
    fillAndRecover(false);
  }

  @Test
  void aLeaderWithAFullDiskStepsDownRefusesWritesAndRecoversOnceSpaceReturns() throws Exception {
    fillAndRecover(true);
  }

  private void fillAndRecover(boolean asLeader) throws Exception {
    // As a follower, p3 first refuses writes below storage.minFreeBytes, then its log fails. As the leader, with no
    // minimum, its log fails while it leads: it must step down, not leave the majority's writes hanging.
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3",
        "--storage.minFreeBytes=" + (asLeader ? "0" : "1MB"), "--snapshot.logSegmentSize=1MB",
        // No snapshot while the disk fills: one would let Ratis delete the log before it, and on a slow machine that
        // can free space as fast as the writers take it.
        "--snapshot.interval=1h", "--snapshot.everyRevisions=10000000");
    JarCluster.Node small = cluster.node(2);
    int dns = Dig.freeDnsPort();
    cluster.withNodeArgs(small.index, "--dns.port=" + dns);
    mount = cluster.workDir().resolve(small.id);
    Files.createDirectories(mount);
    run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString());
    cluster.startWhole(FORM);
    placeLeadership(small, asLeader);
    JarCluster.Node other = cluster.other(small);

    Path filler = mount.resolve("filler");
    fill(filler, Files.getFileStore(mount).getUsableSpace() - LEFT_FREE);
    Writers writers = new Writers(cluster, "disk");
    Set<String> bulkAcknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    long majorityAcksAtFull;
    try {
      // p3 fills up: its log fails, or it falls behind, and it says so.
      // Besides the writers, ~400 KB of registrations at a time through another node, so that the disk fills in
      // seconds whatever else the machine is doing.
      int[] batch = {0};
      await().atMost(FILL).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
        BigInstances.register(other, "fill-" + batch[0]++, "fill", 100, bulkAcknowledged);
        return Http.get(small.base() + "/health").status() == 503;
      });
      JsonObject health = Http.get(small.base() + "/health").json();
      assertThat(health.getString("status")).isEqualTo("behind");
      assertThat(health.getString("reason")).as("why p3 is not ready").isNotBlank();
      JsonObject status = small.status();
      assertThat(status.getBoolean("current")).as("p3 current, by /v1/status").isFalse();
      assertThat(status.getString("notCurrentBecause")).isNotBlank();
      Http.Response read = Http.get(small.base() + "/v1/services?status=any");
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.header("X-Cairn-Stale")).as("a read on p3").isEqualTo("true");
      Http.Response consul = Http.get(small.base() + "/v1/catalog/services");
      assertThat(consul.header("X-Consul-KnownLeader")).as("Consul's KnownLeader on p3").isEqualTo("false");
      assertThat(Long.parseLong(consul.header("X-Consul-LastContact"))).as("Consul's LastContact on p3").isPositive();
      // The gauge reads the node's standing at scrape time; on a loaded machine the standing can pass a moment as
      // current between the status read above and the scrape, so the scrape is asked again until it says 0.
      await("cairn_node_current on p3 says 0").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> Http.get(small.base() + "/metrics").body().contains("cairn_node_current{node=\"p3\"} 0.0"));
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> lagging(other, small.id));
      if (!asLeader) {
        // The topology page, on another node, shows p3 lagging with the reason.
        try (Browser browser = Browser.start()) {
          browser.open(other.base() + "/");
          await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
              assertThat(browser.text("[data-node-id='" + small.id + "'][data-lagging='true'] .lagging-why"))
                  .startsWith("lagging: "));
        }
      }
      Dig.Result stale = Dig.query(dns, "disk.service.cairn", "A");
      assertThat(stale.status()).as(stale.output()).isEqualTo("NOERROR");
      assertThat(stale.flags()).as("p3's DNS answer is not authoritative: " + stale.output()).doesNotContain("aa");
      assertThat(stale.answer()).as(stale.output()).isNotEmpty().allMatch(rr -> rr.ttl() == 0);
      long before = System.nanoTime();
      Http.Response refused = put(small, "through-full-node");
      assertThat(refused.status()).as("a write through p3: " + refused.body()).isEqualTo(507);
      assertThat(refused.json().getString("error")).isEqualTo("insufficient_storage");
      assertThat(System.nanoTime() - before).as("answered at once, not after a timeout")
          .isLessThan(TimeUnit.SECONDS.toNanos(5));

      // The majority goes on, under a leader other than p3.
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
        String leader = other.status().getJsonObject("raft").getString("leader");
        return leader != null && !leader.equals(small.id) && other.status().getBoolean("quorate");
      });
      majorityAcksAtFull = writers.acknowledgedCount(0) + writers.acknowledgedCount(1);
      await().atMost(Duration.ofSeconds(60)).until(() ->
          writers.acknowledgedCount(0) + writers.acknowledgedCount(1) > majorityAcksAtFull + 50);

      // Space returns: p3 recovers by itself.
      Files.delete(filler);
      long freedAt = System.nanoTime();
      // With every node's view and log tail when it does not.
      cluster.awaitHealthy(small, RECOVER);
      System.out.printf("FullDiskIT (%s): p3 ready again %d ms after space returned; writers: %s%n",
          asLeader ? "the leader" : "a follower", (System.nanoTime() - freedAt) / 1_000_000, writers.summary());
    } finally {
      writers.stop();
    }
    // Equal to the others within 30 s of the writers stopping, and every acknowledged write everywhere.
    cluster.awaitReplicasEqual(RECOVER);
    for (int i = 0; i < cluster.size(); i++) {
      Set<String> lost = new TreeSet<>(writers.acknowledged());
      lost.addAll(bulkAcknowledged);
      lost.removeAll(cluster.ids(cluster.node(i)));
      assertThat(lost).as("acknowledged writes missing on %s", cluster.node(i).id).isEmpty();
    }
    for (String answer : writers.unexpected()) {
      // Through p3 while its disk was full; and, while p3 led short of space, through any node: the leader refuses
      // every entry then, as etcd's space alarm does, until it has handed leadership on.
      assertThat(answer).as("the only answers besides 2xx and 503: 507 while p3's disk was full")
          .contains(": 507 ").contains("insufficient_storage");
      if (!asLeader) {
        assertThat(answer).startsWith(small.id + " ");
      }
    }
    assertThat(Http.get(small.base() + "/v1/services?status=any").header("X-Cairn-Stale")).isNull();
    assertThat(Dig.query(dns, "disk.service.cairn", "A").flags()).as("authoritative again").contains("aa");
  }

  /** Kills and restarts the leader until p3 leads (asLeader) or does not. */
  private void placeLeadership(JarCluster.Node small, boolean asLeader) throws Exception {
    for (int attempt = 0; attempt < 10; attempt++) {
      JarCluster.Node leader = cluster.leader();
      if (leader.id.equals(small.id) == asLeader) {
        return;
      }
      // Killing the leader lets the other two elect one (p3, or not); killing p3 the leader leaves it a follower.
      JarCluster.Node victim = asLeader ? leader : small;
      cluster.kill(victim);
      cluster.restart(victim, FORM);
    }
    throw new AssertionError("could not make " + small.id + (asLeader ? " the leader" : " a follower") + ":\n"
        + cluster.views());
  }

  private static boolean lagging(JarCluster.Node asked, String id) {
    for (Object o : Http.get(asked.base() + "/v1/nodes").json().getJsonArray("nodes")) {
      JsonObject n = (JsonObject) o;
      if (n.getString("id").equals(id)) {
        return n.getBoolean("lagging");
      }
    }
    return false;
  }

  private static void fill(Path file, long bytes) throws IOException {
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = bytes; left > 0; left -= chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
  }

  private static Http.Response put(JarCluster.Node n, String id) {
    return Http.put(n.base() + "/v1/services/" + id, new JsonObject().put("name", "disk").put("address", "10.0.0.9")
        .put("port", 9000).encode());
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", cmd) + " (needs root): " + out).isZero();
  }
}
