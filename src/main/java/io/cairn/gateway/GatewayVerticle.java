package io.cairn.gateway;

import io.cairn.NodeContext;
import io.cairn.gateway.rest.ClusterViews;
import io.cairn.gateway.rest.Responses;
import io.cairn.gateway.rest.RestApi;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.cairn.gateway.stream.BlockingQueries;
import io.cairn.gateway.stream.EventStreams;
import io.cairn.gateway.web.TopologyPage;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * The HTTP face of a node: the REST API, its event streams, {@code /health} (this node's readiness),
 * {@code /metrics} and the topology page at {@code /}. Deployed
 * once per event loop; the instances share the port.
 */
public class GatewayVerticle extends AbstractVerticle {
  private final NodeContext node;
  private final QueryCache cache;

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
      if (!node.quorate()) {
        // Cut off from the majority: what this node serves may be behind what the cluster has accepted since.
        rc.response().putHeader(Responses.STALE_HEADER, "true");
      }
      rc.next();
    });
    TopologyPage page = new TopologyPage(node);
    page.mountOrigins(router);
    EventStreams streams = new EventStreams(vertx, node, ops);
    streams.mount(router);
    new RestApi(node, ops, new ClusterViews(node, cache), new CheckOperations(vertx, node, ops),
        new BlockingQueries(vertx, node, ops)).mount(router);
    router.get("/health").handler(rc -> {
      boolean ready = node.ready() && !node.leaving();
      Responses.json(rc, ready ? 200 : 503, node.replica().revision(), new JsonObject()
          .put("status", node.leaving() ? "leaving" : ready ? "ready" : "catching-up")
          .put("node", node.nodeId())
          .put("revision", node.replica().revision()));
    });
    router.get("/metrics").handler(PrometheusScrapingHandler.create(io.cairn.CairnNode.metricsRegistryName(node.config())));
    page.mountFiles(router);
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, rc -> Responses.error(rc, rc.failure() != null ? rc.failure()
          : new ApiException(status, status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : "bad_request",
          "no such endpoint: " + rc.request().method() + " " + rc.request().path())));
    }
    HttpServerOptions options = new HttpServerOptions()
        .setHost(node.config().httpHost())
        .setPort(node.config().httpPort())
        .setTcpNoDelay(true)
        // gzip when the client asks (Accept-Encoding); event streams opt out, so that each event leaves at once.
        .setCompressionSupported(true)
        .setMaxInitialLineLength(16 * 1024);
    vertx.createHttpServer(options)
        .requestHandler(router)
        .listen()
        .<Void>mapEmpty()
        .onComplete(started);
  }
}
