package io.cairn.replication;

import io.cairn.registry.Apply;
import io.cairn.registry.Replica;
import io.cairn.registry.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node's disk says the registry was: the newest readable snapshot, then the journal's records that
 * follow it without a gap, applied with the same {@link Apply} as the live log. Used when the whole cluster starts
 * with an empty log (a cold restart): the node with the newest such state seeds the cluster.
 */
final class LocalRestore {
  private static final Logger log = LoggerFactory.getLogger(LocalRestore.class);

  private LocalRestore() {
  }

  /** Loads the disk's state into {@code replica}; returns its revision (0: nothing on disk). Blocking. */
  static long restore(DiskSnapshots disk, Journal journal, Replica replica) {
    Snapshot snapshot = disk.loadNewest();
    replica.load(snapshot != null ? snapshot : Snapshot.empty(0));
    long revision = replica.revision();
    int replayed = 0;
    for (Journal.Record r : journal.readAfter(revision)) {
      if (r.revision() != revision + 1) {
        log.warn("The journal jumps from revision {} to {}; what follows is not used", revision, r.revision());
        break;
      }
      try {
        Apply.apply(replica, LogCodec.decode(r.item()), r.revision());
      } catch (RuntimeException e) {
        replica.skipTo(r.revision());
      }
      revision = r.revision();
      replayed++;
    }
    if (revision > 0) {
      log.info("On disk: snapshot at revision {} and {} journal records: {} instances at revision {}",
          snapshot == null ? 0 : snapshot.revision(), replayed, replica.size(), revision);
    }
    return revision;
  }
}
