package io.cairn;

import io.cairn.api.Access;
import io.cairn.api.BlockingQueries;
import io.cairn.api.BridgeViews;
import io.cairn.api.CheckOperations;
import io.cairn.api.ClusterViews;
import io.cairn.api.ProxyUpstreams;
import io.cairn.api.RegistryOperations;
import io.cairn.api.RouteOperations;
import io.cairn.api.WatchHub;
import io.cairn.config.CairnConfig;
import io.cairn.consul.ConsulApi;
import io.cairn.grpc.RegistryGrpcApi;
import io.cairn.http.Endpoints;
import io.cairn.http.rest.RestApi;
import io.cairn.http.stream.EventStreams;
import io.cairn.http.web.TopologyPage;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;

import java.util.function.Supplier;

/**
 * What one event loop of the HTTP server carries: the REST API, its event streams, Consul's API, the topology page
 * and gRPC, over the loop's own watch hub and blocking queries and the node's shared API. Wiring only: each protocol
 * is its package's.
 */
final class NodeEndpoints implements Endpoints {
  private final TopologyPage page;
  private final ConsulApi consul;
  private final EventStreams streams;
  private final RestApi rest;
  private final GrpcServer grpc;

  /** The node's parts the endpoints are built from, the same for every loop. */
  record Parts(CairnConfig cfg, NodeState node, NodeStats stats, Replica replica, EventHistory history, Access access,
               RegistryOperations ops, CheckOperations checks, ClusterViews views, BridgeViews bridges,
               RouteOperations routes, ProxyUpstreams upstreams) {
  }

  NodeEndpoints(Vertx vertx, Parts p) {
    BlockingQueries blocking = new BlockingQueries(vertx, p.cfg().http());
    WatchHub hub = new WatchHub(vertx, p.node(), p.replica(), p.history(), p.stats(), p.cfg().http().keepAliveMillis());
    page = new TopologyPage(p.cfg().security().tlsEnabled(), p.replica());
    consul = new ConsulApi(p.cfg().consul(), p.cfg().http(), p.node(), p.replica(), p.ops(), blocking);
    streams = new EventStreams(vertx, p.cfg().http(), p.node(), p.replica(), p.history(), p.ops(), hub);
    rest = new RestApi(p.cfg().http(), p.replica(), p.ops(), p.views(), p.bridges(), p.checks(), blocking, p.routes(),
        p.upstreams());
    grpc = grpcServer(vertx, p, hub);
  }

  @Override
  public void mountOpen(Router router) {
    page.mountOrigins(router);
  }

  @Override
  public void mount(Router router) {
    // Before Cairn's REST routes: Consul's clients send their JSON bodies with any content type.
    consul.mount(router);
    streams.mount(router);
    rest.mount(router);
  }

  @Override
  public void mountFallback(Router router) {
    page.mountFiles(router);
  }

  @Override
  public Handler<HttpServerRequest> grpc() {
    return grpc;
  }

  /**
   * cairn.v1.Registry, the standard health service (SERVING while this node is ready and not leaving, for the
   * whole server and for cairn.v1.Registry) and server reflection.
   */
  private static GrpcServer grpcServer(Vertx vertx, Parts p, WatchHub hub) {
    GrpcServer grpc = GrpcServer.server(vertx);
    RegistryGrpcApi registry = new RegistryGrpcApi(vertx, p.cfg().grpc(), p.cfg().registry(), p.node(), p.stats(),
        p.replica(), p.access(), p.ops(), p.views(), hub, p.routes());
    Supplier<Future<Boolean>> serving = () -> Future.succeededFuture(p.node().ready() && !p.node().leaving());
    grpc.addService(registry);
    grpc.addService(HealthService.create(vertx).register("", serving).register(registry.name(), serving));
    grpc.addService(ReflectionService.v1());
    return grpc;
  }
}
