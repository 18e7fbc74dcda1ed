package io.cairn.config;

/**
 * The {@code snapshot} section: how often each node snapshots its replica into its Raft storage.
 *
 * @param logSegmentBytes snapshot.logSegmentSize in bytes
 */
public record SnapshotSettings(long intervalMillis, long everyRevisions, int retain, long logSegmentBytes) {

  public SnapshotSettings {
    if (logSegmentBytes < 16 << 10) {
      throw new IllegalArgumentException("snapshot.logSegmentSize must be at least 16KB");
    }
    if (intervalMillis < 1000 || everyRevisions < 1 || retain < 1) {
      throw new IllegalArgumentException("snapshot.interval at least 1s, snapshot.everyRevisions and snapshot.retain "
          + "at least 1");
    }
  }

  static SnapshotSettings from(ConfigReader r) {
    return new SnapshotSettings(r.duration("interval"), r.integer("everyRevisions"), r.integer("retain"),
        r.size("logSegmentSize"));
  }
}
