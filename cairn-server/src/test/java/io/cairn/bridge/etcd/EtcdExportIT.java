package io.cairn.bridge.etcd;

import io.cairn.support.EtcdServer;
import io.cairn.support.EtcdServer.Entry;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The etcd export on three Cairn processes against a real etcd (issue 27, "What must hold", export): a burst of
 * registrations through all three nodes reaches etcd (read with etcdctl) within 2 s of the last acknowledgement; a
 * deregistration deletes its key; SIGKILL of the node that runs the bridge moves it to another within 10 s, after
 * which etcd equals Cairn and no key was written by the old term once the new one held the fence; with every node
 * stopped the keys expire with the lease.
 */
class EtcdExportIT {
  private static final String PREFIX = "/it";
  private static final int INSTANCES = 1_000;
  private static final long LEASE_TTL_MILLIS = 6_000;
  private static final Duration WHOLE = Duration.ofSeconds(120);
  private EtcdServer etcd;
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void cairnsRegistryMirroredToEtcdThroughAKillAndUntilEveryNodeStopped() throws Exception {
    etcd = EtcdServer.start();
    JsonArray bridges = new JsonArray().add(new JsonObject().put("type", "etcd-export").put("id", "to-etcd")
        .put("endpoints", new JsonArray().add(etcd.endpoint())).put("prefix", PREFIX)
        .put("leaseTtl", LEASE_TTL_MILLIS / 1000 + "s"));
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3", "--bridges=" + bridges.encode());
    cluster.startWhole(WHOLE);
    JsonObject first = awaitBridge(cluster.node(0), null, Duration.ofSeconds(60));

    // 1,000 registrations spread over the three nodes, eight at a time.
    long lastAck = register();
    long appeared = awaitCount(INSTANCES, Duration.ofSeconds(30));
    long millis = (appeared - lastAck) / 1_000_000;
    System.out.printf("etcd export: %d registrations through 3 nodes in etcd %d ms after the last acknowledgement%n",
        INSTANCES, millis);
    assertThat(millis).as("ms from the last acknowledgement until etcdctl lists all %d keys", INSTANCES)
        .isLessThanOrEqualTo(2_000);

    assertThat(Http.delete(cluster.node(1).base() + "/v1/services/i0000").status()).isEqualTo(200);
    awaitCount(INSTANCES - 1, Duration.ofSeconds(10));
    assertThat(etcd.entries(PREFIX + "/services/")).doesNotContainKey(PREFIX + "/services/web-0/i0000");

    // SIGKILL of the node that runs the bridge.
    JarCluster.Node runner = node(first.getString("node"));
    JarCluster.Node witness = cluster.other(runner);
    long killedAt = System.nanoTime();
    cluster.kill(runner);
    JsonObject moved = awaitBridge(witness, runner.id, Duration.ofSeconds(30));
    long takeover = (System.nanoTime() - killedAt) / 1_000_000;
    System.out.printf("etcd export: bridge moved from %s (term %d) to %s (term %d) %d ms after SIGKILL%n", runner.id,
        first.getLong("term"), moved.getString("node"), moved.getLong("term"), takeover);
    assertThat(takeover).as("ms from SIGKILL of the bridge's node until another runs it").isLessThanOrEqualTo(10_000);

    // Changes in the new term, then etcd holds exactly what Cairn holds.
    for (int i = 1; i <= 20; i++) {
      assertThat(Http.delete(witness.base() + "/v1/services/" + id(i)).status()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(etcdView()).isEqualTo(cairnView(witness)));

    long oldTerm = first.getLong("term");
    long newTerm = moved.getLong("term");
    Entry fence = etcd.entries(PREFIX + "/_cairn/term").get(PREFIX + "/_cairn/term");
    assertThat(fence.value()).isEqualTo(EtcdExport.fence(newTerm));
    for (Map.Entry<String, Entry> e : etcd.entries(PREFIX + "/services/").entrySet()) {
      long term = e.getValue().json().getLong("term");
      assertThat(term).as("term of %s", e.getKey()).isIn(oldTerm, newTerm);
      if (e.getValue().modRevision() > fence.modRevision()) {
        assertThat(term).as("%s written after term %d took the fence", e.getKey(), newTerm).isEqualTo(newTerm);
      }
    }

    // Every node stopped: nobody keeps the lease alive, and the keys expire with it.
    long stoppedAt = System.nanoTime();
    cluster.killAll();
    await().atMost(Duration.ofMillis(LEASE_TTL_MILLIS + 20_000)).pollInterval(Duration.ofMillis(100))
        .until(() -> etcd.entries(PREFIX + "/services/").isEmpty());
    long expired = (System.nanoTime() - stoppedAt) / 1_000_000;
    System.out.printf("etcd export: keys expired %d ms after every Cairn node stopped (lease TTL %d ms)%n", expired,
        LEASE_TTL_MILLIS);
    assertThat(expired).as("ms until the keys expired").isLessThanOrEqualTo(LEASE_TTL_MILLIS + 5_000);
    assertThat(etcd.entries(PREFIX + "/_cairn/")).containsOnlyKeys(PREFIX + "/_cairn/term");
  }

  private static String id(int i) {
    return String.format("i%04d", i);
  }

  /** Registers the instances, each through node i % 3; answers when the last acknowledgement came (nanoTime). */
  private long register() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Long>> acks = new ArrayList<>();
      for (int i = 0; i < INSTANCES; i++) {
        String base = cluster.node(i % 3).base();
        JsonObject body = new JsonObject().put("name", "web-" + (i % 10)).put("address", "10.1." + (i / 250) + "."
            + (i % 250)).put("port", 8080);
        String id = id(i);
        acks.add(pool.submit(() -> {
          Http.Response r = Http.put(base + "/v1/services/" + id, body.encode());
          assertThat(r.status()).as("PUT %s: %s", id, r.body()).isIn(200, 201);
          return System.nanoTime();
        }));
      }
      long last = 0;
      for (Future<Long> ack : acks) {
        last = Math.max(last, ack.get(120, TimeUnit.SECONDS));
      }
      return last;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Polls etcdctl until {@code count} keys lie under the services prefix; answers when (nanoTime). */
  private long awaitCount(int count, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    int seen = -1;
    while (System.nanoTime() < deadline) {
      seen = new JsonObject(etcd.etcdctl("get", PREFIX + "/services/", "--prefix", "--keys-only", "-w", "json"))
          .getInteger("count", 0);
      if (seen == count) {
        return System.nanoTime();
      }
      JarCluster.pause(20);
    }
    throw new AssertionError(seen + " keys in etcd, not " + count + ", after " + within + ":\n" + cluster.views()
        + cluster.logs(30));
  }

  /** Waits until {@code asked}'s GET /v1/bridges shows the bridge running and connected on a node other than {@code not}. */
  private JsonObject awaitBridge(JarCluster.Node asked, String not, Duration within) {
    JsonObject[] seen = {null};
    try {
      await().atMost(within).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
        seen[0] = Http.get(asked.base() + "/v1/bridges").json().getJsonArray("bridges").getJsonObject(0);
        return seen[0].getBoolean("running") && seen[0].getBoolean("connected")
            && !seen[0].getString("node").equals(not);
      });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("bridge not running elsewhere than " + not + " after " + within + ": " + seen[0] + "\n"
          + cluster.views() + cluster.logs(40), e);
    }
    return seen[0];
  }

  private JarCluster.Node node(String id) {
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.node(i).id.equals(id)) {
        return cluster.node(i);
      }
    }
    throw new AssertionError("no node " + id);
  }

  /** Every key of the export and its document, without the term it was written in. */
  private Map<String, JsonObject> etcdView() {
    Map<String, JsonObject> view = new TreeMap<>();
    etcd.entries(PREFIX + "/services/").forEach((key, e) -> {
      JsonObject doc = e.json();
      doc.remove("term");
      view.put(key, doc);
    });
    return view;
  }

  /** What the export should hold for Cairn's instances, as {@code node} shows them. */
  private static Map<String, JsonObject> cairnView(JarCluster.Node node) {
    Map<String, JsonObject> view = new TreeMap<>();
    for (Object o : Http.get(node.base() + "/v1/services?status=any").json().getJsonArray("services")) {
      JsonObject instance = (JsonObject) o;
      view.put(PREFIX + "/services/" + instance.getString("name") + "/" + instance.getString("id"),
          instance.copy().put("bridge", "to-etcd"));
    }
    return view;
  }
}
