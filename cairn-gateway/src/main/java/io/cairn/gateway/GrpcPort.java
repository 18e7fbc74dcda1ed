package io.cairn.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;

/**
 * A gateway port for HTTP/2 only, which is what gRPC speaks: h2c with prior knowledge in the clear, h2 over ALPN
 * under TLS. The HTTP/1 port cannot take h2c (docs/ARCHITECTURE.md, "Departures"), so gRPC gets a port of its own, on
 * a node ({@code proxy.grpcPort}) and in an agent's sidecar ({@code --proxy-grpc-port}). An HTTP/1 request is
 * forwarded nowhere: it gets 505 naming the port that takes it, and its connection closes, so nothing that follows
 * it on the connection is read as a request.
 */
public final class GrpcPort {
  private GrpcPort() {
  }

  /**
   * @param options   the listener's options; h2c is turned on here
   * @param name      how the operator names this port ({@code proxy.grpcPort}), for the 505
   * @param http1Name and the port that takes HTTP/1 ({@code proxy.port})
   */
  public static HttpServer server(Vertx vertx, HttpServerOptions options, Forwarder forwarder, String name,
                                  String http1Name) {
    String refusal = name + " speaks HTTP/2 only (gRPC; h2c with prior knowledge in the clear): send HTTP/1.x "
        + "requests to " + http1Name;
    return vertx.createHttpServer(options.setHttp2ClearTextEnabled(true)).requestHandler(request -> {
      if (request.version() == HttpVersion.HTTP_2) {
        forwarder.handle(request);
      } else {
        refuse(request, refusal);
      }
    });
  }

  private static void refuse(HttpServerRequest request, String message) {
    request.pause();
    request.response().setStatusCode(505)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(new JsonObject().put("error", "http2_required").put("message", message).toBuffer())
        .onComplete(written -> request.connection().close());
  }
}
