package io.cairn.bridge.etcd;

/**
 * The end of a watch whose start revision etcd has already compacted away: the events in between are gone, and the
 * watcher has to read the prefix anew ({@link EtcdClient#range}) and watch from that listing's revision + 1.
 */
public final class EtcdCompacted extends EtcdException {
  private final long compactRevision;

  public EtcdCompacted(String endpoint, long startRevision, long compactRevision) {
    super("etcd " + endpoint + " compacted its history up to revision " + compactRevision + ": a watch from revision "
        + startRevision + " cannot start", null);
    this.compactRevision = compactRevision;
  }

  /** The oldest revision etcd still has (a watch may start there at the earliest). */
  public long compactRevision() {
    return compactRevision;
  }
}
