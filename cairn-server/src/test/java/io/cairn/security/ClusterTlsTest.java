package io.cairn.security;

import io.cairn.CairnNode;
import io.cairn.client.RegistryService;
import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.cairn.support.Certificates;
import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceProxyBuilder;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes with mutual TLS between them (security.cluster.*): the Raft log replicates over TLS, and the clustered
 * event bus serves a member that holds a certificate of the cluster's CA and refuses one without, or with another
 * CA's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTlsTest {
  private TestNodes cluster;
  private Path certs;
  private Path foreign;

  @BeforeAll
  void start() {
    certs = Certificates.make();
    foreign = Certificates.make();
    cluster = new TestNodes(5);
    cluster.start(0, clusterTls(certs));
    cluster.start(1, clusterTls(certs));
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  private static JsonObject clusterTls(Path dir) {
    return new JsonObject().put("security", new JsonObject().put("cluster", new JsonObject()
        .put("certFile", dir.resolve("node.pem").toString()).put("keyFile", dir.resolve("node-key.pem").toString())
        .put("caFile", dir.resolve("ca.pem").toString())));
  }

  @Test
  void theRaftLogReplicatesBetweenNodesOverMutualTls() {
    TestNodes.Node first = cluster.nodes().get(0);
    TestNodes.Node second = cluster.nodes().get(1);
    assertThat(Http.put(first.base() + "/v1/services/tls-1", new JsonObject().put("name", "tls")
        .put("address", "127.0.0.1").put("port", 1).encode()).status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(second.base() + "/v1/services/tls-1").status() == 200);
    // The second node was promoted to voter: the leader's appends and the promotion went over TLS both ways.
    await().atMost(Duration.ofSeconds(60)).until(() -> Http.get(second.base() + "/v1/status").json()
        .getJsonObject("raft").getJsonArray("voters").size() == 2);
  }

  @Test
  void theEventBusServesAMemberWithTheClustersCertificateAndRefusesOthers() throws Exception {
    Vertx trusted = member(2, certs);
    Vertx plain = TestNodes.plainMember(CairnConfig.of(cluster.config(3, null)));
    Vertx otherCa = member(4, foreign);
    try {
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> status(trusted) != null);
      assertThat(catchThrowable(() -> status(plain))).isNotNull();
      assertThat(catchThrowable(() -> status(otherCa))).isNotNull();
    } finally {
      for (Vertx v : new Vertx[] {trusted, plain, otherCa}) {
        v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  /** A clustered Vert.x running no Cairn, with the event-bus TLS of a node whose certificates are in {@code dir}. */
  private Vertx member(int index, Path dir) throws Exception {
    CairnConfig cfg = CairnConfig.of(cluster.config(index, clusterTls(dir)));
    HazelcastClusterManager mgr = new HazelcastClusterManager(ClusterSetup.hazelcastConfig(cfg));
    return Vertx.builder().with(CairnNode.vertxOptions(new VertxOptions(), cfg)).withClusterManager(mgr)
        .buildClustered().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static JsonObject status(Vertx member) throws Exception {
    RegistryService proxy = new ServiceProxyBuilder(member).setAddress(RegistryService.ADDRESS)
        .setOptions(new DeliveryOptions().setSendTimeout(5_000)).build(RegistryService.class);
    return proxy.status().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
