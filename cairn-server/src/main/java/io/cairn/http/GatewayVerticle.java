package io.cairn.http;

import io.cairn.Addresses;
import io.cairn.NodeContext;
import io.cairn.api.ApiException;
import io.cairn.api.BlockingQueries;
import io.cairn.api.CheckOperations;
import io.cairn.api.ClusterViews;
import io.cairn.api.QueryCache;
import io.cairn.api.RegistryOperations;
import io.cairn.api.WatchHub;
import io.cairn.consul.ConsulApi;
import io.cairn.grpc.RegistryGrpcApi;
import io.cairn.http.rest.Responses;
import io.cairn.http.rest.RestApi;
import io.cairn.http.stream.EventStreams;
import io.cairn.http.web.TopologyPage;
import io.cairn.security.TlsOptions;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;

/**
 * The network face of a node: the REST API, its event streams, {@code /health} (this node's readiness),
 * {@code /metrics}, the topology page at {@code /}, and gRPC (on the same port unless {@code grpc.port} says). Deployed
 * once per event loop; the instances share the port.
 */
public class GatewayVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);
  private final NodeContext node;
  private final QueryCache cache;
  /** This loop's listeners: the HTTP port, and gRPC's when it has its own. */
  private final List<HttpServer> servers = new ArrayList<>();
  /** Request ids made here: a random prefix per loop and a count. */
  private final String requestIdPrefix = Long.toString(java.util.concurrent.ThreadLocalRandom.current()
      .nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36), 36) + "-";
  private long requestCount;

  public GatewayVerticle(NodeContext node, QueryCache cache) {
    this.node = node;
    this.cache = cache;
  }

  @Override
  public void start(Promise<Void> started) {
    Router router = Router.router(vertx);
    RegistryOperations ops = new RegistryOperations(vertx, node, cache);
    router.route().handler(rc -> {
      // Counted so that a graceful shutdown can wait for requests under way.
      node.requestsInFlight.incrementAndGet();
      rc.addEndHandler(v -> node.requestsInFlight.decrementAndGet());
      if (!node.current()) {
        // Cut off from the majority, unable to write its log, or lagging: what this node serves may be behind what
        // the cluster has accepted since.
        rc.response().putHeader(Responses.STALE_HEADER, "true");
      }
      // The request id: the client's X-Request-Id, or one made here; answered back, and in the MDC (logging.format
      // json shows it) for the lines logged while the handlers run on this loop.
      String requestId = requestId(rc.request().getHeader(Responses.REQUEST_ID_HEADER));
      rc.put(Responses.REQUEST_ID, requestId);
      rc.response().putHeader(Responses.REQUEST_ID_HEADER, requestId);
      MDC.put(Responses.REQUEST_ID, requestId);
      try {
        rc.next();
      } finally {
        MDC.remove(Responses.REQUEST_ID);
      }
    });
    TopologyPage page = new TopologyPage(node);
    page.mountOrigins(router);
    Authentication.mount(router, node.access());
    BlockingQueries blocking = new BlockingQueries(vertx, node);
    // Before Cairn's REST routes: Consul's clients send their JSON bodies with any content type.
    new ConsulApi(node, ops, blocking).mount(router);
    WatchHub hub = new WatchHub(vertx, node);
    new EventStreams(vertx, node, ops, hub).mount(router);
    ClusterViews views = new ClusterViews(node, cache);
    new RestApi(node, ops, views, new CheckOperations(vertx, node, ops), blocking).mount(router);
    GrpcServer grpc = grpcServer(ops, views, hub);
    router.get("/health").handler(rc -> {
      // A node cut off in a minority stays ready (it serves reads, marked stale, until the split heals); one that
      // cannot write its log or lags behind the leader is not, so that a balancer sends its clients elsewhere.
      String problem = node.standing().problem();
      boolean ready = node.ready() && !node.leaving() && problem == null;
      Responses.json(rc, ready ? 200 : 503, node.replica().revision(), new JsonObject()
          .put("status", node.leaving() ? "leaving" : !node.ready() ? "catching-up" : ready ? "ready" : "behind")
          .put("reason", problem)
          .put("node", node.nodeId())
          .put("revision", node.replica().revision()));
    });
    router.get("/metrics").handler(rc -> {
      try {
        views.requireAdmin(Authentication.caller(rc), "metrics");
        rc.next();
      } catch (ApiException e) {
        Responses.error(rc, e);
      }
    });
    router.get("/metrics").handler(PrometheusScrapingHandler.create(io.cairn.CairnNode.metricsRegistryName(node.config())));
    page.mountFiles(router);
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, rc -> Responses.error(rc, rc.failure() != null ? rc.failure()
          : new ApiException(status, status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : "bad_request",
          "no such endpoint: " + rc.request().method() + " " + rc.request().path())));
    }
    HttpServerOptions options = TlsOptions.apply(new HttpServerOptions()
        .setHost(node.config().httpHost())
        .setPort(node.config().httpPort())
        .setTcpNoDelay(true)
        // gzip when the client asks (Accept-Encoding); event streams opt out, so that each event leaves at once.
        .setCompressionSupported(true)
        .setMaxInitialLineLength(Math.min(16 * 1024, node.config().maxHeaderBytes()))
        .setMaxHeaderSize(node.config().maxHeaderBytes())
        .setIdleTimeout((int) node.config().idleTimeoutMillis())
        .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS), node.config());
    int grpcPort = node.config().grpcPort();
    boolean grpcApart = grpcPort != node.config().httpPort();
    // gRPC rides on the HTTP port (HTTP/2 cleartext beside HTTP/1.1) unless grpc.port gives it one of its own.
    HttpServer server = vertx.createHttpServer(options);
    servers.add(server);
    Future<?> http = server
        .requestHandler(request -> {
          if (!grpcApart && isGrpc(request)) {
            grpc.handle(request);
          } else {
            router.handle(request);
          }
        })
        .listen();
    Future<?> apart = Future.succeededFuture();
    if (grpcApart) {
      HttpServer grpcServer = vertx.createHttpServer(new HttpServerOptions(options).setPort(grpcPort));
      servers.add(grpcServer);
      apart = grpcServer.requestHandler(grpc).listen();
    }
    if (node.config().tlsEnabled()) {
      vertx.eventBus().localConsumer(Addresses.TLS_CHANGED, msg -> reloadCertificates());
    }
    Future.all(http, apart).<Void>mapEmpty().onComplete(started);
  }

  /** A client's id when it is short and plain (letters, digits, . _ : -), otherwise one of this loop's own. */
  private String requestId(String given) {
    if (given != null && given.length() <= 64 && !given.isEmpty() && given.matches("[A-Za-z0-9._:-]+")) {
      return given;
    }
    return requestIdPrefix + Long.toString(++requestCount, 36);
  }

  /** New certificate files on disk: every listener of this loop serves them from its next handshake. */
  private void reloadCertificates() {
    for (HttpServer server : servers) {
      server.updateSSLOptions(TlsOptions.serverSsl(node.config()), true).onComplete(ar -> {
        if (ar.failed()) {
          log.error("TLS certificates not reloaded; the previous ones stay in use: {}", ar.cause().getMessage());
        }
      });
    }
  }

  /**
   * cairn.v1.Registry, the standard health service (SERVING while this node is ready and not leaving, for the
   * whole server and for cairn.v1.Registry) and server reflection.
   */
  private GrpcServer grpcServer(RegistryOperations ops, ClusterViews views, WatchHub hub) {
    GrpcServer grpc = GrpcServer.server(vertx);
    RegistryGrpcApi registry = new RegistryGrpcApi(vertx, node, ops, views, hub);
    java.util.function.Supplier<Future<Boolean>> serving = () -> Future.succeededFuture(node.ready() && !node.leaving());
    grpc.addService(registry);
    grpc.addService(HealthService.create(vertx).register("", serving).register(registry.name(), serving));
    grpc.addService(ReflectionService.v1());
    return grpc;
  }

  private static boolean isGrpc(HttpServerRequest request) {
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    return request.version() == HttpVersion.HTTP_2 && type != null && type.startsWith("application/grpc");
  }
}
