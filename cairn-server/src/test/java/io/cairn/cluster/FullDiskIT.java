package io.cairn.cluster;

import io.cairn.dns.Dig;
import io.cairn.support.BigInstances;
import io.cairn.support.Browser;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.Writers;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node whose disk fills up (issue 21): three fat-jar processes, node p3's data directory on a tmpfs of its own that
 * a filler file all but fills; writers register through every node until p3 can no longer write its Raft log. Once as
 * the leader (without storage.minFreeBytes, so that its log fails while it leads), once as a follower (with
 * storage.minFreeBytes, refusing writes before the disk is full). What a user must see:
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
 * Both cases use one cluster, the leader's first: each ends with p3 recovered and the filler gone, and each begins by
 * waiting for the cluster to be whole, restarting p3 if it runs with the other case's storage.minFreeBytes (which also
 * makes it a follower, as the second case wants) and placing leadership; each has ids, a service and writers of its
 * own. Needs root for the tmpfs, as the partition tests need it for network namespaces.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FullDiskIT {
  private static final Duration FORM = Duration.ofSeconds(180);
  private static final Duration FILL = Duration.ofSeconds(180);
  private static final Duration RECOVER = Duration.ofSeconds(30);
  /** Left free by the filler: a few thousand registrations' worth of log, once the cluster is formed. */
  private static final long LEFT_FREE = 2L << 20;
  private JarCluster cluster;
  private JarCluster.Node small;
  private int dns;
  private Path mount;
  /** p3's storage.minFreeBytes in the process now running. */
  private String smallMinFree;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3", "--snapshot.logSegmentSize=1MB",
        // No snapshot while the disk fills: one would let Ratis delete the log before it, and on a slow machine that
        // can free space as fast as the writers take it.
        "--snapshot.interval=1h", "--snapshot.everyRevisions=10000000");
    small = cluster.node(2);
    dns = Dig.freeDnsPort();
    // p1 and p2, whose disks are not filled, with the follower case's minimum in both cases.
    cluster.withNodeArgs(0, "--storage.minFreeBytes=1MB").withNodeArgs(1, "--storage.minFreeBytes=1MB");
    withSmallMinFree(minFree(true));
    mount = cluster.workDir().resolve(small.id);
    Files.createDirectories(mount);
    // The first case leaves some 4 MB of log on it.
    run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString());
    cluster.startWhole(FORM);
  }

  @AfterAll
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
  @Order(1)
  void aLeaderWithAFullDiskStepsDownRefusesWritesAndRecoversOnceSpaceReturns() throws Exception {
    fillAndRecover(true);
  }

  @Test
  @Order(2)
  void aFollowerWithAFullDiskSaysSoRefusesWritesAndRecoversOnceSpaceReturns() throws Exception {
    fillAndRecover(false);
  }

  private void fillAndRecover(boolean asLeader) throws Exception {
    // In the follower case the topology page is read once p3 is full; the browser starts meanwhile (25 s, once, on
    // a loaded machine).
    CompletableFuture<Browser> browser = asLeader ? null : CompletableFuture.supplyAsync(FullDiskIT::startBrowser);
    try {
      fillAndRecover(asLeader, browser);
    } finally {
      if (browser != null) {
        browser.thenAccept(FullDiskIT::closeBrowser);
      }
    }
  }

  private void fillAndRecover(boolean asLeader, CompletableFuture<Browser> browser) throws Exception {
    // As a follower, p3 first refuses writes below storage.minFreeBytes, then its log fails. As the leader, with no
    // minimum, its log fails while it leads: it must step down, not leave the majority's writes hanging.
    String role = asLeader ? "leader" : "follower";
    // The earlier case left the cluster whole; if it failed, this says why.
    cluster.awaitWhole(FORM);
    if (!minFree(asLeader).equals(smallMinFree)) {
      withSmallMinFree(minFree(asLeader));
      cluster.kill(small);
      cluster.restart(small, FORM);
    }
    placeLeadership(small, asLeader);
    JarCluster.Node other = cluster.other(small);

    Path filler = mount.resolve("filler");
    fill(filler, Files.getFileStore(mount).getUsableSpace() - LEFT_FREE);
    // The service's name is the writers' prefix: disk-leader, disk-follower.
    String service = "disk-" + role;
    Writers writers = new Writers(cluster, service);
    Set<String> bulkAcknowledged = ConcurrentHashMap.newKeySet();
    long majorityAcksAtFull;
    try {
      // p3 fills up: its log fails, or it falls behind, and it says so.
      // Besides the writers, ~400 KB of registrations at a time through another node, so that the disk fills in
      // seconds whatever else the machine is doing.
      int[] batch = {0};
      await().atMost(FILL).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
        BigInstances.register(other, "fill-" + role + "-" + batch[0]++, "fill", 100, bulkAcknowledged);
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
        Browser page = browser.join();
        page.open(other.base() + "/");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
            assertThat(page.text("[data-node-id='" + small.id + "'][data-lagging='true'] .lagging-why"))
                .startsWith("lagging: "));
      }
      Dig.Result stale = Dig.query(dns, service + ".service.cairn", "A");
      assertThat(stale.status()).as(stale.output()).isEqualTo("NOERROR");
      assertThat(stale.flags()).as("p3's DNS answer is not authoritative: " + stale.output()).doesNotContain("aa");
      assertThat(stale.answer()).as(stale.output()).isNotEmpty().allMatch(rr -> rr.ttl() == 0);
      long before = System.nanoTime();
      Http.Response refused = put(small, service, "through-full-" + role);
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
      // After a failure too, so that the next case starts with space.
      Files.deleteIfExists(filler);
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
    assertThat(Dig.query(dns, service + ".service.cairn", "A").flags()).as("authoritative again").contains("aa");
  }

  /** storage.minFreeBytes on p3: none as the leader, so that its log fails while it leads; 1 MB as a follower. */
  private static String minFree(boolean asLeader) {
    return asLeader ? "0" : "1MB";
  }

  /** p3's flags from its next start: its DNS port and this minimum. */
  private void withSmallMinFree(String minFree) {
    cluster.withNodeArgs(small.index, "--dns.port=" + dns, "--storage.minFreeBytes=" + minFree);
    smallMinFree = minFree;
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

  private static Http.Response put(JarCluster.Node n, String name, String id) {
    return Http.put(n.base() + "/v1/services/" + id, new JsonObject().put("name", name).put("address", "10.0.0.9")
        .put("port", 9000).encode());
  }

  private static Browser startBrowser() {
    try {
      return Browser.start();
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  private static void closeBrowser(Browser browser) {
    try {
      browser.close();
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", cmd) + " (needs root): " + out).isZero();
  }
}
