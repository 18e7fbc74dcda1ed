package io.cairn.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;

/**
 * What one event loop of the HTTP server serves beside the node's own endpoints ({@code /health}, {@code /metrics}):
 * the protocols' routes and the gRPC services. Built once per loop by the node's wiring, so that this package names
 * none of the protocols it carries.
 */
public interface Endpoints {
  /** Routes that need no caller (the page's origins), mounted ahead of {@code webapi.Authentication}. */
  void mountOpen(Router router);

  /** The APIs, behind {@code webapi.Authentication}. */
  void mount(Router router);

  /** What answers a path nothing else took (the topology page's files), mounted last. */
  void mountFallback(Router router);

  /** Serves a gRPC request, on the HTTP port or on grpc.port. */
  Handler<HttpServerRequest> grpc();
}
