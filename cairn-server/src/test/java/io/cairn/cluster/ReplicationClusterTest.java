package io.cairn.cluster;

import io.cairn.client.RegistryService;
import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static io.cairn.support.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Three clustered nodes in one JVM, then a plain Vert.x member that uses the event-bus API, then a fourth node
 * that joins after the log before the last snapshot was deleted (so it must receive a snapshot) and must reach the
 * same digest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationClusterTest {
  /**
   * Frequent snapshots and small log files, so that the log before a snapshot is soon deleted and a late joiner
   * cannot replay from revision 1: it must receive the leader's snapshot.
   */
  private static final JsonObject SMALL_LOG = new JsonObject()
      .put("snapshot", new JsonObject().put("everyRevisions", 40).put("logSegmentSize", "16KB"));

  /**
   * How long a call may take and a change may take to reach every node: well beyond replication.writeTimeout
   * (10 s), so that a loaded machine fails a call with the node's own 503 rather than the test's impatience.
   */
  private static final int CALL_SECONDS = 30;
  private static final Duration SETTLE = Duration.ofSeconds(30);

  private TestNodes cluster;
  private List<TestNodes.Node> nodes;
  private Vertx plain;

  @BeforeAll
  void startThreeNodes() {
    cluster = new TestNodes(5);
    for (int i = 0; i < 3; i++) {
      cluster.start(i, SMALL_LOG);
    }
    nodes = new ArrayList<>(cluster.nodes());
    await().atMost(Duration.ofSeconds(30)).until(() ->
        nodes.stream().allMatch(n -> Http.get(n.base() + "/v1/nodes").json().getJsonArray("nodes").size() == 3));
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  @Test
  @Order(1)
  void aWriteOnOneNodeIsVisibleOnTheOthersAtTheSameRevision() {
    String body = new JsonObject().put("name", "orders").put("address", "10.0.0.7").put("port", 9000)
        .put("tags", new JsonArray().add("v2")).encode();
    Http.Response written = Http.put(nodes.get(0).base() + "/v1/services/orders-1", body);
    assertThat(written.status()).isEqualTo(201);
    long revision = written.json().getLong("revision");
    JsonObject onFirst = Http.get(nodes.get(0).base() + "/v1/services/orders-1").json();
    for (TestNodes.Node other : nodes.subList(1, 3)) {
      await().atMost(SETTLE).until(() -> Http.get(other.base() + "/v1/services/orders-1").status() == 200);
      Http.Response read = Http.get(other.base() + "/v1/services/orders-1");
      assertThat(read.json()).isEqualTo(onFirst);
      assertThat(read.json().getLong("revision")).isEqualTo(revision);
      Http.Response found = Http.get(other.base() + "/v1/services?name=orders&tag=v2");
      assertThat(found.json().getJsonArray("services").getJsonObject(0)).isEqualTo(onFirst);
    }
  }

  @Test
  @Order(2)
  void theEventBusApiServesAPlainVertxMemberAndItsEventsArriveOnceInRevisionOrder() {
    plain = cluster.startPlainMember(4);
    List<JsonObject> seenByPlain = Collections.synchronizedList(new ArrayList<>());
    List<JsonObject> seenByNode2 = Collections.synchronizedList(new ArrayList<>());
    await(plain.eventBus().<JsonObject>consumer(RegistryService.EVENTS, m -> seenByPlain.add(m.body()))
        .completion().toCompletionStage().toCompletableFuture(), CALL_SECONDS);
    await(nodes.get(1).vertx().eventBus().<JsonObject>consumer(RegistryService.EVENTS, m -> seenByNode2.add(m.body()))
        .completion().toCompletionStage().toCompletableFuture(), CALL_SECONDS);
    // Consumers register asynchronously across the cluster: wait until a probe event reaches both. The proxy sends
    // each call to any node, and a node answers from its own replica: the deregistration may reach one that has not
    // applied the registration yet (404), which the next round repeats.
    RegistryService proxy = RegistryService.createProxy(plain);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      await(proxy.put("probe-1", instance("probe", 1), null).toCompletionStage().toCompletableFuture(), CALL_SECONDS);
      await(proxy.deregister("probe-1").toCompletionStage().toCompletableFuture(), CALL_SECONDS);
      return !seenByPlain.isEmpty() && !seenByNode2.isEmpty();
    });
    long start = await(proxy.status().toCompletionStage().toCompletableFuture(), CALL_SECONDS).getLong("revision");

    for (int i = 0; i < 20; i++) {
      JsonObject created = await(proxy.register(instance("billing", 7000 + i).put("id", "billing-" + i))
          .toCompletionStage().toCompletableFuture(), CALL_SECONDS);
      assertThat(created.getInteger("status")).isEqualTo(201);
    }
    // Calls are spread over the nodes, and each answers from its own replica: a node may be a moment behind.
    await().atMost(SETTLE).until(() ->
        await(proxy.discover(new JsonObject().put("name", "billing")).toCompletionStage().toCompletableFuture(), CALL_SECONDS)
            .getJsonArray("services").size() == 20);
    assertThat(await(proxy.drain("billing-3").toCompletionStage().toCompletableFuture(), CALL_SECONDS).getBoolean("draining")).isTrue();
    await().atMost(SETTLE).until(() ->
        Http.get(nodes.get(2).base() + "/v1/services?name=billing").json().getJsonArray("services").size() == 19);

    Throwable refused = catchThrowable(() -> await(proxy.register(instance("billing", 70000))
        .toCompletionStage().toCompletableFuture(), CALL_SECONDS));
    ServiceException failure = (ServiceException) refused.getCause().getCause();
    assertThat(failure.failureCode()).isEqualTo(400);
    assertThat(failure.getDebugInfo().getString("error")).isEqualTo("invalid_port");
    assertThat(failure.getDebugInfo().getString("field")).isEqualTo("port");

    long end = await(proxy.status().toCompletionStage().toCompletableFuture(), CALL_SECONDS).getLong("revision");
    for (List<JsonObject> seen : List.of(seenByPlain, seenByNode2)) {
      await().atMost(SETTLE).until(() -> maxRevision(seen) >= end);
      List<Long> revisions = seen.stream().map(e -> e.getLong("revision")).filter(r -> r > start).toList();
      assertThat(revisions).as("each event once, in revision order").isSorted().doesNotHaveDuplicates();
      Set<String> registered = seen.stream().filter(e -> e.getLong("revision") > start)
          .filter(e -> e.getString("type").equals("serviceRegistered"))
          .map(e -> e.getJsonObject("service").getString("id")).collect(Collectors.toCollection(TreeSet::new));
      assertThat(registered).hasSize(20);
      assertThat(seen.stream().filter(e -> e.getString("type").equals("serviceDraining")).count()).isEqualTo(1);
    }
  }

  @Test
  @Order(3)
  void aNodeJoiningAfterTheLogWasCompactedReceivesASnapshotAndReachesTheSameDigest() {
    for (int i = 0; i < 100; i++) {
      Http.put(nodes.get(i % 3).base() + "/v1/services/late-" + i, instance("late", 1000 + i).encode());
    }
    long revisionBeforeJoin = Http.get(nodes.get(0).base() + "/v1/status").json().getLong("revision");
    TestNodes.Node fourth = cluster.start(3, SMALL_LOG);
    // Deployment completes only once the node caught up: it serves at least what the cluster had when it started.
    Http.Response status = Http.get(fourth.base() + "/v1/status");
    assertThat(status.json().getBoolean("ready")).isTrue();
    assertThat(status.json().getLong("revision")).isGreaterThanOrEqualTo(revisionBeforeJoin);
    assertThat(Http.get(fourth.base() + "/health").status()).isEqualTo(200);
    JsonObject stats = Http.get(fourth.base() + "/v1/stats").json();
    assertThat(stats.getJsonObject("replica").getLong("snapshotsLoaded")).isEqualTo(1);

    List<TestNodes.Node> all = new ArrayList<>(nodes);
    all.add(fourth);
    await().atMost(SETTLE).until(() -> all.stream()
        .map(n -> Http.get(n.base() + "/v1/stats").json().getJsonObject("replica").getString("digest"))
        .distinct().count() == 1);
    assertThat(Http.get(fourth.base() + "/v1/services?name=late").json().getJsonArray("services")).hasSize(100);
    assertThat(Http.get(fourth.base() + "/v1/services/orders-1").status()).isEqualTo(200);
    await().atMost(SETTLE).until(() ->
        Http.get(fourth.base() + "/v1/nodes").json().getJsonArray("nodes").size() == 4);
  }

  @Test
  @Order(4)
  void theEventBusApiPutsReadsListsAndDeletesRoutesAsTheJsonOfRest() {
    if (plain == null) {
      plain = cluster.startPlainMember(4);
    }
    RegistryService proxy = RegistryService.createProxy(plain);
    JsonObject document = new JsonObject().put("service", "users")
        .put("match", new JsonObject().put("host", "users.example.com").put("pathPrefix", "/api/users/"))
        .put("stripPrefix", true).put("select", new JsonObject().put("version", "^2"));
    // The member's event bus may not know every node's consumer yet.
    JsonObject created = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> call(proxy.putRoute("users-eb", document, 0L)), r -> r != null);
    assertThat(created.getInteger("status")).isEqualTo(201);
    assertThat(created.getString("source")).isEqualTo("log");
    assertThat(created.getJsonObject("select").getString("version")).isEqualTo("^2");
    JsonObject shown = created.copy();
    shown.remove("status");
    // Calls are spread over the nodes: once every node has applied the write, any of them answers the same.
    await().atMost(SETTLE).until(() -> cluster.nodes().stream()
        .allMatch(n -> Http.get(n.base() + "/v1/routes/users-eb").status() == 200));
    assertThat(call(proxy.getRoute("users-eb"))).isEqualTo(shown)
        .isEqualTo(Http.get(nodes.get(1).base() + "/v1/routes/users-eb").json());
    JsonObject listed = call(proxy.listRoutes());
    assertThat(listed.getLong("revision")).isGreaterThanOrEqualTo(created.getLong("revision"));
    assertThat(listed.getJsonArray("routes").stream().map(r -> (JsonObject) r)
        .filter(r -> r.getString("id").equals("users-eb"))).containsExactly(shown);

    ServiceException invalid = refusal(() -> call(proxy.putRoute("users-eb",
        document.copy().put("balance", "fastest"), null)));
    assertThat(invalid.failureCode()).isEqualTo(400);
    assertThat(invalid.getDebugInfo().getString("error")).isEqualTo("invalid_balance");
    assertThat(invalid.getDebugInfo().getString("field")).isEqualTo("balance");
    ServiceException exists = refusal(() -> call(proxy.putRoute("users-eb", document, 0L)));
    assertThat(exists.failureCode()).isEqualTo(409);
    assertThat(exists.getDebugInfo().getString("error")).isEqualTo("cas_failed");

    JsonObject deleted = call(proxy.deleteRoute("users-eb"));
    assertThat(deleted.getInteger("status")).isEqualTo(200);
    assertThat(deleted.getString("service")).isEqualTo("users");
    await().atMost(SETTLE).until(() -> cluster.nodes().stream()
        .allMatch(n -> Http.get(n.base() + "/v1/routes/users-eb").status() == 404));
    ServiceException gone = refusal(() -> call(proxy.getRoute("users-eb")));
    assertThat(gone.failureCode()).isEqualTo(404);
    assertThat(gone.getDebugInfo().getString("field")).isEqualTo("id");
  }

  private static <T> T call(io.vertx.core.Future<T> f) {
    return await(f.toCompletionStage().toCompletableFuture(), CALL_SECONDS);
  }

  /** The ServiceException an event-bus call failed with. */
  private static ServiceException refusal(Runnable call) {
    return (ServiceException) catchThrowable(call::run).getCause().getCause();
  }

  @Test
  @Order(5)
  void heartbeatsSentToAnyNodeKeepATtlInstanceHealthyAndSilenceExpiresIt() throws InterruptedException {
    String body = instance("beating", 80).put("ttl", "2s").encode();
    assertThat(Http.put(nodes.get(1).base() + "/v1/services/beating-1", body).status()).isEqualTo(201);
    // Read-your-writes holds on the node written to; the others apply the registration a moment later.
    await().atMost(SETTLE).until(() -> nodes.stream()
        .allMatch(n -> Http.get(n.base() + "/v1/services/beating-1").status() == 200));
    long until = System.currentTimeMillis() + 3000;
    int i = 0;
    while (System.currentTimeMillis() < until) {
      // A client heartbeating every 250 ms through whichever node it reaches; the leader (n1) hears of it.
      assertThat(Http.put(nodes.get(2 - (i++ % 2)).base() + "/v1/services/beating-1/heartbeat", "").status()).isEqualTo(200);
      Thread.sleep(250);
    }
    assertThat(Http.get(nodes.get(0).base() + "/v1/services/beating-1").json().getString("health")).isEqualTo("healthy");
    await().atMost(SETTLE).until(() ->
        "unhealthy".equals(Http.get(nodes.get(2).base() + "/v1/services/beating-1").json().getString("health")));
  }

  @Test
  @Order(6)
  void whenTheLeaderGoesAnotherNodeLeadsWithAHigherTermRecordsTheFailureAndKeepsExpiringTtls() {
    // n1 was elected first; on a loaded machine another voter may have taken over since (a term later): whichever
    // leads now is the one stopped.
    TestNodes.Node leader = nodes.stream().limit(3)
        .filter(n -> Http.get(n.base() + "/v1/status").json().getBoolean("isLeader", false)).findFirst()
        .orElseThrow(() -> new AssertionError("no leader among n1, n2, n3"));
    long term = Http.get(leader.base() + "/v1/status").json().getLong("term");
    cluster.stop(leader);
    TestNodes.Node survivor = nodes.stream().limit(3).filter(n -> n != leader).findFirst().orElseThrow();
    TestNodes.Node other = nodes.stream().limit(3).filter(n -> n != leader && n != survivor).findFirst().orElseThrow();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      JsonObject status = Http.get(survivor.base() + "/v1/status").json();
      String now = status.getString("leader");
      return now != null && !now.equals(leader.id()) && status.getLong("term") > term;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(survivor.base() + "/v1/nodes").json()
        .getJsonArray("nodes").stream().map(n -> (JsonObject) n)
        .anyMatch(n -> n.getString("id").equals(leader.id()) && n.getString("status").equals("failed")));
    assertThat(Http.put(other.base() + "/v1/services/orphan-1", instance("orphan", 80).put("ttl", "1s").encode())
        .status()).isEqualTo(201);
    await().atMost(SETTLE).until(() ->
        "unhealthy".equals(Http.get(survivor.base() + "/v1/services/orphan-1").json().getString("health")));
  }

  private static JsonObject instance(String name, int port) {
    return new JsonObject().put("name", name).put("address", "127.0.0.1").put("port", port);
  }

  private static long maxRevision(List<JsonObject> events) {
    synchronized (events) {
      return events.stream().mapToLong(e -> e.getLong("revision")).max().orElse(0);
    }
  }
}
