package io.cairn.gateway;

/**
 * What the gateway reports as it works, for metrics. Labels stay bounded: service and route, never an instance.
 * Called on event loops: implementations only count.
 */
public interface GatewayObserver {
  /** An answer went to the client (or its stream ended): its status, the time taken, the tries it took. */
  void answered(String service, String route, int status, long nanos, int attempts);

  /** A try on another instance. */
  void retried(String service, String route);

  /**
   * A gRPC call ended with this {@code grpc-status} (the instance's, or the gateway's own), besides
   * {@link #answered}: a gRPC answer's HTTP status is 200 whatever the outcome.
   */
  default void grpcStatus(String service, String route, int code) {
  }

  GatewayObserver NONE = new GatewayObserver() {
    @Override
    public void answered(String service, String route, int status, long nanos, int attempts) {
    }

    @Override
    public void retried(String service, String route) {
    }
  };
}
