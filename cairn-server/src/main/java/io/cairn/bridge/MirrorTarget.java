package io.cairn.bridge;

import io.cairn.registry.Snapshot;
import io.vertx.core.Future;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a mirroring bridge writes Cairn's registry: etcd (export) or Redis. Its calls come one at a time, each after
 * the previous one's future completed, on the bridge's event loop; {@link #open} first, {@link #close} last. A failed
 * future ends the session: the bridge closes the target, and after a back-off opens it again.
 */
public interface MirrorTarget {

  /**
   * Connects, and takes the server's fence for {@code term}: fails with {@link FencedOut} when a newer term holds it.
   * Answers where the mirror stands, as a position in Cairn's event stream ({@code R}: every event up to revision R;
   * {@code R:k}: every event before revision R, and events 0 to k of R), or null when the server keeps none (or lost
   * it): the bridge then reconciles.
   */
  Future<String> open(long term);

  /**
   * Makes the server hold exactly the snapshot's instances: what differs written, what Cairn no longer has deleted,
   * and the snapshot's revision recorded as the position.
   */
  Future<Void> reconcile(Snapshot snapshot);

  /**
   * Writes these changes (oldest first, events of any type: a target takes those it mirrors), recording with what
   * it writes the position of the last change written. A target that splits them into several writes of its own
   * records, with each, the position of its last change.
   */
  Future<Void> write(List<Change> changes);

  /**
   * Where the target reports a failure it finds between calls (a lease lost, a connection closed or silent), given
   * before {@link #open}: a server restarted while nothing was written would otherwise go unnoticed until the next
   * change (and a Redis that lost its data would stay empty until then). It ends the session as a failed call would.
   * A target that finds failures only in its calls' futures reports nothing.
   */
  default void whenBroken(Consumer<Throwable> failed) {
  }

  /** Closes the connections; a lease the bridge kept alive is left to expire on its own. */
  Future<Void> close();
}
