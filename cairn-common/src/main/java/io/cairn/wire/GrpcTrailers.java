package io.cairn.wire;

/**
 * The trailers a failed Cairn gRPC call carries besides its status, for programs to switch on: the REST error code
 * ({@code cairn-error}), the field at fault ({@code cairn-field}) and another node to retry at
 * ({@code cairn-retry-at}). The server writes them; clients read them.
 */
public final class GrpcTrailers {
  public static final String ERROR = "cairn-error";
  public static final String FIELD = "cairn-field";
  public static final String RETRY_AT = "cairn-retry-at";

  private GrpcTrailers() {
  }
}
