package io.cairn.config;

/**
 * The {@code grpc} section.
 *
 * @param port grpc.port, or http.port when it is 0 (gRPC beside HTTP/1.1 on the HTTP listener)
 */
public record GrpcSettings(int port, int maxClients, long clientTimeoutMillis) {

  static GrpcSettings from(ConfigReader r, int httpPort) {
    int port = r.integer("port");
    return new GrpcSettings(port > 0 ? port : httpPort, r.integer("maxClients"), r.duration("clientTimeout"));
  }
}
