package io.cairn.config;

/**
 * The {@code cluster.raft} section: this node's part of the Raft group that holds the registry log.
 *
 * @param port            cluster.raft.port, or http.port + 1000 when it is 0
 * @param bootstrapExpect nodes with empty Raft storage that must see each other before a new cluster forms its group
 * @param voters          how many voters the group keeps; further nodes are learners
 */
public record RaftSettings(int port, int bootstrapExpect, int voters, long deadVoterTimeoutMillis,
                           long electionTimeoutMillis) {

  public RaftSettings {
    if (port < 0 || port > 65535 || bootstrapExpect < 1) {
      throw new IllegalArgumentException("cluster.raft.port must be 0 (http.port + 1000) or a port; "
          + "cluster.raft.bootstrapExpect at least 1");
    }
    if (voters != 1 && voters != 3 && voters != 5) {
      throw new IllegalArgumentException("cluster.raft.voters must be 1, 3 or 5");
    }
    if (electionTimeoutMillis < 100 || deadVoterTimeoutMillis < 5000) {
      throw new IllegalArgumentException("cluster.raft.electionTimeout at least 100ms, cluster.raft.deadVoterTimeout "
          + "at least 5s");
    }
  }

  static RaftSettings from(ConfigReader r, int httpPort) {
    int port = r.integer("port");
    return new RaftSettings(port == 0 ? httpPort + 1000 : port, r.integer("bootstrapExpect"), r.integer("voters"),
        r.duration("deadVoterTimeout"), r.duration("electionTimeout"));
  }
}
