package io.cairn.http;

import io.cairn.api.Access;
import io.cairn.api.ApiException;
import io.cairn.api.ClusterViews;
import io.cairn.config.GrpcSettings;
import io.cairn.config.HttpSettings;
import io.cairn.config.SecuritySettings;
import io.cairn.node.Addresses;
import io.cairn.node.Meters;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.registry.Replica;
import io.cairn.security.TlsOptions;
import io.cairn.webapi.Authentication;
import io.cairn.webapi.Responses;
import io.cairn.webapi.TokenSource;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The network face of a node: the HTTP listener, with what every request gets (a request id, the stale mark, a place
 * among the requests a shutdown waits for, its caller), {@code /health} (this node's readiness), {@code /metrics},
 * and the {@link Endpoints} the wiring gives it: the REST API, its event streams, Consul's API, the topology page, and
 * gRPC (on the same port unless {@code grpc.port} says). Deployed once per event loop; the instances share the port.
 */
public class HttpApiVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(HttpApiVerticle.class);
  private final HttpSettings http;
  private final GrpcSettings grpc;
  private final SecuritySettings security;
  private final NodeState node;
  private final NodeStats stats;
  private final Replica replica;
  private final Access access;
  private final ClusterViews views;
  private final List<TokenSource> tokenSources;
  private final Function<Vertx, Endpoints> endpoints;
  /** This loop's listeners: the HTTP port, and gRPC's when it has its own. */
  private final List<HttpServer> servers = new ArrayList<>();
  /** Request ids made here: a random prefix per loop and a count. */
  private final String requestIdPrefix = Long.toString(ThreadLocalRandom.current()
      .nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36), 36) + "-";
  private long requestCount;

  /**
   * @param tokenSources where protocols' clients send their tokens otherwise than as a bearer header
   * @param endpoints    builds what this loop serves beside the node's own endpoints
   */
  public HttpApiVerticle(HttpSettings http, GrpcSettings grpc, SecuritySettings security, NodeState node,
                         NodeStats stats, Replica replica, Access access, ClusterViews views,
                         List<TokenSource> tokenSources, Function<Vertx, Endpoints> endpoints) {
    this.http = http;
    this.grpc = grpc;
    this.security = security;
    this.node = node;
    this.stats = stats;
    this.replica = replica;
    this.access = access;
    this.views = views;
    this.tokenSources = tokenSources;
    this.endpoints = endpoints;
  }

  @Override
  public void start(Promise<Void> started) {
    Router router = Router.router(vertx);
    Endpoints served = endpoints.apply(vertx);
    router.route().handler(rc -> {
      // Counted so that a graceful shutdown can wait for requests under way.
      stats.requestStarted();
      rc.addEndHandler(v -> stats.requestEnded());
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
    served.mountOpen(router);
    Authentication.mount(router, access, tokenSources);
    served.mount(router);
    Handler<HttpServerRequest> grpcHandler = served.grpc();
    router.get("/health").handler(rc -> {
      // A node cut off in a minority stays ready (it serves reads, marked stale, until the split heals); one that
      // cannot write its log or lags behind the leader is not, so that a balancer sends its clients elsewhere.
      String problem = node.standing().problem();
      boolean ready = node.ready() && !node.leaving() && problem == null;
      Responses.json(rc, ready ? 200 : 503, replica.revision(), new JsonObject()
          .put("status", node.leaving() ? "leaving" : !node.ready() ? "catching-up" : ready ? "ready" : "behind")
          .put("reason", problem)
          .put("node", node.nodeId())
          .put("revision", replica.revision()));
    });
    router.get("/metrics").handler(rc -> {
      try {
        views.requireAdmin(Authentication.caller(rc), "metrics");
        rc.next();
      } catch (ApiException e) {
        Responses.error(rc, e);
      }
    });
    router.get("/metrics").handler(PrometheusScrapingHandler.create(Meters.registryName(node.nodeId())));
    served.mountFallback(router);
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, rc -> Responses.error(rc, rc.failure() != null ? rc.failure()
          : new ApiException(status, status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : "bad_request",
          "no such endpoint: " + rc.request().method() + " " + rc.request().path())));
    }
    HttpServerOptions options = TlsOptions.apply(new HttpServerOptions()
        .setHost(http.host())
        .setPort(http.port())
        .setTcpNoDelay(true)
        // gzip when the client asks (Accept-Encoding); event streams opt out, so that each event leaves at once.
        .setCompressionSupported(true)
        .setMaxInitialLineLength(Math.min(16 * 1024, http.maxHeaderBytes()))
        .setMaxHeaderSize(http.maxHeaderBytes())
        .setIdleTimeout((int) http.idleTimeoutMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS), security);
    int grpcPort = grpc.port();
    boolean grpcApart = grpcPort != http.port();
    // gRPC rides on the HTTP port (HTTP/2 cleartext beside HTTP/1.1) unless grpc.port gives it one of its own.
    HttpServer server = vertx.createHttpServer(options);
    servers.add(server);
    Future<?> http = server
        .requestHandler(request -> {
          if (!grpcApart && isGrpc(request)) {
            grpcHandler.handle(request);
          } else {
            router.handle(request);
          }
        })
        .listen();
    Future<?> apart = Future.succeededFuture();
    if (grpcApart) {
      HttpServer grpcServer = vertx.createHttpServer(new HttpServerOptions(options).setPort(grpcPort));
      servers.add(grpcServer);
      apart = grpcServer.requestHandler(grpcHandler).listen();
    }
    if (security.tlsEnabled()) {
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
      server.updateSSLOptions(TlsOptions.serverSsl(security), true).onComplete(ar -> {
        if (ar.failed()) {
          log.error("TLS certificates not reloaded; the previous ones stay in use: {}", ar.cause().getMessage());
        }
      });
    }
  }

  private static boolean isGrpc(HttpServerRequest request) {
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    return request.version() == HttpVersion.HTTP_2 && type != null && type.startsWith("application/grpc");
  }
}
