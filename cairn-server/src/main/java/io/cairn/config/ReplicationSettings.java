package io.cairn.config;

/**
 * The {@code replication} section.
 *
 * @param eventHistory     events kept in memory, for watchers that resume from a recent revision
 * @param maxLagRevisions  replication.maxLag.revisions: a node further behind the leader's published revision is not
 *                         current
 * @param maxLagMillis     replication.maxLag.time: a node that has not applied a revision the leader published this
 *                         long ago is not current
 */
public record ReplicationSettings(int eventHistory, long writeTimeoutMillis, long maxLagRevisions, long maxLagMillis) {

  public ReplicationSettings {
    if (maxLagRevisions < 1 || maxLagMillis < 1000) {
      throw new IllegalArgumentException("replication.maxLag.revisions at least 1 and replication.maxLag.time at "
          + "least 1s");
    }
  }

  static ReplicationSettings from(ConfigReader r) {
    ConfigReader maxLag = r.section("maxLag");
    return new ReplicationSettings(r.integer("eventHistory"), r.duration("writeTimeout"), maxLag.integer("revisions"),
        maxLag.duration("time"));
  }
}
