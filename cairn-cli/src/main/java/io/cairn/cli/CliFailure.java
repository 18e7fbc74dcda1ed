package io.cairn.cli;

import io.cairn.client.CairnException;
import io.vertx.grpc.common.GrpcStatus;

/**
 * Why a command failed, as one line for stderr and an exit code for scripts: {@link #REFUSED} (1) when a node
 * answered no (not found, not allowed, bad input, a failed check of a precondition), {@link #UNREACHABLE} (3) when no
 * node could be reached or none could serve. Bad usage (2) is picocli's own.
 */
final class CliFailure extends RuntimeException {
  static final int REFUSED = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;

  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }

  static CliFailure refused(String message) {
    return new CliFailure(REFUSED, message);
  }

  static CliFailure unreachable(String message) {
    return new CliFailure(UNREACHABLE, message);
  }

  /** A gRPC call's failure: the node's own refusal, or no node answering. */
  static CliFailure of(CairnException e) {
    boolean unreachable = e.status() == GrpcStatus.UNAVAILABLE || e.status() == GrpcStatus.DEADLINE_EXCEEDED;
    String code = e.code() == null || e.code().isEmpty() ? "" : " (" + e.code() + ")";
    return new CliFailure(unreachable ? UNREACHABLE : REFUSED, e.getMessage() + code);
  }
}
