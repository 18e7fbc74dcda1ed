package io.cairn;

import io.cairn.api.QueryCache;
import io.cairn.config.CairnConfig;
import io.cairn.dns.DnsVerticle;
import io.cairn.eventbus.EventBusApiVerticle;
import io.cairn.health.HealthCheckVerticle;
import io.cairn.health.HousekeepingVerticle;
import io.cairn.http.GatewayVerticle;
import io.cairn.http.NodeMetrics;
import io.cairn.membership.MembershipVerticle;
import io.cairn.replication.Append;
import io.cairn.replication.EventPublisherVerticle;
import io.cairn.replication.LocalCodec;
import io.cairn.replication.ReplicationVerticle;
import io.cairn.security.AuditLog;
import io.cairn.security.SecurityVerticle;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;

/**
 * One Cairn node: reads its configuration (the deployment config laid over {@code conf/cairn.yaml}) and deploys
 * one verticle per responsibility, in dependency order: replication first (the node serves nothing until its
 * replica caught up with the log), then membership, health, the gateways and DNS (unless dns.port is 0). Needs a
 * clustered Vert.x whose cluster manager is Hazelcast; {@link CairnApplication} builds one from the same
 * configuration.
 */
public class CairnNode extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(CairnNode.class);
  private NodeContext node;

  /** Vert.x options every Cairn node runs with: Prometheus metrics on, event bus on the cluster interface. */
  public static VertxOptions vertxOptions(VertxOptions options, CairnConfig cfg) {
    options.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // Latency by route template (vertx-web sets it; a path no route matched has none), never by raw path.
        .addLabels(io.vertx.micrometer.Label.HTTP_ROUTE)
        .setRegistryName(metricsRegistryName(cfg))
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    if (options.getEventBusOptions().getHost() == null
        || options.getEventBusOptions().getHost().equals(io.vertx.core.eventbus.EventBusOptions.DEFAULT_CLUSTER_HOST)) {
      options.getEventBusOptions().setHost(cfg.clusterHost());
    }
    if (cfg.clusterTlsEnabled()) {
      // Mutual TLS between nodes' event buses: a member without a certificate from the cluster's CA is refused, in
      // both directions (Vert.x trusts every certificate unless trust options and trustAll(false) say otherwise).
      options.getEventBusOptions().setSsl(true).setTrustAll(false)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cfg.clusterCertFile()).setKeyPath(cfg.clusterKeyFile()))
          .setTrustOptions(new PemTrustOptions().addCertPath(cfg.clusterCaFile()))
          .setClientAuth(ClientAuth.REQUIRED)
          .setSslEngineOptions(io.cairn.security.TlsOptions.engine());
    }
    return options;
  }

  /** One registry per node, so that several nodes in one JVM (tests) do not share or close each other's. */
  public static String metricsRegistryName(CairnConfig cfg) {
    return "cairn:" + cfg.nodeId();
  }

  @Override
  public void start(Promise<Void> started) {
    if (!vertx.isClustered()) {
      started.fail("Cairn needs a clustered Vert.x: launch it with -cluster (./run.sh does)");
      return;
    }
    CairnConfig cfg;
    try {
      cfg = CairnConfig.of(config());
      Files.createDirectories(cfg.dataDir());
    } catch (IllegalArgumentException | IOException e) {
      started.fail(e);
      return;
    }
    registerCodecs(vertx.eventBus());
    node = new NodeContext(cfg);
    NodeMetrics.configure(node.meters());
    AuditLog.configure(cfg);
    QueryCache cache = new QueryCache(node.replica(), cfg.queryCacheSize());
    deploy(new SecurityVerticle(cfg, node.security()))
        .compose(v -> deploy(new ReplicationVerticle(node)))
        .compose(v -> deploy(new MembershipVerticle(node)))
        .compose(v -> deploy(new HousekeepingVerticle(node)))
        .compose(v -> deploy(new HealthCheckVerticle(node)))
        .compose(v -> deploy(new EventBusApiVerticle(node, cache)))
        .compose(v -> vertx.deployVerticle(() -> new GatewayVerticle(node, cache),
            new DeploymentOptions().setInstances(cfg.httpInstances())))
        .compose(v -> cfg.dnsPort() == 0 ? Future.succeededFuture() : deploy(new DnsVerticle(node, cache)))
        .onSuccess(v -> {
          NodeMetrics.bind(node, cache);
          log.info("Cairn node {} ready: http://{}:{} (cluster '{}', member {}, revision {})", node.nodeId(),
              cfg.advertisedHost(), cfg.httpPort(), cfg.clusterName(), node.memberId(), node.replica().revision());
        })
        .<Void>mapEmpty()
        .onComplete(started);
  }

  private Future<String> deploy(AbstractVerticle verticle) {
    return vertx.deployVerticle(verticle);
  }

  private static void registerCodecs(EventBus bus) {
    try {
      bus.registerDefaultCodec(Append.Request.class, new LocalCodec<>(Append.Request.class));
      bus.registerDefaultCodec(Append.Reply.class, new LocalCodec<>(Append.Reply.class));
      bus.registerDefaultCodec(EventPublisherVerticle.Batch.class, new LocalCodec<>(EventPublisherVerticle.Batch.class));
      bus.registerDefaultCodec(io.cairn.replication.Applied.class, new LocalCodec<>(io.cairn.replication.Applied.class));
      bus.registerDefaultCodec(io.cairn.registry.Snapshot.class, new LocalCodec<>(io.cairn.registry.Snapshot.class));
    } catch (IllegalStateException alreadyRegistered) {
      // A second node in the same Vert.x instance (tests) shares the codecs.
    }
  }
}
