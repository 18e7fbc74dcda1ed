package io.cairn.gateway;

import io.cairn.model.ServiceEntry;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;

import java.util.Locale;
import java.util.Set;

/**
 * A WebSocket upgrade through the gateway: the instance's WebSocket is opened first (another instance tried when
 * one refuses), and only then is the client's upgrade accepted, so a client never holds a socket to nowhere. Frames
 * then pass both ways as they come, each side paused while the other's writes queue up; a close on either side
 * closes the other.
 */
final class WebSocketRelay {
  /** Headers the WebSocket handshake makes itself on each hop. */
  private static final Set<String> HANDSHAKE = Set.of("sec-websocket-key", "sec-websocket-version",
      "sec-websocket-extensions", "sec-websocket-accept", "host", "content-length");

  private final Exchange exchange;
  private final WebSocketClient client;

  WebSocketRelay(Exchange exchange, WebSocketClient client) {
    this.exchange = exchange;
    this.client = client;
  }

  void start() {
    ServiceEntry target = exchange.nextTarget();
    if (target == null) {
      exchange.fail(exchange.attempts() == 0 ? 503 : 502, exchange.attempts() == 0 ? "no_healthy_instance"
          : "bad_gateway", "no instance of service '" + exchange.route.service() + "' accepted the WebSocket");
      return;
    }
    InstanceLoad load = exchange.service.load(target.id());
    load.started();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(target.address()).setPort(target.port())
        .setURI(exchange.uri).setConnectTimeout(exchange.connectTimeout())
        .setSsl(UpstreamClients.speaksTls(target));
    exchange.upstreamHeaders.forEach(e -> {
      if (!HANDSHAKE.contains(e.getKey().toLowerCase(Locale.ROOT))) {
        options.addHeader(e.getKey(), e.getValue());
      }
    });
    String protocols = exchange.request.getHeader("Sec-WebSocket-Protocol");
    if (protocols != null) {
      for (String p : protocols.split(",")) {
        options.addSubProtocol(p.trim());
      }
    }
    client.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        load.finished(true);
        exchange.service.ejections.onConnectFailure(target.id(), exchange.inService());
        start();
        return;
      }
      WebSocket upstream = ar.result();
      exchange.request.toWebSocket().onComplete(accepted -> {
        if (accepted.failed()) {
          upstream.close();
          load.finished(false);
          exchange.finish(400);
          return;
        }
        ServerWebSocket downstream = accepted.result();
        exchange.service.ejections.onSuccess(target.id());
        relay(downstream, upstream);
        relay(upstream, downstream);
        downstream.closeHandler(v -> upstream.close());
        upstream.closeHandler(v -> {
          downstream.close();
          load.finished(false);
          exchange.finish(101);
        });
      });
    });
  }

  private static void relay(WebSocketBase from, WebSocketBase to) {
    from.frameHandler((WebSocketFrame frame) -> {
      if (frame.isClose()) {
        return;
      }
      to.writeFrame(frame);
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
    });
  }
}
