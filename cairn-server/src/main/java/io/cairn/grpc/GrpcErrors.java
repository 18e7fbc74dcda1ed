package io.cairn.grpc;

import io.cairn.api.ApiException;
import io.cairn.wire.GrpcTrailers;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerResponse;

import java.util.function.Supplier;

/**
 * The API's failures as gRPC statuses: a bad argument is INVALID_ARGUMENT naming the field, a missing instance
 * NOT_FOUND, a failed compare-and-set FAILED_PRECONDITION, a node that cannot take the call UNAVAILABLE naming
 * another node. The REST error code, field and that node also travel as trailers ({@code cairn-error},
 * {@code cairn-field}, {@code cairn-retry-at}) for programs to switch on.
 */
public final class GrpcErrors {
  private GrpcErrors() {
  }

  public static GrpcStatus status(ApiException e) {
    switch (e.status()) {
      case 400:
      case 413:
      case 415:
        return GrpcStatus.INVALID_ARGUMENT;
      case 401:
        return GrpcStatus.UNAUTHENTICATED;
      case 403:
        return GrpcStatus.PERMISSION_DENIED;
      case 404:
        return GrpcStatus.NOT_FOUND;
      case 409:
        return "already_exists".equals(e.code()) ? GrpcStatus.ALREADY_EXISTS : GrpcStatus.FAILED_PRECONDITION;
      case 429:
      case 431:
      case 507:
        return GrpcStatus.RESOURCE_EXHAUSTED;
      case 503:
        return GrpcStatus.UNAVAILABLE;
      default:
        return GrpcStatus.INTERNAL;
    }
  }

  /**
   * Ends the call with the status that says what went wrong; {@code otherNode} gives the gRPC address of another
   * node (or null), asked only when this one cannot take the call (it is leaving).
   */
  public static void fail(GrpcServerResponse<?, ?> response, Throwable failure,
                          Supplier<String> otherNode) {
    ApiException e = ApiException.of(failure);
    StringBuilder message = new StringBuilder(e.code()).append(": ").append(e.getMessage());
    if (e.field() != null) {
      message.append(" (field: ").append(e.field()).append(')');
      response.trailers().set(GrpcTrailers.FIELD, e.field());
    }
    String other = e.retryAt() == null ? null : otherNode.get();
    if (other != null) {
      message.append(" (retry at ").append(other).append(')');
      response.trailers().set(GrpcTrailers.RETRY_AT, other);
    }
    response.trailers().set(GrpcTrailers.ERROR, e.code());
    end(response, status(e), message.toString());
  }

  public static void end(GrpcServerResponse<?, ?> response, GrpcStatus status, String message) {
    try {
      response.status(status).statusMessage(message).end();
    } catch (IllegalStateException alreadyEnded) {
      // The client went away, or the call was already answered.
    }
  }
}
