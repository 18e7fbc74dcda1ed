package io.cairn.bridge;

import io.cairn.support.Browser;
import io.cairn.support.Http;
import io.cairn.support.RedisServer;
import io.cairn.support.SseStream;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Redis bridge on a real node and a real Redis (Debian's redis-server, with a password): every event of a burst
 * reaches a {@code redis-cli SUBSCRIBE} in order and as the SSE stream sends it; the hashes equal Cairn's view after
 * the burst and after Redis is killed and started again in the middle of another; a bridge whose Redis is not there
 * leaves the node serving and shows as disconnected, counting its errors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisBridgeIT {
  private static final String PASSWORD = "it-secret";
  private static final String CHANNEL = "cairn.it.events";
  private static final String PREFIX = "it";
  private static final Duration BOUND = Duration.ofSeconds(60);

  private RedisServer redis;
  private TestNodes cluster;
  private TestNodes.Node node;
  private Vertx vertx;

  @BeforeAll
  void start() throws Exception {
    redis = RedisServer.start(PASSWORD);
    int nobody = TestNodes.freePort();
    JsonArray bridges = new JsonArray()
        .add(new JsonObject().put("type", "redis").put("id", "live").put("endpoint", redis.endpoint())
            .put("password", PASSWORD).put("channel", CHANNEL).put("keyPrefix", PREFIX))
        .add(new JsonObject().put("type", "redis").put("id", "nowhere").put("endpoint", "redis://127.0.0.1:" + nobody));
    cluster = new TestNodes(1);
    node = cluster.start(0, new JsonObject().put("bridges", bridges));
    vertx = Vertx.vertx();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      cluster.close();
    } finally {
      try {
        redis.close();
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get();
      }
    }
  }

  @Test
  @Order(1)
  void aBridgeWhoseRedisIsNotThereLeavesTheNodeServingAndShowsDisconnectedWithItsErrorsCounted() throws Exception {
    assertThat(Http.put(node.base() + "/v1/services/alone-1", instance("alone")).status()).isEqualTo(201);
    assertThat(Http.get(node.base() + "/v1/services/alone-1").status()).isEqualTo(200);
    await().atMost(BOUND).untilAsserted(() -> {
      JsonObject b = bridge("nowhere");
      assertThat(b.getBoolean("running")).isTrue();
      assertThat(b.getBoolean("connected")).isFalse();
      assertThat(b.getString("lastError")).contains("127.0.0.1");
    });
    // The first try fails at once and the next after a second's back-off: two failures counted, and more later.
    await().atMost(BOUND).until(() -> errorsMetric("nowhere") >= 2);
    // The topology page shows both bridges under the nodes: this one disconnected, the other connected.
    try (Browser browser = Browser.start()) {
      browser.open(node.base() + "/");
      await().atMost(BOUND).ignoreExceptions().untilAsserted(() -> {
        assertThat(browser.attribute("[data-bridge='nowhere']", "data-state")).isEqualTo("disconnected");
        assertThat(browser.text("[data-bridge='nowhere']")).startsWith("nowhere (redis) on " + node.id() + ": disconnected")
            .contains("errors, last: ");
        assertThat(browser.attribute("[data-bridge='live']", "data-state")).isEqualTo("connected");
      });
    }
  }

  @Test
  @Order(2)
  void everyEventOfABurstReachesASubscriberInOrderAsSseSendsItAndTheHashesEqualCairnsView() throws Exception {
    awaitLive(0);
    try (RedisServer.Subscriber subscriber = redis.subscribe(CHANNEL)) {
      long from = revision();
      try (SseStream sse = SseStream.open(vertx, node.base() + "/v1/events?since=" + from, null)) {
        long started = System.nanoTime();
        // 850 registrations (10 of a name that then goes), then 130 deregistrations and 10 ids moved to another name.
        burst(850, i -> i < 840 ? put("burst-" + i, "burst-" + i % 4) : put("gone-" + (i - 840), "burst-gone"));
        burst(150, i -> i < 10 ? delete("gone-" + i) : i < 140 ? delete("burst-" + (i + 90)) : put("burst-" + (i - 140),
            "burst-moved"));
        long acknowledged = System.nanoTime();
        long to = revision();
        await().atMost(BOUND).pollInterval(Duration.ofMillis(10))
            .until(() -> !subscriber.messages.isEmpty()
                && new JsonObject(subscriber.messages.get(subscriber.messages.size() - 1)).getLong("revision") >= to);
        long received = System.nanoTime();
        await().atMost(BOUND).until(() -> lastRevision(events(sse)) >= to);
        System.out.printf("RedisBridgeIT: 1,000 writes in %d ms; the subscriber had the last event %d ms after the "
            + "last acknowledgement%n", (acknowledged - started) / 1_000_000, (received - acknowledged) / 1_000_000);

        List<JsonObject> published = parsed(subscriber.messages);
        List<Long> revisions = published.stream().map(e -> e.getLong("revision")).toList();
        assertThat(revisions).isSorted();
        List<JsonObject> burst = published.stream().filter(e -> e.getLong("revision") > from).toList();
        List<JsonObject> streamed = events(sse).stream().filter(e -> e.getLong("revision") <= to).toList();
        assertThat(burst).hasSize(streamed.size()).isEqualTo(streamed);
        assertThat(burst.stream().filter(e -> e.containsKey("service"))).hasSize(1_000);
      }
    }
    assertRedisHoldsCairnsView();
    assertThat(redis.cli("SISMEMBER", PREFIX + ":services", "burst-gone")).containsExactly("0");
    assertThat(redis.cli("EXISTS", PREFIX + ":service:burst-gone")).containsExactly("0");
  }

  @Test
  @Order(3)
  void theHashesEqualCairnsViewAgainAfterRedisIsKilledAndStartedInTheMiddleOfABurst() throws Exception {
    long errorsBefore = awaitLive(0).getLong("errors");
    AtomicInteger done = new AtomicInteger();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> writes = new ArrayList<>();
      for (int i = 0; i < 600; i++) {
        int n = i;
        writes.add(writers.submit(() -> {
          assertThat(put("restart-" + n, "restart-" + n % 3)).isEqualTo(201);
          done.incrementAndGet();
        }));
      }
      await().atMost(BOUND).until(() -> done.get() >= 300);
      redis.kill();
      redis.startAgain();
      long restarted = System.nanoTime();
      for (Future<?> w : writes) {
        w.get();
      }
      JsonObject live = await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> bridge("live"),
          b -> b.getBoolean("connected") && b.getLong("errors") > errorsBefore);
      System.out.printf("RedisBridgeIT: the bridge was connected again %d ms after Redis was (%d error(s): %s)%n",
          (System.nanoTime() - restarted) / 1_000_000, live.getLong("errors") - errorsBefore, live.getString("lastError"));
    } finally {
      writers.shutdownNow();
    }
    await().atMost(BOUND).ignoreExceptions().untilAsserted(this::assertRedisHoldsCairnsView);
  }

  /** Every instance Cairn holds, and nothing else, in Redis's hashes (without their term) and set of names. */
  private void assertRedisHoldsCairnsView() throws Exception {
    Set<String> cairnNames = new TreeSet<>();
    for (Object o : services("status=any")) {
      cairnNames.add(((JsonObject) o).getString("name"));
    }
    long term = bridge("live").getLong("term");
    Set<String> names = new TreeSet<>(redis.cli("SMEMBERS", PREFIX + ":services"));
    assertThat(names).isEqualTo(cairnNames);
    for (String name : names) {
      Map<String, JsonObject> cairn = new TreeMap<>();
      for (Object o : services("name=" + name + "&status=any")) {
        cairn.put(((JsonObject) o).getString("id"), (JsonObject) o);
      }
      List<String> fields = redis.cli("HGETALL", PREFIX + ":service:" + name);
      Map<String, JsonObject> stored = new TreeMap<>();
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        JsonObject value = new JsonObject(fields.get(i + 1));
        assertThat(value.getLong("term")).as(name + " " + fields.get(i)).isEqualTo(term);
        value.remove("term");
        stored.put(fields.get(i), value);
      }
      assertThat(stored).as(name).isEqualTo(cairn);
    }
  }

  private JsonArray services(String query) {
    return Http.get(node.base() + "/v1/services?" + query).json().getJsonArray("services");
  }

  /** Runs {@code count} writes on eight threads; each write answers its HTTP status, which must be a success. */
  private static void burst(int count, IntFunction<Integer> write) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> statuses = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int n = i;
        statuses.add(pool.submit(() -> write.apply(n)));
      }
      for (Future<Integer> s : statuses) {
        assertThat(s.get()).isBetween(200, 204);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private int put(String id, String name) {
    return Http.put(node.base() + "/v1/services/" + id, instance(name)).status();
  }

  private int delete(String id) {
    return Http.delete(node.base() + "/v1/services/" + id).status();
  }

  private static String instance(String name) {
    return new JsonObject().put("name", name).put("address", "10.0.0.1").put("port", 8080)
        .put("metadata", new JsonObject().put("team", "it")).encode();
  }

  private long revision() {
    return Http.get(node.base() + "/v1/status").json().getLong("revision");
  }

  private static long lastRevision(List<JsonObject> events) {
    return events.isEmpty() ? 0 : events.get(events.size() - 1).getLong("revision");
  }

  private static List<JsonObject> parsed(List<String> messages) {
    return messages.stream().map(JsonObject::new).toList();
  }

  /** The events the SSE stream sent (each an event's data, as {@code event: <type>} announced it). */
  private static List<JsonObject> events(SseStream sse) {
    return sse.events.stream().filter(e -> e.getJsonObject("data") != null
        && e.getString("event").equals(e.getJsonObject("data").getString("type"))).map(e -> e.getJsonObject("data"))
        .toList();
  }

  /** Waits until the live bridge runs, is connected and has mirrored everything; its status then. */
  private JsonObject awaitLive(long lag) {
    return await().atMost(BOUND).until(() -> bridge("live"),
        b -> b.getBoolean("running") && b.getBoolean("connected") && b.getLong("lagRevisions", -1L) <= lag);
  }

  private JsonObject bridge(String id) {
    for (Object o : Http.get(node.base() + "/v1/bridges").json().getJsonArray("bridges")) {
      if (((JsonObject) o).getString("id").equals(id)) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError("no bridge " + id);
  }

  private double errorsMetric(String bridge) {
    String series = "cairn_bridge_errors_total{bridge=\"" + bridge + "\",node=\"" + node.id() + "\"}";
    for (String line : Http.get(node.base() + "/metrics").body().split("\n")) {
      if (line.startsWith(series)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }
}
