package io.cairn.model;

/**
 * One Cairn node as the registry knows it. {@code memberId} is its Hazelcast member UUID, which changes on
 * every start; {@code id} is stable (configured, or host and HTTP port).
 */
public record NodeInfo(String id, String memberId, String host, int httpPort, String clusterAddress,
                       String version, Status status, long joinedAt, long since) {

  public enum Status {
    ALIVE, LEFT, FAILED;

    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public NodeInfo withStatus(Status newStatus, long at) {
    return new NodeInfo(id, memberId, host, httpPort, clusterAddress, version, newStatus, joinedAt, at);
  }

  public boolean alive() {
    return status == Status.ALIVE;
  }
}
