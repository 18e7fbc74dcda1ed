package io.cairn.proxy;

import io.cairn.api.Access;
import io.cairn.api.RegistryOperations;
import io.cairn.config.NodeSettings;
import io.cairn.config.ProxySettings;
import io.cairn.config.SecuritySettings;
import io.cairn.gateway.Admission;
import io.cairn.gateway.Forwarder;
import io.cairn.gateway.Gateway;
import io.cairn.gateway.GatewayObserver;
import io.cairn.gateway.GatewaySettings;
import io.cairn.gateway.GrpcPort;
import io.cairn.gateway.OutlierSettings;
import io.cairn.model.Route;
import io.cairn.node.Addresses;
import io.cairn.node.Meters;
import io.cairn.registry.Replica;
import io.cairn.security.TlsOptions;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.PemTrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The proxy's listeners on one event loop (deployed once per loop, sharing {@code proxy.port} and
 * {@code proxy.grpcPort}), each request handed to this loop's {@link Forwarder}; the node-wide {@link Gateway} holds
 * what the loops share. {@code proxy.port}: HTTP/1.1, and HTTP/2 under TLS (ALPN) with the node's
 * {@code security.tls.*}. {@code proxy.grpcPort}: HTTP/2 only, in the clear with prior knowledge (h2c) or under TLS,
 * for gRPC ({@link GrpcPort}).
 */
public final class ProxyVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ProxyVerticle.class);
  /** How often what is kept of instances and routes that are gone is dropped. */
  private static final long FORGET_EVERY_MILLIS = 30_000;

  private final ProxySettings proxy;
  private final SecuritySettings security;
  private final Gateway gateway;
  private final Access access;
  private final GatewayObserver metrics;
  private final boolean keeper;
  private Forwarder forwarder;

  /**
   * @param keeper whether this instance drops what the gateway keeps of instances and routes that are gone (one
   *               instance per node does)
   */
  public ProxyVerticle(ProxySettings proxy, SecuritySettings security, Gateway gateway, Access access,
                       GatewayObserver metrics, boolean keeper) {
    this.proxy = proxy;
    this.security = security;
    this.gateway = gateway;
    this.access = access;
    this.metrics = metrics;
    this.keeper = keeper;
  }

  /**
   * The node's gateway: instances from the replica as discovery reads them, the routes in force, the node's zone and
   * region for zone affinity.
   */
  public static Gateway gateway(ProxySettings proxy, NodeSettings node, String nodeId, RegistryOperations registry,
                                Replica replica, Supplier<List<Route>> routes) {
    GatewaySettings settings = new GatewaySettings("cairn-" + nodeId, proxy.domain(), proxy.pathRouting(),
        proxy.connectTimeoutMillis(), proxy.tryTimeoutMillis(), proxy.requestTimeoutMillis(),
        proxy.retryBudgetPercent(), proxy.minRetriesPerSecond(),
        new OutlierSettings(proxy.consecutive5xx(), proxy.consecutiveConnectFailures(), proxy.baseEjectionMillis(),
            proxy.maxEjectionMillis(), proxy.maxEjectionPercent()),
        proxy.maxConnections(), proxy.maxPendingRequests(), proxy.maxConcurrentRequests(), proxy.idleTimeoutMillis(),
        blankToNull(node.zone()), blankToNull(node.region()), false);
    return new Gateway(settings, new ReplicaInstances(registry, replica), routes, System::currentTimeMillis);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** The proxy's metrics, one per node. */
  public static GatewayObserver metrics(String nodeId, Gateway gateway) {
    return new ProxyMetrics(Meters.of(nodeId), nodeId, gateway);
  }

  @Override
  public void start(Promise<Void> started) {
    // Under security, the token headers are the proxy's to read; without it they may be the application's own.
    Set<String> consumed = access.enforced() ? ProxyAdmission.TOKEN_HEADERS : Set.of();
    forwarder = new Forwarder(vertx, gateway, access.enforced() ? new ProxyAdmission(access) : Admission.OPEN,
        metrics, this::upstreamTrust, consumed);
    if (keeper) {
      vertx.setPeriodic(FORGET_EVERY_MILLIS, id -> gateway.forgetGone());
    }
    Future<Void> http = proxy.port() == 0 ? Future.succeededFuture() : listen("proxy.port", proxy.port(), httpPort());
    Future<Void> grpc = proxy.grpcPort() == 0 ? Future.succeededFuture()
        : listen("proxy.grpcPort", proxy.grpcPort(), GrpcPort.server(vertx, options(proxy.grpcPort()), forwarder,
            "proxy.grpcPort", "proxy.port"));
    Future.all(http, grpc).<Void>mapEmpty().onComplete(started);
  }

  /** HTTP/1.x only until a port says otherwise (see {@link #httpPort}). */
  private HttpServerOptions options(int port) {
    return TlsOptions.apply(Forwarder.serverOptions(proxy.host(), port, proxy.maxHeaderBytes(),
        proxy.idleTimeoutMillis()), security);
  }

  /** {@code proxy.port}: HTTP/1.x, with the decoder that refuses ambiguous framing on each connection. */
  private HttpServer httpPort() {
    // No h2c: on a cleartext port Vert.x tells HTTP/2 from HTTP/1.1 only after decoding the first request, too
    // late for the decoder that refuses ambiguous framing (Forwarder.onConnection) to see it. HTTP/2 is offered
    // under TLS, where ALPN settles the protocol before the first byte of a request.
    HttpServerOptions options = options(proxy.port());
    return vertx.createHttpServer(options)
        .connectionHandler(connection -> Forwarder.onConnection(connection, options))
        .requestHandler(forwarder::handle);
  }

  private Future<Void> listen(String key, int port, HttpServer server) {
    if (security.tlsEnabled()) {
      // Rotated certificate files: served from the next handshake, as on the API's port.
      vertx.eventBus().localConsumer(Addresses.TLS_CHANGED, msg -> server.updateSSLOptions(
          TlsOptions.serverSsl(security), true).onFailure(e -> log.error(
          "TLS certificates not reloaded on {}; the previous ones stay in use: {}", key, e.getMessage())));
    }
    return server.listen().onSuccess(s -> {
      if (keeper) {
        log.info("Proxy listening on {}://{}:{} ({})", security.tlsEnabled() ? "https" : "http", proxy.host(),
            s.actualPort(), key);
      }
    }).<Void>mapEmpty().recover(e -> Future.failedFuture(key + " " + port + " on " + proxy.host() + ": "
        + e.getMessage()));
  }

  /** Instances that speak TLS are trusted by the node's CAs (the cluster's, else the API clients'), else the JDK's. */
  private ClientOptionsBase upstreamTrust(ClientOptionsBase options) {
    String ca = !security.clusterCaFile().isBlank() ? security.clusterCaFile() : security.tlsClientCaFile();
    if (!ca.isBlank()) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(ca));
    }
    return options;
  }

  @Override
  public void stop() {
    if (forwarder != null) {
      forwarder.close();
    }
  }
}
