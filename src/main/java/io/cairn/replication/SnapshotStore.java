package io.cairn.replication;

import com.hazelcast.map.IMap;
import io.cairn.registry.Snapshot;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Registry snapshots in the cluster's {@code cairn.snapshots} map, one entry per node (its latest), so that nodes
 * never overwrite each other's and a reader can take the most recent one. Encoding and decoding run off the event
 * loop; writes from one node are serialized, so a later write never lands before an earlier one.
 */
final class SnapshotStore {
  private final Vertx vertx;
  private final Context context;
  private final IMap<String, byte[]> map;
  private final String key;
  private Future<Long> inFlight;
  private Future<Long> queued;

  SnapshotStore(Vertx vertx, Context context, IMap<String, byte[]> map, String nodeId) {
    this.vertx = vertx;
    this.context = context;
    this.map = map;
    this.key = nodeId;
  }

  /**
   * Stores a snapshot of the replica taken when this write's turn comes (on the event loop, so one revision's
   * state); completes with its revision once stored. A call while a write is under way shares the next write.
   */
  Future<Long> write(java.util.function.Supplier<Snapshot> capture) {
    if (inFlight == null) {
      inFlight = store(capture.get()).onComplete(ar -> inFlight = null);
      return inFlight;
    }
    if (queued == null) {
      queued = inFlight.transform(ar -> {
        queued = null;
        return write(capture);
      });
    }
    return queued;
  }

  private Future<Long> store(Snapshot snapshot) {
    return vertx.executeBlocking(() -> LogCodec.encode(snapshot), false)
        .compose(bytes -> Future.fromCompletionStage(map.setAsync(key, bytes), context))
        .map(v -> snapshot.revision());
  }

  /** The most recent snapshot any node stored, or null. Blocking: call from a worker. */
  Snapshot latestBlocking() {
    byte[] best = null;
    long bestRevision = -1;
    for (byte[] bytes : map.values()) {
      long revision = LogCodec.snapshotRevision(bytes);
      if (revision > bestRevision) {
        best = bytes;
        bestRevision = revision;
      }
    }
    return best == null ? null : LogCodec.decodeSnapshot(best);
  }
}
