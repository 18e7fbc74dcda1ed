package io.cairn.proxy;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import static io.cairn.support.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * How a three-node cluster's proxies spread requests over instances, each figure counted from the instances' own
 * answers: a 95/5 canary split, a sticky split, a split moved to 50/50 by one route write (on every node once it has
 * applied that revision), consistent hashing (a key keeps its instance; a deregistered instance's keys move, and
 * only they; registered again, they move home), and zone affinity (a zone's callers stay in it until too few of its
 * instances serve, then every zone takes them).
 *
 * <p>The instances are HTTP servers in this JVM that answer with their id; routes go by path prefix, one route and
 * one service per case.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProxyTrafficTest {
  private static final Duration PROPAGATION = Duration.ofSeconds(60);
  /** Requests in flight at once from this test to one proxy. */
  private static final int CONCURRENCY = 32;

  private TestNodes cluster;
  private final List<TestNodes.Node> nodes = new ArrayList<>();
  private final List<Integer> proxyPorts = new ArrayList<>();
  private Vertx vertx;
  private HttpClient client;
  private final Map<String, HttpServer> instances = new ConcurrentHashMap<>();

  @BeforeAll
  void start() {
    cluster = new TestNodes(3);
    for (int i = 0; i < 3; i++) {
      proxyPorts.add(TestNodes.freePort());
      JsonObject node = new JsonObject().put("proxy", new JsonObject().put("port", proxyPorts.get(i)));
      if (i == 2) {
        // Node 3 runs in zone b: callers that do not name their zone are taken to be there.
        node.put("node", new JsonObject().put("zone", "b"));
      }
      nodes.add(cluster.start(i, node));
    }
    vertx = Vertx.vertx();
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(CONCURRENCY));
  }

  @AfterAll
  void stop() {
    try {
      if (vertx != null) {
        await(vertx.close().toCompletionStage().toCompletableFuture(), 30);
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------ cases

  @Test
  @Order(10)
  void aFivePercentCanaryTakesFivePercentOfTenThousandRequests() {
    long revision = register("shop", "shop-v1", "1.4.0", null);
    revision = Math.max(revision, register("shop", "shop-v2", "2.0.0", null));
    revision = Math.max(revision, putRoute(0, "shop", split("/shop", "shop", 95, 5, null)));
    awaitApplied(2, revision);

    Map<String, Integer> answered = spread(10_000, n -> get(2, "/shop/item", Map.of()));

    assertThat(answered.keySet()).containsExactlyInAnyOrder("shop-v1", "shop-v2");
    assertThat(answered.get("shop-v2") / 10_000.0).as("the canary's share of %s", answered)
        .isCloseTo(0.05, within(0.01));
  }

  @Test
  @Order(20)
  void aRouteWriteMovingTheSplitTo5050TakesEffectOnEveryNodeAtItsRevision() {
    long revision = putRoute(0, "shop", split("/shop", "shop", 50, 50, null));
    for (int i = 0; i < 3; i++) {
      awaitApplied(i, revision);
      int node = i;
      Map<String, Integer> answered = spread(2_000, n -> get(node, "/shop/item", Map.of()));
      assertThat(answered.getOrDefault("shop-v2", 0) / 2_000.0).as("node %d, revision %d: %s", i + 1, revision,
          answered).isCloseTo(0.5, within(0.05));
    }
  }

  @Test
  @Order(30)
  void aStickySplitKeepsEachUserOnOneSide() {
    long revision = putRoute(0, "shop-sticky", split("/sticky", "shop", 50, 50, new JsonObject().put("header",
        "X-User")));
    awaitApplied(1, revision);
    Map<String, String> sideOf = new ConcurrentHashMap<>();
    Map<String, Integer> answered = spread(1_000, n -> {
      String user = "user-" + (n % 200);
      return get(1, "/sticky/cart", Map.of("X-User", user)).map(id -> {
        String first = sideOf.putIfAbsent(user, id);
        assertThat(first == null ? id : first).as("where %s went before", user).isEqualTo(id);
        return id;
      });
    });
    assertThat(sideOf).hasSize(200);
    // Users split by the weights too: neither side is left empty by 200 users at 50/50.
    assertThat(answered.keySet()).containsExactlyInAnyOrder("shop-v1", "shop-v2");
  }

  @Test
  @Order(40)
  void aHashedKeyKeepsItsInstanceAndOnlyALeavingInstancesKeysMove() {
    long revision = 0;
    for (int i = 0; i < 5; i++) {
      revision = Math.max(revision, register("cart", "cart-" + i, "1.0.0", null));
    }
    revision = Math.max(revision, putRoute(0, "cart", new JsonObject().put("service", "cart")
        .put("match", new JsonObject().put("pathPrefix", "/cart")).put("balance", "hash")
        .put("hashOn", new JsonObject().put("header", "X-User"))));
    awaitApplied(1, revision);

    Map<String, Integer> oneKey = spread(1_000, n -> get(1, "/cart/items", Map.of("X-User", "user-42")));
    assertThat(oneKey).as("user-42's 1,000 requests").hasSize(1);

    Map<String, String> home = placeThousandKeys(1);
    assertThat(new HashMap<>(home).values()).contains("cart-0", "cart-1", "cart-2", "cart-3", "cart-4");

    awaitApplied(1, write("DELETE", nodes.get(0).base() + "/v1/services/cart-2", null));
    Map<String, String> without = placeThousandKeys(1);
    List<String> moved = home.keySet().stream().filter(k -> !home.get(k).equals(without.get(k))).toList();
    assertThat(moved.size()).as("keys moved when one of five left").isLessThanOrEqualTo(250);
    assertThat(moved).as("keys that moved").allSatisfy(k -> assertThat(home.get(k)).isEqualTo("cart-2"));

    awaitApplied(1, register("cart", "cart-2", "1.0.0", null));
    assertThat(placeThousandKeys(1)).as("keys once cart-2 is back").isEqualTo(home);
  }

  @Test
  @Order(50)
  void zoneAffinityKeepsAZonesCallersInItUntilTooFewOfItsInstancesServe() {
    long revision = 0;
    for (String id : List.of("geo-a1", "geo-a2", "geo-a3")) {
      revision = Math.max(revision, register("geo", id, "1.0.0", "a"));
    }
    for (String id : List.of("geo-b1", "geo-b2")) {
      revision = Math.max(revision, register("geo", id, "1.0.0", "b"));
    }
    revision = Math.max(revision, putRoute(0, "geo", new JsonObject().put("service", "geo")
        .put("match", new JsonObject().put("pathPrefix", "/geo"))
        .put("zoneAffinity", new JsonObject().put("minHealthyPercent", 50))));
    awaitApplied(0, revision);
    awaitApplied(2, revision);

    Map<String, String> zoneA = Map.of("X-Cairn-Zone", "a");
    assertThat(spread(300, n -> get(0, "/geo/", zoneA)).keySet()).containsExactlyInAnyOrder("geo-a1", "geo-a2",
        "geo-a3");
    // Node 3's own zone is b: its callers stay in b without saying so.
    assertThat(spread(300, n -> get(2, "/geo/", Map.of())).keySet()).containsExactlyInAnyOrder("geo-b1", "geo-b2");

    // Two of three still serve (67 %): zone a keeps its callers.
    awaitApplied(0, write("POST", nodes.get(0).base() + "/v1/services/geo-a1/drain", null));
    assertThat(spread(300, n -> get(0, "/geo/", zoneA)).keySet()).containsExactlyInAnyOrder("geo-a2", "geo-a3");

    // One of three (33 %) is below 50 %: every zone takes a's callers, a's last instance among them.
    awaitApplied(0, write("POST", nodes.get(0).base() + "/v1/services/geo-a2/drain", null));
    assertThat(spread(300, n -> get(0, "/geo/", zoneA)).keySet()).containsExactlyInAnyOrder("geo-a3", "geo-b1",
        "geo-b2");
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /** The keys user-0 .. user-999 and the instance each reached through node {@code i}. */
  private Map<String, String> placeThousandKeys(int i) {
    Map<String, String> placed = new ConcurrentHashMap<>();
    spread(1_000, n -> get(i, "/cart/items", Map.of("X-User", "user-" + n)).map(id -> {
      placed.put("user-" + n, id);
      return id;
    }));
    return new HashMap<>(placed);
  }

  /**
   * Sends {@code count} requests, {@link #CONCURRENCY} at a time, each made by {@code request} from its number;
   * counts the instances that answered. Every request must succeed.
   */
  private Map<String, Integer> spread(int count, IntFunction<Future<String>> request) {
    Map<String, Integer> counts = new ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < CONCURRENCY; lane++) {
      lanes.add(lane(next, count, request, counts));
    }
    try {
      await(Future.all(lanes).toCompletionStage().toCompletableFuture(), 180);
    } catch (IllegalStateException e) {
      // Say how far the lanes got.
      long unfinished = lanes.stream().filter(l -> !l.isComplete()).count();
      throw new AssertionError(String.format("%d of %d requests sent, %d answered, %d of %d lanes unfinished; "
          + "answered by %s", Math.min(next.get(), count), count, counts.values().stream().mapToInt(Integer::intValue)
          .sum(), unfinished, lanes.size(), counts), e);
    }
    assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(count);
    return new HashMap<>(counts);
  }

  /** One request after the other until {@code count} were sent by all lanes together. */
  private static Future<Void> lane(AtomicInteger next, int count, IntFunction<Future<String>> request,
                                   Map<String, Integer> counts) {
    int n = next.getAndIncrement();
    if (n >= count) {
      return Future.succeededFuture();
    }
    return once(request, n).compose(id -> {
      counts.merge(id, 1, Integer::sum);
      return lane(next, count, request, counts);
    });
  }

  /**
   * Request {@code n}, sent again once if it has neither answered nor failed after a minute. Twice in CI one request
   * of a thousand hung in this test's HTTP client although the client times it out at 30 s (the proxy answers or
   * fails every request within its own request timeout): what these cases count is where requests go, not that.
   */
  private static Future<String> once(IntFunction<Future<String>> request, int n) {
    return request.apply(n).timeout(60, TimeUnit.SECONDS).recover(e -> {
      if (!(e instanceof TimeoutException)) {
        return Future.failedFuture(e);
      }
      System.out.printf("ProxyTrafficTest: request %d hung in the test's client for 60 s; sent again%n", n);
      return request.apply(n);
    });
  }

  /** A GET through node {@code i}'s proxy; the answering instance's id, or a failure for any answer but 200. */
  private Future<String> get(int i, String path, Map<String, String> headers) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(proxyPorts.get(i)).setURI(path).setTimeout(30_000);
    headers.forEach(options::putHeader);
    return client.request(options).compose(req -> req.send()).compose(resp -> resp.body().map(body -> {
      if (resp.statusCode() != 200) {
        throw new IllegalStateException("GET " + path + " " + headers + ": " + resp.statusCode() + " " + body);
      }
      return body.toString();
    }));
  }

  /** Starts an instance that answers every request with its id, registers it through node 1; the write's revision. */
  private long register(String service, String id, String version, String zone) {
    HttpServer server = instances.computeIfAbsent(id, k -> await(vertx.createHttpServer()
        .requestHandler(req -> req.response().end(id)).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture(), 30));
    JsonObject body = new JsonObject().put("name", service).put("address", "127.0.0.1")
        .put("port", server.actualPort()).put("version", version);
    if (zone != null) {
      body.put("zone", zone);
    }
    return write("PUT", nodes.get(0).base() + "/v1/services/" + id, body.encode());
  }

  private static JsonObject split(String prefix, String service, int v1, int v2, JsonObject sticky) {
    JsonObject route = new JsonObject().put("service", service)
        .put("match", new JsonObject().put("pathPrefix", prefix))
        .put("split", new JsonArray()
            .add(new JsonObject().put("select", new JsonObject().put("version", "^1")).put("weight", v1))
            .add(new JsonObject().put("select", new JsonObject().put("version", "^2")).put("weight", v2)));
    return sticky == null ? route : route.put("sticky", sticky);
  }

  private long putRoute(int i, String id, JsonObject route) {
    return write("PUT", nodes.get(i).base() + "/v1/routes/" + id, route.encode());
  }

  /** A write that must succeed (tried again while the cluster answers 503); its X-Cairn-Revision. */
  private static long write(String method, String url, String json) {
    Http.Response[] last = new Http.Response[1];
    Awaitility.await(method + " " + url).atMost(PROPAGATION).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> {
          last[0] = Http.send(method, url, Map.of(), json);
          return last[0].status() != 503;
        });
    assertThat(last[0].status()).as("%s %s: %s", method, url, last[0].body()).isBetween(200, 299);
    return last[0].revisionHeader();
  }

  private void awaitApplied(int i, long revision) {
    Awaitility.await("node " + (i + 1) + " applies revision " + revision).atMost(PROPAGATION)
        .pollInterval(Duration.ofMillis(20)).ignoreExceptions()
        .until(() -> Http.get(nodes.get(i).base() + "/v1/status").json().getLong("revision") >= revision);
  }
}
