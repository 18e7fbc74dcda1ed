package io.cairn.client;

import io.vertx.grpc.common.GrpcStatus;

/**
 * A call Cairn refused or could not take: the gRPC status, Cairn's error code (the REST API's: {@code not_found},
 * {@code invalid_port}, {@code cas_failed}...) and, for bad input, the field at fault.
 */
public final class CairnException extends RuntimeException {
  private final GrpcStatus status;
  private final String code;
  private final String field;

  public CairnException(GrpcStatus status, String code, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  public GrpcStatus status() {
    return status;
  }

  /** Cairn's error code, or null when the failure did not come from Cairn (a connection that failed). */
  public String code() {
    return code;
  }

  public String field() {
    return field;
  }
}
