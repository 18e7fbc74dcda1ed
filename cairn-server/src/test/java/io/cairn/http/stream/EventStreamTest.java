package io.cairn.http.stream;

import io.cairn.support.Http;
import io.cairn.support.SseStream;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** SSE with resume on another node, WebSocket snapshot + events + subscription, blocking queries, gzip. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventStreamTest {
  private TestNodes cluster;
  private String a;
  private String b;
  private Vertx clientVertx;

  @BeforeAll
  void start() {
    cluster = new TestNodes(2);
    JsonObject smallHistory = new JsonObject().put("replication", new JsonObject().put("eventHistory", 200));
    a = cluster.start(0, smallHistory).base();
    b = cluster.start(1, smallHistory).base();
    clientVertx = Vertx.vertx();
  }

  @AfterAll
  void stop() {
    cluster.close();
    clientVertx.close();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Registers through {@code base}. A two-node group on a loaded machine can lose its leader for a moment (a write
   * then answers 503, as it should); these tests are about streams, so the write is made again until it is taken.
   */
  private static long register(String base, String id) {
    String body = new JsonObject().put("name", id.substring(0, id.lastIndexOf('-')))
        .put("address", "127.0.0.1").put("port", 9000).encode();
    Http.Response answer = taken("a write taken through " + base, () -> Http.put(base + "/v1/services/" + id, body));
    assertThat(answer.status()).isIn(200, 201);
    return answer.json().getLong("revision");
  }

  /** A bulk registration, made again while the group elects (see {@link #register}); its revision. */
  private static long bulk(String base, JsonArray items) {
    Http.Response answer = taken("a bulk write taken through " + base,
        () -> Http.post(base + "/v1/services:bulk", items.encode()));
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.revisionHeader()).as("the bulk write's revision").isPositive();
    return answer.revisionHeader();
  }

  /** The first answer to {@code write} other than 503, trying for up to a minute. */
  private static Http.Response taken(String what, Supplier<Http.Response> write) {
    Http.Response[] answer = new Http.Response[1];
    await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      answer[0] = write.get();
      return answer[0].status() != 503;
    });
    return answer[0];
  }

  @Test
  void anSseWatcherResumesOnAnotherNodeWithNoGapAndNoDuplicate() throws Exception {
    String name = unique("sse");
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    String lastId;
    try (SseStream watcher = SseStream.open(clientVertx, a + "/v1/events?name=" + name, null)) {
      for (int i = 0; i < 5; i++) {
        first.add(name + "-" + i);
        register(b, name + "-" + i);
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> watcher.serviceIds("serviceRegistered").size() == 5);
      assertThat(watcher.serviceIds("serviceRegistered")).containsExactlyElementsOf(first);
      lastId = watcher.lastId();
    }
    for (int i = 5; i < 10; i++) {
      second.add(name + "-" + i);
      register(a, name + "-" + i);
    }
    try (SseStream resumed = SseStream.open(clientVertx, b + "/v1/events?name=" + name, lastId)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> resumed.serviceIds("serviceRegistered").size() >= 5);
      register(b, name + "-10");
      second.add(name + "-10");
      await().atMost(Duration.ofSeconds(5)).until(() -> resumed.serviceIds("serviceRegistered").size() >= 6);
      assertThat(resumed.serviceIds("serviceRegistered")).as("resumed after " + lastId).containsExactlyElementsOf(second);
      // Ids are revisions, increasing.
      long previous = Long.parseLong(lastId.split(":")[0]);
      for (JsonObject e : resumed.events) {
        long revision = Long.parseLong(e.getString("id").split(":")[0]);
        assertThat(revision).isGreaterThanOrEqualTo(previous);
        previous = revision;
      }
    }
  }

  @Test
  void aWatcherOlderThanTheHistoryGetsAResetAndASnapshotThenLiveEvents() throws Exception {
    String name = unique("old");
    register(a, name + "-0");
    // 250 events after it, past the history's 200: in one bulk write (250 writes one after another, each forced to
    // disk on both nodes, took a minute on a loaded machine).
    String filler = unique("filler");
    JsonArray fillers = new JsonArray();
    for (int i = 0; i < 250; i++) {
      fillers.add(new JsonObject().put("id", filler + "-" + i).put("name", filler).put("address", "127.0.0.1")
          .put("port", 9000));
    }
    long pushedOut = bulk(a, fillers);
    // The watcher opens on the other node: once that node has applied the bulk write too, or it would still hold
    // the watcher's revision and stream from it without a reset.
    await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(b + "/health").revisionHeader() >= pushedOut);
    try (SseStream watcher = SseStream.open(clientVertx, b + "/v1/events?since=1&name=" + name, null)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> watcher.events.size() >= 2);
      assertThat(watcher.events.get(0).getString("event")).isEqualTo("reset");
      JsonObject snapshot = watcher.events.get(1);
      assertThat(snapshot.getString("event")).isEqualTo("snapshot");
      assertThat(snapshot.getJsonObject("data").getJsonArray("services")).hasSize(1);
      register(a, name + "-1");
      await().atMost(Duration.ofSeconds(5)).until(() -> watcher.serviceIds("serviceRegistered").contains(name + "-1"));
    }
  }

  private WebSocket connect(String base, String query, List<JsonObject> frames) {
    // A snapshot is one message: let the client take a large registry in one.
    WebSocketClient client = clientVertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
        .setMaxMessageSize(64 << 20).setMaxFrameSize(64 << 20));
    URI uri = URI.create(base);
    return TestNodes.await(client.connect(new WebSocketConnectOptions().setHost(uri.getHost()).setPort(uri.getPort())
        .setURI("/v1/ws" + query)).onSuccess(ws -> ws.textMessageHandler(t -> frames.add(new JsonObject(t))))
        .toCompletionStage().toCompletableFuture(), 10);
  }

  /** Frames other than the progress notes a watcher gets each second when revisions brought it nothing. */
  private static List<JsonObject> withoutProgress(List<JsonObject> frames) {
    return frames.stream().filter(f -> !"progress".equals(f.getString("type"))).toList();
  }

  @Test
  void aWebSocketResumesAfterARevisionAndIsToldOfRevisionsThatBroughtItNothing() {
    String name = unique("wsresume");
    long first = register(a, name + "-0");
    register(a, name + "-1");
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = connect(b, "?name=" + name + "&since=" + first, frames);
    await().atMost(Duration.ofSeconds(5)).until(() -> frames.stream().anyMatch(f -> "serviceRegistered".equals(f.getString("type"))));
    assertThat(frames).noneMatch(f -> "snapshot".equals(f.getString("type")));
    assertThat(frames.stream().filter(f -> "serviceRegistered".equals(f.getString("type")))
        .map(f -> f.getJsonObject("service").getString("id"))).containsExactly(name + "-1");
    long unrelated = register(a, unique("elsewhere"));
    await().atMost(Duration.ofSeconds(5)).until(() -> frames.stream()
        .anyMatch(f -> "progress".equals(f.getString("type")) && f.getLong("revision") >= unrelated));
    assertThat(frames.stream().filter(f -> "serviceRegistered".equals(f.getString("type")))).hasSize(1);
    ws.close();
  }

  @Test
  void aWebSocketSnapshotCarriesTheRoutesOfTheServicesItWatches() {
    String name = unique("wsrouted");
    String other = unique("wsunrouted");
    for (String service : List.of(name, other)) {
      assertThat(Http.put(a + "/v1/routes/" + service, new JsonObject().put("service", service)
          .put("match", new JsonObject().put("pathPrefix", "/" + service + "/")).encode()).status()).isEqualTo(201);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(b + "/v1/routes/" + other).status() == 200);
    List<JsonObject> narrow = new CopyOnWriteArrayList<>();
    List<JsonObject> whole = new CopyOnWriteArrayList<>();
    WebSocket one = connect(b, "?name=" + name, narrow);
    WebSocket all = connect(b, "", whole);
    await().atMost(Duration.ofSeconds(5)).until(() -> !narrow.isEmpty() && !whole.isEmpty());
    assertThat(narrow.get(0).getJsonArray("routes").stream().map(r -> ((JsonObject) r).getString("id")))
        .containsExactly(name);
    assertThat(whole.get(0).getJsonArray("routes").stream().map(r -> ((JsonObject) r).getString("id")))
        .contains(name, other);
    one.close();
    all.close();
    for (String service : List.of(name, other)) {
      Http.delete(a + "/v1/routes/" + service);
    }
  }

  @Test
  void aQuietWatcherStillHearsFromItsNodeEveryTenSeconds() {
    String name = unique("quiet");
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = connect(a, "?name=" + name, frames);
    await().atMost(Duration.ofSeconds(5)).until(() -> !frames.isEmpty());
    long start = System.nanoTime();
    int before = frames.size();
    // Nothing happens to this name: the node still says it is there, so a client can tell quiet from dead.
    await().atMost(Duration.ofSeconds(15)).until(() -> frames.size() > before);
    assertThat(frames.get(frames.size() - 1).getString("type")).isEqualTo("progress");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(12));
    ws.close();
  }

  @Test
  void aWebSocketGetsASnapshotThenEventsAndCanNarrowItsSubscription() {
    String name = unique("ws");
    String other = unique("wsother");
    register(a, name + "-0");
    // Written on a, watched on b: the snapshot holds it once b has applied it.
    await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(b + "/v1/services/" + name + "-0").status() == 200);
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = connect(b, "", frames);
    await().atMost(Duration.ofSeconds(5)).until(() -> !frames.isEmpty());
    assertThat(frames.get(0).getString("type")).isEqualTo("snapshot");
    assertThat(frames.get(0).getJsonArray("services").stream().map(o -> ((JsonObject) o).getString("id")))
        .contains(name + "-0");
    ws.writeTextMessage(new JsonObject().put("subscribe", new JsonObject().put("name", name)).encode());
    await().atMost(Duration.ofSeconds(5)).until(() -> withoutProgress(frames).size() >= 2);
    assertThat(withoutProgress(frames).get(1).getString("type")).isEqualTo("snapshot");
    assertThat(withoutProgress(frames).get(1).getJsonArray("services")).hasSize(1);
    register(a, other + "-0");
    register(a, name + "-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> frames.stream().anyMatch(f -> "serviceRegistered".equals(f.getString("type"))));
    List<String> registered = frames.stream().filter(f -> "serviceRegistered".equals(f.getString("type")))
        .map(f -> f.getJsonObject("service").getString("id")).toList();
    assertThat(registered).containsExactly(name + "-1");
    ws.close();
  }

  @Test
  void aWebSocketOpenedWithRecentGetsTheEventsThatLedToItsSnapshotOnceAndNoneTwice() {
    String name = unique("recent");
    long last = 0;
    for (int i = 0; i < 8; i++) {
      last = register(a, name + "-" + i);
    }
    long written = last;
    await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(b + "/v1/services/" + name + "-7").status() == 200);
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = connect(b, "?name=" + name + "&recent=5", frames);
    await().atMost(Duration.ofSeconds(10)).until(() -> !frames.isEmpty());
    JsonObject snapshot = frames.get(0);
    assertThat(snapshot.getString("type")).isEqualTo("snapshot");
    List<JsonObject> recent = snapshot.getJsonArray("recent").stream().map(o -> (JsonObject) o).toList();
    assertThat(recent.stream().map(e -> e.getJsonObject("service").getString("id")))
        .as("the last five of this name, oldest first").containsExactly(name + "-3", name + "-4", name + "-5",
            name + "-6", name + "-7");
    assertThat(recent).allMatch(e -> "serviceRegistered".equals(e.getString("type"))
        && e.getLong("revision") <= snapshot.getLong("revision") && e.getLong("revision") <= written);
    // Live events follow as usual; a later snapshot (a changed subscription) carries no history again.
    register(a, name + "-8");
    await().atMost(Duration.ofSeconds(10)).until(() -> frames.stream().anyMatch(f -> "serviceRegistered".equals(
        f.getString("type")) && (name + "-8").equals(f.getJsonObject("service").getString("id"))));
    ws.writeTextMessage(new JsonObject().put("subscribe", new JsonObject().put("name", name)).encode());
    await().atMost(Duration.ofSeconds(10)).until(() -> frames.stream().filter(f -> "snapshot".equals(f.getString("type"))).count() == 2);
    assertThat(frames.stream().filter(f -> "snapshot".equals(f.getString("type"))).toList().get(1).containsKey("recent"))
        .isFalse();
    ws.close();

    Http.Response refused = Http.get(b + "/v1/ws?recent=many");
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().getString("error")).isEqualTo("invalid_recent");
  }

  @Test
  void aSlowWebSocketConsumerDoesNotDelayAFastOneAndGetsASnapshotWhenItCatchesUp() {
    String name = unique("flood");
    List<JsonObject> fastFrames = new CopyOnWriteArrayList<>();
    List<JsonObject> slowFrames = new CopyOnWriteArrayList<>();
    WebSocket fast = connect(a, "?name=" + name, fastFrames);
    WebSocket slow = connect(a, "?name=" + name, slowFrames);
    await().atMost(Duration.ofSeconds(5)).until(() -> !fastFrames.isEmpty() && !slowFrames.isEmpty());
    slow.pause();
    int total = 0;
    long lastWrite = 0;
    // About 25 MB of events: more than the paused client's socket buffers and its 1 MB write queue hold.
    JsonObject padding = new JsonObject();
    for (int k = 0; k < 5; k++) {
      padding.put("padding" + k, "x".repeat(500));
    }
    for (int batch = 0; batch < 50; batch++) {
      JsonArray items = new JsonArray();
      for (int i = 0; i < 200; i++) {
        items.add(new JsonObject().put("id", name + "-" + total++).put("name", name).put("address", "127.0.0.1")
            .put("port", 9000).put("metadata", padding));
      }
      bulk(a, items);
      lastWrite = System.currentTimeMillis();
    }
    int expected = total;
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> fastFrames.stream()
          .filter(f -> "serviceRegistered".equals(f.getString("type"))).count() == expected);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("fast consumer frames: " + fastFrames.stream().collect(java.util.stream.Collectors
          .groupingBy(f -> f.getString("type"), java.util.stream.Collectors.counting())), e);
    }
    long fastDone = System.currentTimeMillis() - lastWrite;
    assertThat(fastDone).as("the fast consumer had everything within ms of the last write").isLessThan(2_000);
    slow.resume();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> slowFrames.stream().anyMatch(f -> "reset".equals(f.getString("type"))));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("slow consumer frames: " + slowFrames.stream().collect(java.util.stream.Collectors
          .groupingBy(f -> f.getString("type"), java.util.stream.Collectors.counting())), e);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> slowFrames.stream().anyMatch(f -> "snapshot".equals(f.getString("type"))
        && f.getInteger("count") == expected));
    fast.close();
    slow.close();
  }

  @Test
  void aBlockingQueryWakesOnARelevantChangeAndNotOnAnIrrelevantOne() throws Exception {
    String name = unique("block");
    register(a, name + "-0");
    // Written on a, read on b: wait until b has applied it, or that would be the change the query wakes on.
    await().atMost(Duration.ofSeconds(10)).until(() ->
        Http.get(b + "/v1/services?name=" + name).json().getInteger("count") == 1);
    Http.Response first = Http.get(b + "/v1/services?name=" + name);
    String index = first.headers().firstValue("X-Cairn-Revision").orElseThrow();
    CompletableFuture<Http.Response> waiting = CompletableFuture.supplyAsync(() ->
        Http.get(b + "/v1/services?name=" + name + "&index=" + index + "&wait=20s"));
    // Whether the query is already waiting or not yet, the unrelated change is after its index.
    register(a, unique("unrelated"));
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(1))
        .until(() -> !waiting.isDone());
    assertThat(waiting).as("an unrelated change does not wake it").isNotDone();
    long changedAt = System.currentTimeMillis();
    register(a, name + "-1");
    Http.Response answer = waiting.get(5, TimeUnit.SECONDS);
    assertThat(System.currentTimeMillis() - changedAt).isLessThan(1_000);
    assertThat(answer.json().getInteger("count")).isEqualTo(2);

    long started = System.currentTimeMillis();
    Http.Response timedOut = Http.get(b + "/v1/services?name=" + name + "&index="
        + answer.headers().firstValue("X-Cairn-Revision").orElseThrow() + "&wait=1s");
    assertThat(System.currentTimeMillis() - started).isBetween(900L, 3_000L);
    assertThat(timedOut.json().getInteger("count")).isEqualTo(2);
  }

  @Test
  void answersAreGzippedWhenTheClientAsks() throws Exception {
    HttpURLConnection c = (HttpURLConnection) URI.create(a + "/v1/services?status=any").toURL().openConnection();
    c.setRequestProperty("Accept-Encoding", "gzip");
    assertThat(c.getResponseCode()).isEqualTo(200);
    assertThat(c.getHeaderField("Content-Encoding")).isEqualTo("gzip");
    try (var in = new java.util.zip.GZIPInputStream(c.getInputStream())) {
      assertThat(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).containsKey("services")).isTrue();
    }
  }
}
