package io.cairn.model;

import java.util.List;

/**
 * One Cairn node as the registry knows it. {@code id} is stable (configured, or host and HTTP port);
 * {@code memberId} names one incarnation of it (a process: it changes on every start, not on a merge), so that a
 * report about a dead incarnation cannot touch its restarted successor. The rest describes where the node is
 * reached and where it runs, from its configuration.
 */
public record NodeInfo(String id, String name, String memberId, String host, int httpPort, String grpcAddress,
                       String clusterAddress, String region, String zone, String version, List<String> tags,
                       long startedAt, Status status, long joinedAt, long since) {

  public NodeInfo {
    tags = tags == null ? List.of() : List.copyOf(tags);
    region = region == null ? "" : region;
    zone = zone == null ? "" : zone;
    name = name == null || name.isEmpty() ? id : name;
  }

  /** A node as it announces itself: alive, not yet joined. */
  public static NodeInfo announce(String id, String name, String memberId, String host, int httpPort,
                                  String grpcAddress, String clusterAddress, String region, String zone,
                                  String version, List<String> tags, long startedAt) {
    return new NodeInfo(id, name, memberId, host, httpPort, grpcAddress, clusterAddress, region, zone, version, tags,
        startedAt, Status.ALIVE, 0, 0);
  }

  public enum Status {
    ALIVE, LEFT, FAILED;

    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public NodeInfo withStatus(Status newStatus, long at) {
    return new NodeInfo(id, name, memberId, host, httpPort, grpcAddress, clusterAddress, region, zone, version, tags,
        startedAt, newStatus, joinedAt, at);
  }

  /** This node as the registry records it when its nodeJoined command is applied at {@code at}. */
  public NodeInfo joined(long at) {
    return new NodeInfo(id, name, memberId, host, httpPort, grpcAddress, clusterAddress, region, zone, version, tags,
        startedAt, Status.ALIVE, at, at);
  }

  public boolean alive() {
    return status == Status.ALIVE;
  }

  /** The base URL of this node's REST API. */
  /** The node's HTTP API: https when the cluster's nodes serve TLS (they all do, or none). */
  public String baseUrl(boolean tls) {
    return (tls ? "https://" : "http://") + host + ":" + httpPort;
  }
}
