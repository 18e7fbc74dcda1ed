package io.cairn.config;

import java.util.List;

/**
 * The {@code cluster} section without {@code cluster.raft} ({@link RaftSettings}): Hazelcast membership and the
 * clustered event bus.
 *
 * @param join cluster.join: host:port of the members to contact, a list or a comma-separated string
 * @param partitions cluster.partitions: Hazelcast's partition count, the same on every node of a cluster
 */
public record ClusterSettings(String name, String host, int port, boolean portAutoIncrement, List<String> join,
                              int backupCount, int partitions, long heartbeatIntervalMillis,
                              long failureTimeoutMillis, long mergeIntervalMillis) {

  public ClusterSettings {
    join = List.copyOf(join);
    if (heartbeatIntervalMillis < 1000 || heartbeatIntervalMillis % 1000 != 0 || failureTimeoutMillis % 1000 != 0
        || failureTimeoutMillis < 2 * heartbeatIntervalMillis) {
      // Hazelcast counts both in whole seconds.
      throw new IllegalArgumentException("cluster.heartbeatInterval and cluster.failureTimeout are whole seconds, "
          + "the interval at least 1s and the timeout at least twice the interval");
    }
    if (mergeIntervalMillis < 1000) {
      throw new IllegalArgumentException("cluster.mergeInterval must be at least 1s");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("cluster.partitions must be at least 1");
    }
    if (join.isEmpty()) {
      throw new IllegalArgumentException("cluster.join must list at least one member (host:port)");
    }
  }

  static ClusterSettings from(ConfigReader r) {
    return new ClusterSettings(r.string("name"), r.string("host"), r.integer("port"), r.bool("portAutoIncrement"),
        r.list("join"), r.integer("backupCount"), r.integer("partitions"), r.duration("heartbeatInterval"),
        r.duration("failureTimeout"), r.duration("mergeInterval"));
  }
}
