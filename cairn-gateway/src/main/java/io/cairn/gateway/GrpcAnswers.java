package io.cairn.gateway;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The gateway's own answers to a gRPC call. A gRPC client reads a call's outcome from {@code grpc-status} and
 * {@code grpc-message}, not from the HTTP status, and takes a non-200 answer for a broken transport; so where the
 * gateway would answer JSON with a 4xx or 5xx, a gRPC caller gets HTTP 200, {@code content-type: application/grpc}
 * and a trailers-only answer (one HEADERS frame that ends the stream) with the status gRPC's HTTP mapping gives and
 * the same message.
 */
final class GrpcAnswers {
  static final String STATUS = "grpc-status";
  static final String MESSAGE = "grpc-message";
  static final int CANCELLED = 1;
  static final int UNKNOWN = 2;
  static final int DEADLINE_EXCEEDED = 4;
  static final int UNAVAILABLE = 14;
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private GrpcAnswers() {
  }

  /** Whether the request is a gRPC call (HTTP/2, {@code application/grpc} or one of its {@code +codec} forms). */
  static boolean speaksGrpc(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2) {
      return false;
    }
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    // gRPC-Web (application/grpc-web) carries its trailers in the body, so it passes as plain HTTP.
    return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16)
        && (type.length() == 16 || type.charAt(16) == '+' || type.charAt(16) == ';');
  }

  /**
   * The gRPC status for what the gateway would answer with {@code httpStatus}, after gRPC's mapping of HTTP
   * statuses (doc/http-grpc-status-mapping.md), except 429: a caller over its rate is RESOURCE_EXHAUSTED, which
   * says "slow down" rather than "try elsewhere".
   */
  static int statusFor(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> 13; // INTERNAL
      case 401 -> 16; // UNAUTHENTICATED
      case 403 -> 7; // PERMISSION_DENIED
      case 404 -> 12; // UNIMPLEMENTED
      case 429 -> 8; // RESOURCE_EXHAUSTED
      case 502, 503 -> UNAVAILABLE;
      case 504 -> DEADLINE_EXCEEDED;
      default -> 2; // UNKNOWN
    };
  }

  /**
   * Whether an instance's status says the instance failed (UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS: what gRPC's
   * mapping gives a 5xx), so that it counts towards ejection as a 5xx does; the others are the call's own outcome.
   */
  static boolean isServerFailure(int code) {
    return code == UNKNOWN || code == 13 || code == UNAVAILABLE || code == 15;
  }

  /** {@code grpc-message}'s encoding: UTF-8, with bytes outside printable ASCII and '%' percent-encoded. */
  static String encodeMessage(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }

  /**
   * Answers the call trailers-only: HTTP 200, the gRPC status and message, the gateway's {@code X-Cairn-*} and
   * request id headers, and the JSON answer's {@code code} as {@code x-cairn-error}.
   */
  static Future<Void> error(HttpServerRequest request, int httpStatus, String code, String message,
                            Map<String, String> headers) {
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      return Future.succeededFuture();
    }
    response.setStatusCode(200);
    String requestId = request.headers().get(ForwardedHeaders.REQUEST_ID);
    if (requestId != null) {
      response.putHeader(ForwardedHeaders.REQUEST_ID, requestId);
    }
    headers.forEach(response::putHeader);
    return response.putHeader(HttpHeaders.CONTENT_TYPE, "application/grpc")
        .putHeader(STATUS, Integer.toString(statusFor(httpStatus)))
        .putHeader(MESSAGE, encodeMessage(message))
        .putHeader("x-cairn-error", code)
        .end();
  }

  /**
   * Ends a call whose answer's head already went out: the trailers say how it ended. Before the head, the call is
   * answered trailers-only instead.
   */
  static void endWith(HttpServerRequest request, int grpcStatus, String message, Map<String, String> headers) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (!response.headWritten()) {
      response.setStatusCode(200);
      headers.forEach(response::putHeader);
      response.putHeader(HttpHeaders.CONTENT_TYPE, "application/grpc");
      response.putHeader(STATUS, Integer.toString(grpcStatus)).putHeader(MESSAGE, encodeMessage(message)).end();
      return;
    }
    response.putTrailer(STATUS, Integer.toString(grpcStatus)).putTrailer(MESSAGE, encodeMessage(message)).end();
  }
}
