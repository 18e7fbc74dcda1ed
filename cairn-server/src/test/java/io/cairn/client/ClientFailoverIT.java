package io.cairn.client;

import io.cairn.grpc.v1.Instance;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.SseStream;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Java client against three processes of the fat jar: it watches a service through the first node, that node
 * is SIGKILLed while the service keeps changing, and the client goes on through another node. It must hear every
 * change once, in order (compared with the log's events for that name), and end with a cache equal to what the
 * cluster serves; calls made after the kill go through another node.
 */
class ClientFailoverIT {
  private static final String NAME = "failover";
  private JarCluster cluster;
  private Vertx sseVertx;

  @AfterEach
  void stop() throws Exception {
    if (sseVertx != null) {
      sseVertx.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aWatchingClientFollowsTheClusterWhenItsNodeIsKilledAndMissesNoChange() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startWhole(Duration.ofSeconds(120));
    for (int i = 0; i < 20; i++) {
      register(cluster.node(1), i, "1.0.0");
    }
    // Acknowledged through node 1; node 0, which the client asks first, applies the log on its own replica a moment
    // later (reads are local), so the watch starts once it serves all twenty.
    await().atMost(Duration.ofSeconds(30)).until(() -> served(cluster.node(0)).size() == 20);
    String[] addresses = new String[3];
    for (int i = 0; i < 3; i++) {
      addresses[i] = cluster.node(i).base().substring("http://".length());
    }
    try (CairnClient client = CairnClient.builder().nodes(addresses).retryInterval(Duration.ofMillis(200))
        .continuousRetry().build()) {
      assertThat(client.watch(NAME).toCompletionStage().toCompletableFuture().get()).hasSize(20);
      long loadedAt = client.revision(NAME);
      List<String> heard = new CopyOnWriteArrayList<>();
      client.addListener(NAME, (instance, removed) ->
          heard.add((removed ? "-" : "+") + instance.getId() + "@" + instance.getRevision()));
      assertThat(client.currentNode()).isEqualTo(addresses[0]);

      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger writes = new AtomicInteger();
      Thread writer = new Thread(() -> change(writing, writes), "writer");
      writer.start();
      // Each write waits for a Raft commit; on a loaded machine that is a fraction of a second: generous bounds.
      await().atMost(Duration.ofSeconds(120)).until(() -> writes.get() >= 60);
      cluster.kill(cluster.node(0));
      int atKill = writes.get();
      await().atMost(Duration.ofSeconds(120)).until(() -> writes.get() >= atKill + 60);
      writing.set(false);
      writer.join();

      // Calls move on too.
      Instance late = client.register(Instance.newBuilder().setId("failover-late").setName(NAME)
          .setAddress("127.0.0.1").setPort(9999).build()).toCompletionStage().toCompletableFuture().get();
      assertThat(client.currentNode()).isNotEqualTo(addresses[0]);

      // The cache ends equal to what the cluster serves.
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(revisions(client.instances(NAME))).isEqualTo(served(cluster.node(1))));
      assertThat(client.instances(NAME)).extracting(Instance::getId).contains(late.getId());

      // And it heard each change once, in the log's order.
      sseVertx = Vertx.vertx();
      List<String> logged = new ArrayList<>();
      try (SseStream log = SseStream.open(sseVertx, cluster.node(1).base() + "/v1/events?name=" + NAME
          + "&since=" + loadedAt, null)) {
        await().atMost(Duration.ofSeconds(10)).until(() -> log.events.stream()
            .anyMatch(e -> e.getJsonObject("data").getJsonObject("service").getString("id").equals(late.getId())));
        for (JsonObject e : log.events) {
          JsonObject data = e.getJsonObject("data");
          JsonObject service = data.getJsonObject("service");
          logged.add((data.getString("type").equals("serviceDeregistered") ? "-" : "+") + service.getString("id")
              + "@" + service.getLong("revision"));
        }
      }
      System.out.printf("client failover: %d changes, %d heard by the client, now on %s%n", logged.size(),
          heard.size(), client.currentNode());
      assertThat(heard).isEqualTo(logged);
    }
  }

  /** Registrations, version changes, disables and deregistrations, through the two nodes that stay. */
  private void change(AtomicBoolean writing, AtomicInteger writes) {
    Random random = new Random(7);
    int next = 20;
    while (writing.get()) {
      JarCluster.Node through = cluster.node(1 + random.nextInt(2));
      int roll = random.nextInt(10);
      int i = random.nextInt(next);
      int status;
      try {
        if (roll < 4) {
          status = register(through, next++, "1.0.0");
        } else if (roll < 7) {
          status = register(through, i, "1.0." + writes.get());
        } else if (roll < 9) {
          status = Http.post(through.base() + "/v1/services/failover-" + i + "/disable", "").status();
        } else {
          status = Http.delete(through.base() + "/v1/services/failover-" + i).status();
        }
      } catch (RuntimeException unreachable) {
        status = -1;
      }
      if (status == 200 || status == 201 || status == 404) {
        writes.incrementAndGet();
      }
    }
  }

  private static int register(JarCluster.Node through, int i, String version) {
    return Http.put(through.base() + "/v1/services/failover-" + i, new JsonObject().put("name", NAME)
        .put("version", version).put("address", "127.0.0.1").put("port", 9000 + i).encode()).status();
  }

  private static Map<String, Long> revisions(List<Instance> instances) {
    Map<String, Long> map = new TreeMap<>();
    instances.forEach(i -> map.put(i.getId(), i.getRevision()));
    return map;
  }

  private static Map<String, Long> served(JarCluster.Node node) {
    Map<String, Long> map = new TreeMap<>();
    Http.get(node.base() + "/v1/services?name=" + NAME + "&status=any").json().getJsonArray("services")
        .forEach(o -> map.put(((JsonObject) o).getString("id"), ((JsonObject) o).getLong("revision")));
    return map;
  }
}
