package io.cairn.agent;

import io.cairn.gateway.Admission;
import io.cairn.gateway.Forwarder;
import io.cairn.gateway.Gateway;
import io.cairn.gateway.GatewayObserver;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
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
  private final Function<ClientOptionsBase, ClientOptionsBase> upstreamTls;
  private Forwarder forwarder;

  SidecarVerticle(Gateway gateway, String host, int port, Function<ClientOptionsBase, ClientOptionsBase> upstreamTls) {
    this.gateway = gateway;
    this.host = host;
    this.port = port;
    this.upstreamTls = upstreamTls;
  }

  @Override
  public void start(Promise<Void> started) {
    // The token headers, if the application sends any, are its own business with the service: passed on.
    forwarder = new Forwarder(vertx, gateway, Admission.OPEN, GatewayObserver.NONE, upstreamTls, Set.of());
    HttpServerOptions options = Forwarder.serverOptions(host, port, MAX_HEADER_BYTES,
        gateway.settings().idleTimeoutMillis());
    vertx.createHttpServer(options)
        .connectionHandler(connection -> Forwarder.onConnection(connection, options))
        .requestHandler(forwarder::handle)
        .listen()
        .onSuccess(s -> started.complete())
        .onFailure(e -> started.fail("--proxy-port " + port + " on " + host + ": " + e.getMessage()));
  }

  @Override
  public void stop() {
    if (forwarder != null) {
      forwarder.close();
    }
  }
}
