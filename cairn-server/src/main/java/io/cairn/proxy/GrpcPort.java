package io.cairn.proxy;

import io.cairn.gateway.Forwarder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;

/**
 * {@code proxy.grpcPort}: the proxy for HTTP/2 only, which is what gRPC speaks; h2c with prior knowledge in the
 * clear, h2 over ALPN under TLS. {@code proxy.port} cannot take h2c (docs/ARCHITECTURE.md, "Departures"), so gRPC
 * gets a port of its own. An HTTP/1 request is forwarded nowhere: it gets 505 naming the port that takes it, and its
 * connection closes, so nothing that follows it on the connection is read as a request.
 */
final class GrpcPort {
  private GrpcPort() {
  }

  static HttpServer server(Vertx vertx, HttpServerOptions options, Forwarder forwarder) {
    return vertx.createHttpServer(options).requestHandler(request -> {
      if (request.version() == HttpVersion.HTTP_2) {
        forwarder.handle(request);
      } else {
        refuse(request);
      }
    });
  }

  private static void refuse(HttpServerRequest request) {
    request.pause();
    request.response().setStatusCode(505)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(new JsonObject().put("error", "http2_required").put("message", "proxy.grpcPort speaks HTTP/2 only (gRPC; "
            + "h2c with prior knowledge in the clear): send HTTP/1.x requests to proxy.port").toBuffer())
        .onComplete(written -> request.connection().close());
  }
}
