package io.cairn.bridge.etcd;

import io.vertx.grpc.common.GrpcStatus;

/**
 * A call to etcd that failed, its message naming the endpoint and what happened ("etcd http://127.0.0.1:2379
 * unreachable: Connection refused", "etcd http://127.0.0.1:2379 refused Txn: INVALID_ARGUMENT etcdserver: too many
 * operations in txn request"). {@link #status()} is etcd's gRPC status when it answered one, null when it never
 * answered (unreachable, timed out, stream broken).
 */
public class EtcdException extends RuntimeException {
  private final transient GrpcStatus status;

  public EtcdException(String message, GrpcStatus status) {
    super(message);
    this.status = status;
  }

  public GrpcStatus status() {
    return status;
  }
}
