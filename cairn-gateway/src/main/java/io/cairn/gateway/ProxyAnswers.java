package io.cairn.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * The answers the gateway makes itself, as JSON like every Cairn error: {@code {"error": code, "message": ...}}, so
 * a client tells a refusal of the gateway from an answer of the instance. A gRPC call gets the same answer in gRPC's
 * shape instead ({@link GrpcAnswers}).
 */
final class ProxyAnswers {
  static final String ATTEMPTS = "X-Cairn-Attempts";
  static final String OVERLOADED = "X-Cairn-Overloaded";

  private ProxyAnswers() {
  }

  static void error(HttpServerRequest request, int status, String code, String message) {
    error(request, status, code, message, Map.of());
  }

  /** Answers with the error; the future completes once the answer is written. */
  static Future<Void> error(HttpServerRequest request, int status, String code, String message,
                            Map<String, String> headers) {
    if (GrpcAnswers.speaksGrpc(request)) {
      return GrpcAnswers.error(request, status, code, message, headers);
    }
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      return Future.succeededFuture();
    }
    response.setStatusCode(status);
    String requestId = request.headers().get(ForwardedHeaders.REQUEST_ID);
    if (requestId != null) {
      response.putHeader(ForwardedHeaders.REQUEST_ID, requestId);
    }
    headers.forEach(response::putHeader);
    return response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("error", code).put("message", message).toBuffer());
  }

  /**
   * A request whose framing could be read two ways: refused, and its connection ended after the answer, so that
   * nothing the client sent after it is taken for a request of its own.
   */
  static void badFraming(Vertx vertx, HttpServerRequest request, String message) {
    HttpConnection connection = request.connection();
    error(request, 400, "bad_request", message, Map.of(HttpHeaders.CONNECTION.toString(), "close"))
        .onComplete(written -> StrictFraming.lingeringClose(vertx, connection));
  }
}
