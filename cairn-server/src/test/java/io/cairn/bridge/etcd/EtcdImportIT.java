package io.cairn.bridge.etcd;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cairn.dns.Dig;
import io.cairn.support.EtcdServer;
import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The etcd import against a real etcd, as a migration meets it: Proxy-Stone's documents put with {@code etcdctl}
 * under a lease become instances discoverable through REST, DNS and Consul's API within a second; a revoked lease
 * deregisters them; a value that is not a document is skipped with one warning naming its key; and an export and an
 * import on one prefix do not multiply instances.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdImportIT {
  private static final Duration WITHIN = Duration.ofSeconds(1);
  /** Bound of what waits on the machine, not on the bridge (a loaded CI machine is slow). */
  private static final Duration BOUND = Duration.ofSeconds(60);

  private EtcdServer etcd;
  private TestNodes cluster;
  private String base;
  private int dns;
  private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();

  @BeforeAll
  void start() {
    etcd = EtcdServer.start();
    dns = Dig.freeDnsPort();
    JsonArray bridges = new JsonArray()
        .add(new JsonObject().put("type", "etcd-import").put("id", "legacy").put("endpoints", etcd.endpoint())
            .put("prefix", "proxy-stone").put("format", "proxy-stone"))
        // Both directions on one prefix: what the export writes the import must not bring back, and the reverse.
        .add(new JsonObject().put("type", "etcd-export").put("id", "out").put("endpoints", etcd.endpoint())
            .put("prefix", "/shared").put("leaseTtl", "5s"))
        .add(new JsonObject().put("type", "etcd-import").put("id", "in").put("endpoints", etcd.endpoint())
            .put("prefix", "/shared"));
    Logger bridgeLog = (Logger) LoggerFactory.getLogger(EtcdImportBridge.class);
    warnings.start();
    bridgeLog.addAppender(warnings);
    cluster = new TestNodes(1);
    base = cluster.start(0, new JsonObject().put("bridges", bridges)
        .put("dns", new JsonObject().put("port", dns))).base();
    await().atMost(BOUND).until(() -> Http.get(base + "/v1/bridges").json().getJsonArray("bridges").stream()
        .map(JsonObject.class::cast).allMatch(b -> b.getBoolean("running") && b.getBoolean("connected")));
  }

  @AfterAll
  void stop() {
    ((Logger) LoggerFactory.getLogger(EtcdImportBridge.class)).detachAppender(warnings);
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (etcd != null) {
        etcd.close();
      }
    }
  }

  @Test
  @Order(1)
  void proxyStoneKeysBecomeInstancesWithinASecondAndARevokedLeaseDeregistersThem() {
    // "lease 694d7b0c3e0a5c0b granted with TTL(30s)"
    String leaseHex = etcd.etcdctl("lease", "grant", "30").trim().split("\\s+")[1];
    long before = System.nanoTime();
    for (int i = 1; i <= 3; i++) {
      etcd.etcdctl("put", "--lease=" + leaseHex, "proxy-stone/services/ps-" + i, new JsonObject()
          .put("id", "ps-" + i).put("name", "proxy-stone").put("host", "10.0.0." + i).put("port", 3000 + i)
          .put("status", i == 3 ? "draining" : "healthy").put("version", "1.0." + i)
          .put("tags", new JsonArray().add("backend")).put("region", "us-east-1").put("zone", "us-east-1a").encode());
    }
    await().atMost(BOUND).pollInterval(Duration.ofMillis(20))
        .until(() -> Http.get(base + "/v1/services?name=proxy-stone&status=any").json().getInteger("count") == 3);
    Duration took = Duration.ofNanos(System.nanoTime() - before);
    System.out.printf("etcd import: 3 keys put with etcdctl to all 3 instances in Cairn: %d ms%n", took.toMillis());
    assertThat(took).as("from the puts to the instances in Cairn").isLessThan(WITHIN.plusSeconds(1));

    JsonObject one = Http.get(base + "/v1/services/ps-1").json();
    assertThat(one.getString("address")).isEqualTo("10.0.0.1");
    assertThat(one.getJsonObject("metadata").getString("source")).isEqualTo("etcd:legacy");
    assertThat(one.getString("ttl")).as("the lease's TTL").isEqualTo("30s");
    assertThat(Http.get(base + "/v1/services/ps-3").json().getString("health")).as("a draining document")
        .isEqualTo("unhealthy");
    // Discovery answers the two that serve, through REST, DNS and Consul's API.
    assertThat(ids(Http.get(base + "/v1/services?name=proxy-stone").json().getJsonArray("services")))
        .containsExactlyInAnyOrder("ps-1", "ps-2");
    assertThat(Dig.query(dns, "proxy-stone.service.cairn", "A").data("A")).containsExactlyInAnyOrder("10.0.0.1",
        "10.0.0.2");
    JsonArray consul = new JsonArray(Http.get(base + "/v1/health/service/proxy-stone?passing=true").body());
    assertThat(consul.stream().map(e -> ((JsonObject) e).getJsonObject("Service").getString("ID")).toList())
        .containsExactlyInAnyOrder("ps-1", "ps-2");

    etcd.etcdctl("lease", "revoke", leaseHex);
    await().atMost(BOUND).pollInterval(Duration.ofMillis(20))
        .until(() -> Http.get(base + "/v1/services?name=proxy-stone&status=any").json().getInteger("count") == 0);
  }

  @Test
  @Order(2)
  void aValueThatIsNoDocumentIsSkippedWithOneWarningNamingItsKeyAndTheBridgeGoesOn() {
    etcd.etcdctl("put", "proxy-stone/services/broken", "this is not JSON");
    etcd.etcdctl("put", "proxy-stone/services/ps-9", new JsonObject().put("id", "ps-9").put("name", "proxy-stone")
        .put("host", "10.0.0.9").put("port", 3009).encode());
    await().atMost(BOUND).until(() -> Http.get(base + "/v1/services/ps-9").status() == 200);
    List<String> about = warnings.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("proxy-stone/services/broken")).toList();
    assertThat(about).hasSize(1);
    assertThat(about.get(0)).contains("not a JSON object");
    assertThat(Http.get(base + "/v1/services/broken").status()).isEqualTo(404);
  }

  @Test
  @Order(3)
  void anExportAndAnImportOnOnePrefixDoNotMultiplyInstances() {
    for (int i = 1; i <= 5; i++) {
      assertThat(Http.put(base + "/v1/services/api-" + i, new JsonObject().put("name", "api")
          .put("address", "10.1.0." + i).put("port", 80).encode()).status()).isEqualTo(201);
    }
    // Someone registers the old way on the shared prefix, in Cairn's shape.
    etcd.etcdctl("put", "/shared/services/old/old-1", new JsonObject().put("name", "old").put("address", "10.2.0.1")
        .put("port", 81).encode());
    await().atMost(BOUND).until(() -> Http.get(base + "/v1/services/old-1").status() == 200
        && etcd.entries("/shared/services/api/").size() == 5);
    // Long enough for an echo to go round several times: the export, the import, the export again.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() ->
        Http.get(base + "/v1/services?status=any").json().getInteger("count") == 5 + 1 + 1
            // the five, and ps-9 (imported from another prefix, so exported here); not old-1 a second time
            && etcd.entries("/shared/services/").size() == 5 + 1 + 1);
    assertThat(Http.get(base + "/v1/services/old-1").json().getJsonObject("metadata").getString("source"))
        .isEqualTo("etcd:in");
  }

  private static List<String> ids(JsonArray services) {
    return services.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }
}
