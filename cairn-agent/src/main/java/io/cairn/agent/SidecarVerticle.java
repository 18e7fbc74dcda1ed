package io.cairn.agent;

import io.cairn.gateway.Admission;
import io.cairn.gateway.Forwarder;
import io.cairn.gateway.Gateway;
import io.cairn.gateway.GatewayObserver;
import io.cairn.gateway.GrpcPort;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ClientOptionsBase;

import java.util.Set;
import java.util.function.Function;

/**
 * The sidecar's listener on one event loop (deployed once per loop, sharing the port), each request handed to this
 * loop's {@link Forwarder} over the agent's one {@link Gateway}. Everyone is admitted: the port is the
 * application's own, on loopback unless told otherwise, and what reaches it has already got past the machine.
 */
final class SidecarVerticle extends AbstractVerticle {
  /** Request headers larger than this are answered 431, as on a node by default. */
  private static final int MAX_HEADER_BYTES = 16 * 1024;
  private final Gateway gateway;
  private final String host;
  private final int port;
  private final int grpcPort;
  private final Function<ClientOptionsBase, ClientOptionsBase> upstreamTls;
  private Forwarder forwarder;

  /** @param grpcPort the HTTP/2 port for the application's gRPC calls, 0 for none */
  SidecarVerticle(Gateway gateway, String host, int port, int grpcPort,
                  Function<ClientOptionsBase, ClientOptionsBase> upstreamTls) {
    this.gateway = gateway;
    this.host = host;
    this.port = port;
    this.grpcPort = grpcPort;
    this.upstreamTls = upstreamTls;
  }

  @Override
  public void start(Promise<Void> started) {
    // The token headers, if the application sends any, are its own business with the service: passed on.
    forwarder = new Forwarder(vertx, gateway, Admission.OPEN, GatewayObserver.NONE, upstreamTls, Set.of());
    HttpServerOptions options = options(port);
    Future<HttpServer> http = vertx.createHttpServer(options)
        .connectionHandler(connection -> Forwarder.onConnection(connection, options))
        .requestHandler(forwarder::handle)
        .listen()
        .recover(e -> Future.failedFuture("--proxy-port " + port + " on " + host + ": " + e.getMessage()));
    Future<HttpServer> grpc = grpcPort == 0 ? Future.succeededFuture()
        : GrpcPort.server(vertx, options(grpcPort), forwarder, "--proxy-grpc-port", "--proxy-port").listen()
            .recover(e -> Future.failedFuture("--proxy-grpc-port " + grpcPort + " on " + host + ": " + e.getMessage()));
    Future.all(http, grpc).<Void>mapEmpty().onComplete(started);
  }

  private HttpServerOptions options(int listenPort) {
    return Forwarder.serverOptions(host, listenPort, MAX_HEADER_BYTES, gateway.settings().idleTimeoutMillis());
  }

  @Override
  public void stop() {
    if (forwarder != null) {
      forwarder.close();
    }
  }
}
