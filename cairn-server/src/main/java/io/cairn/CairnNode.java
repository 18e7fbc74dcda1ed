package io.cairn;

import io.cairn.api.Access;
import io.cairn.api.BridgeViews;
import io.cairn.api.CheckOperations;
import io.cairn.api.ClusterViews;
import io.cairn.api.ImportOperations;
import io.cairn.api.ProxyUpstreams;
import io.cairn.api.QueryCache;
import io.cairn.api.RegistryOperations;
import io.cairn.api.RouteOperations;
import io.cairn.bridge.MirrorBridge;
import io.cairn.bridge.etcd.EtcdExport;
import io.cairn.bridge.etcd.EtcdImportBridge;
import io.cairn.bridge.redis.RedisMirror;
import io.cairn.config.BridgeSettings;
import io.cairn.config.CairnConfig;
import io.cairn.consul.ConsulApi;
import io.cairn.dns.DnsVerticle;
import io.cairn.eventbus.EventBusApiVerticle;
import io.cairn.gateway.Gateway;
import io.cairn.gateway.GatewayObserver;
import io.cairn.health.CheckResults;
import io.cairn.health.CheckStats;
import io.cairn.health.Checkers;
import io.cairn.health.HealthCheckVerticle;
import io.cairn.health.HousekeepingVerticle;
import io.cairn.http.HttpApiVerticle;
import io.cairn.http.NodeMetrics;
import io.cairn.membership.MembershipVerticle;
import io.cairn.model.Check;
import io.cairn.model.CheckDefaults;
import io.cairn.node.BridgeBoard;
import io.cairn.node.CommandLog;
import io.cairn.node.Meters;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.bus.Append;
import io.cairn.node.bus.Applied;
import io.cairn.node.bus.EventBusCommandLog;
import io.cairn.node.bus.LocalCodec;
import io.cairn.proxy.ProxyVerticle;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Replica;
import io.cairn.registry.Snapshot;
import io.cairn.replication.EventPublisherVerticle;
import io.cairn.replication.ReplicationVerticle;
import io.cairn.security.AuditLog;
import io.cairn.security.Security;
import io.cairn.security.SecurityVerticle;
import io.cairn.security.TlsOptions;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Cairn node, and the only place that knows all its rooms: reads its configuration (the deployment config laid
 * over {@code conf/cairn.yaml}), builds what the rooms share (the replica, the node's state and counters, the event
 * history, the access layer, the checkers, the command log and the API) and deploys one verticle per
 * responsibility, each given only what it uses, in dependency order: replication first (the node serves nothing
 * until its replica caught up with the log), then membership, health, the gateways and DNS (unless dns.port is 0).
 * Needs a clustered Vert.x whose cluster manager is Hazelcast; {@link CairnApplication} builds one from the same
 * configuration.
 */
public class CairnNode extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(CairnNode.class);

  /** Vert.x options every Cairn node runs with: Prometheus metrics on, event bus on the cluster interface. */
  public static VertxOptions vertxOptions(VertxOptions options, CairnConfig cfg) {
    options.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // Latency by route template (vertx-web sets it; a path no route matched has none), never by raw path.
        .addLabels(Label.HTTP_ROUTE)
        // No meters for Vert.x's HTTP clients (the proxy's to instances, the health checks'): nothing reads them, and
        // each request would pay for a lookup by tags (the proxy and the checks count what matters themselves).
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
        .setRegistryName(Meters.registryName(cfg.node().id()))
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    if (options.getEventBusOptions().getHost() == null
        || options.getEventBusOptions().getHost().equals(EventBusOptions.DEFAULT_CLUSTER_HOST)) {
      options.getEventBusOptions().setHost(cfg.cluster().host());
    }
    if (cfg.security().clusterTlsEnabled()) {
      // Mutual TLS between nodes' event buses: a member without a certificate from the cluster's CA is refused, in
      // both directions (Vert.x trusts every certificate unless trust options and trustAll(false) say otherwise).
      options.getEventBusOptions().setSsl(true).setTrustAll(false)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cfg.security().clusterCertFile())
              .setKeyPath(cfg.security().clusterKeyFile()))
          .setTrustOptions(new PemTrustOptions().addCertPath(cfg.security().clusterCaFile()))
          .setClientAuth(ClientAuth.REQUIRED)
          .setSslEngineOptions(TlsOptions.engine());
    }
    return options;
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
      Files.createDirectories(cfg.node().dataDir());
    } catch (IllegalArgumentException | IOException e) {
      started.fail(e);
      return;
    }
    registerCodecs(vertx.eventBus());
    Replica replica = new Replica();
    NodeState.Writers writers = NodeState.create(cfg.node().id(), replica, cfg.security().tlsEnabled());
    NodeState node = writers.state();
    NodeStats stats = new NodeStats();
    EventHistory history = new EventHistory(cfg.replication().eventHistory());
    Security security = new Security(cfg.security());
    Access access = new Access(cfg.security(), security);
    Checkers checkers = Checkers.load(cfg.node().id(), cfg.checks().allowedTargets());
    CheckStats checkStats = new CheckStats();
    CheckResults checkResults = new CheckResults();
    CommandLog commandLog = new EventBusCommandLog(vertx.eventBus(), cfg.replication().writeTimeoutMillis());
    QueryCache cache = new QueryCache(replica, cfg.registry().queryCacheSize());
    RegistryOperations ops = new RegistryOperations(vertx, cfg.registry(), cfg.checks().allowedTargets(), node,
        replica, access, checkDefaults(cfg, checkers), commandLog, cache);
    CheckOperations checks = new CheckOperations(vertx, node, replica, access, checkResults, ops);
    ClusterViews views = new ClusterViews(cfg.cluster(), cfg.raft(), cfg.http(), node, replica, access, stats,
        checkStats, cache);
    RouteOperations routes = new RouteOperations(node, replica, access, commandLog, ops, cfg.proxy().routes());
    Gateway gateway = cfg.proxy().enabled()
        ? ProxyVerticle.gateway(cfg.proxy(), cfg.node(), node.nodeId(), ops, replica, routes::inForce) : null;
    ProxyUpstreams upstreams = new ProxyUpstreams(access, gateway == null ? List::of : gateway::upstreams,
        gateway == null ? List::of : gateway::splitShares);
    BridgeBoard bridgeBoard = new BridgeBoard();
    BridgeViews bridgeViews = new BridgeViews(cfg.bridges(), bridgeBoard, access);
    NodeEndpoints.Parts parts = new NodeEndpoints.Parts(cfg, node, stats, replica, history, access, ops, checks, views,
        bridgeViews, routes, upstreams);
    NodeMetrics.configure(Meters.of(cfg.node().id()));
    AuditLog.configure(cfg.security());
    deploy(new SecurityVerticle(cfg.security(), security))
        .compose(v -> deploy(new ReplicationVerticle(cfg, writers.replication(), replica, history, stats,
            commandLog)))
        .compose(v -> deploy(new MembershipVerticle(cfg, writers.membership(), replica, stats, commandLog)))
        .compose(v -> deploy(new HousekeepingVerticle(cfg.health(), node, replica, commandLog)))
        .compose(v -> deploy(new HealthCheckVerticle(cfg.checks(), node, replica, checkers, checkStats, checkResults,
            commandLog)))
        .compose(v -> deploy(new EventBusApiVerticle(node, replica, access, ops, routes)))
        .compose(v -> vertx.deployVerticle(() -> new HttpApiVerticle(cfg.http(), cfg.grpc(), cfg.security(), node,
                stats, replica, access, views, List.of(ConsulApi.TOKENS), loop -> new NodeEndpoints(loop, parts)),
            new DeploymentOptions().setInstances(cfg.http().instances())))
        .compose(v -> cfg.dns().port() == 0 ? Future.succeededFuture()
            : deploy(new DnsVerticle(cfg.dns(), cfg.http().host(), node, replica, access, ops)))
        .compose(v -> gateway == null ? Future.succeededFuture() : deployProxy(cfg, gateway, access))
        .compose(v -> deployBridges(cfg, node, replica, bridgeBoard, history, stats, ops))
        .onSuccess(v -> {
          NodeMetrics.bind(node, stats, replica, checkStats, cache);
          log.info("Cairn node {} ready: {}://{}:{} (cluster '{}', member {}, revision {})", node.nodeId(),
              cfg.security().tlsEnabled() ? "https" : "http", cfg.http().advertisedHost(), cfg.http().port(),
              cfg.cluster().name(), node.memberId(), replica.revision());
        })
        .<Void>mapEmpty()
        .onComplete(started);
  }

  /** The proxy, one listener per event loop over the node's one gateway. */
  private Future<String> deployProxy(CairnConfig cfg, Gateway gateway, Access access) {
    GatewayObserver metrics = ProxyVerticle.metrics(cfg.node().id(), gateway);
    AtomicBoolean keeper = new AtomicBoolean(true);
    return vertx.deployVerticle(() -> new ProxyVerticle(cfg.proxy(), cfg.security(), gateway, access, metrics,
        keeper.getAndSet(false)), new DeploymentOptions().setInstances(cfg.http().instances()));
  }

  /**
   * One verticle per bridge, on every node: each runs where the Raft leader is. Last, so that a bridge's server
   * (reachable or not) never holds up a node that serves its registry.
   */
  private Future<Void> deployBridges(CairnConfig cfg, NodeState node, Replica replica, BridgeBoard board,
                                     EventHistory history, NodeStats stats, RegistryOperations ops) {
    Future<?> deployed = Future.succeededFuture();
    for (BridgeSettings.Bridge b : cfg.bridges()) {
      AbstractVerticle bridge = switch (b.type()) {
        case ETCD_EXPORT -> new MirrorBridge(b, node, replica, board, history, stats,
            () -> new EtcdExport(vertx, (BridgeSettings.Etcd) b, cfg.bridges()));
        case REDIS -> new MirrorBridge(b, node, replica, board, history, stats,
            () -> new RedisMirror(vertx, (BridgeSettings.Redis) b));
        case ETCD_IMPORT -> new EtcdImportBridge((BridgeSettings.Etcd) b, node, replica, board,
            new ImportOperations(ops, node));
      };
      deployed = deployed.compose(v -> deploy(bridge));
    }
    return deployed.mapEmpty();
  }

  /** The check types this node runs (TTL always: nothing runs it) and the settings a check leaves out. */
  private static CheckDefaults checkDefaults(CairnConfig cfg, Checkers checkers) {
    Set<String> types = new HashSet<>(checkers.types());
    types.add(Check.TTL);
    return cfg.checks().defaults(types);
  }

  private Future<String> deploy(AbstractVerticle verticle) {
    return vertx.deployVerticle(verticle);
  }

  private static void registerCodecs(EventBus bus) {
    try {
      bus.registerDefaultCodec(Append.Request.class, new LocalCodec<>(Append.Request.class));
      bus.registerDefaultCodec(Append.Reply.class, new LocalCodec<>(Append.Reply.class));
      bus.registerDefaultCodec(EventPublisherVerticle.Batch.class, new LocalCodec<>(EventPublisherVerticle.Batch.class));
      bus.registerDefaultCodec(Applied.class, new LocalCodec<>(Applied.class));
      bus.registerDefaultCodec(Snapshot.class, new LocalCodec<>(Snapshot.class));
    } catch (IllegalStateException alreadyRegistered) {
      // A second node in the same Vert.x instance (tests) shares the codecs.
    }
  }
}
