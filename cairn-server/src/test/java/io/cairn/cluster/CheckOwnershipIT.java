package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health checks on real processes: each instance's check runs on exactly one node, the checks spread over the
 * three, and when the node running a check is SIGKILLed, another node carries on with it within the failure
 * detection window (and undoes the node-failed mark of the instances registered through the dead node).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckOwnershipIT {
  private static final int INSTANCES = 30;
  private static final Pattern NODE = Pattern.compile("node (p\\d)");
  private JarCluster cluster;
  private Vertx vertx;
  private HttpServer target;
  /** Instance id → node id → when that node last checked it. */
  private final Map<String, Map<String, Long>> checkedBy = new ConcurrentHashMap<>();

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    target = TestNodes.await(vertx.createHttpServer().requestHandler(req -> {
      Matcher m = NODE.matcher(String.valueOf(req.getHeader("User-Agent")));
      if (m.find()) {
        checkedBy.computeIfAbsent(req.path().substring("/i/".length()), k -> new ConcurrentHashMap<>())
            .put(m.group(1), System.currentTimeMillis());
      }
      req.response().end("ok");
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture(), 10);
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startAll();
    cluster.awaitAllHealthy(Duration.ofSeconds(90));
    cluster.awaitWhole(Duration.ofSeconds(90));
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
    vertx.close();
  }

  /** The nodes that checked {@code id} within the last {@code millis}. */
  private Set<String> recentCheckers(String id, long millis) {
    long since = System.currentTimeMillis() - millis;
    return checkedBy.getOrDefault(id, Map.of()).entrySet().stream().filter(e -> e.getValue() >= since)
        .map(Map.Entry::getKey).collect(Collectors.toSet());
  }

  @Test
  void eachCheckRunsOnOneNodeAndMovesWhenThatNodeIsKilled() throws Exception {
    for (int i = 0; i < INSTANCES; i++) {
      JarCluster.Node through = cluster.node(i % 3);
      JsonObject body = new JsonObject().put("name", "owned").put("address", "127.0.0.1").put("port", target.actualPort())
          .put("check", new JsonObject().put("type", "http").put("path", "/i/owned-" + i).put("interval", "500ms")
              .put("timeout", "400ms").put("failuresBeforeUnhealthy", 1));
      assertThat(Http.put(through.base() + "/v1/services/owned-" + i, body.encode()).status()).isEqualTo(201);
    }
    JarCluster.Node witness = cluster.node(0);
    await().atMost(Duration.ofSeconds(20)).until(() -> Http.get(witness.base()
        + "/v1/services?name=owned").json().getJsonArray("services").size() == INSTANCES);
    // Every check runs, each on exactly one node, and all three nodes have their share.
    await().atMost(Duration.ofSeconds(20)).until(() -> java.util.stream.IntStream.range(0, INSTANCES)
        .allMatch(i -> recentCheckers("owned-" + i, 1_500).size() == 1));
    Set<String> owners = java.util.stream.IntStream.range(0, INSTANCES)
        .mapToObj(i -> recentCheckers("owned-" + i, 1_500).iterator().next()).collect(Collectors.toSet());
    assertThat(owners).containsExactlyInAnyOrder("p1", "p2", "p3");

    JarCluster.Node victim = cluster.node(1);
    java.util.List<String> itsChecks = java.util.stream.IntStream.range(0, INSTANCES).mapToObj(i -> "owned-" + i)
        .filter(id -> recentCheckers(id, 1_500).equals(Set.of("p2"))).toList();
    assertThat(itsChecks).isNotEmpty();

    long killedAt = System.currentTimeMillis();
    cluster.kill(victim);
    // Within the failure-detection window (plus one interval) another node runs each of them.
    await().atMost(Duration.ofSeconds(8)).until(() -> itsChecks.stream().allMatch(id -> {
      Set<String> now = recentCheckers(id, 700);
      return !now.isEmpty() && !now.contains("p2");
    }));
    long movedAfter = System.currentTimeMillis() - killedAt;
    System.out.printf("checks of the killed node resumed elsewhere after %d ms%n", movedAfter);
    // Instances registered through the dead node were marked node-failed; their checks, running elsewhere, find
    // them healthy again.
    await().atMost(Duration.ofSeconds(20)).until(() -> Http.get(witness.base() + "/v1/services?name=owned&status=any")
        .json().getJsonArray("services").stream().allMatch(o -> ((JsonObject) o).getString("health").equals("healthy")));
    // Still one node per check.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> java.util.stream.IntStream
        .range(0, INSTANCES).allMatch(i -> recentCheckers("owned-" + i, 1_200).size() == 1));

    cluster.restart(victim, Duration.ofSeconds(120));
    await().atMost(Duration.ofSeconds(20)).until(() -> java.util.stream.IntStream.range(0, INSTANCES)
        .anyMatch(i -> recentCheckers("owned-" + i, 1_500).equals(Set.of("p2"))));
  }
}
