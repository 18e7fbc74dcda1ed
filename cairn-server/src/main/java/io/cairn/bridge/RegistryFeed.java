package io.cairn.bridge;

import io.cairn.api.EncodedEvents;
import io.cairn.api.Watcher;
import io.cairn.model.Event;
import io.cairn.registry.Snapshot;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Cairn's change stream as a mirroring bridge takes it: a {@link Watcher} of every event, on the bridge's own
 * {@code WatchHub}, that hands its {@link MirrorTarget} one write at a time: a reconcile for each snapshot, then the
 * events in order, in batches of what queued while the previous write was under way. Each event carries its
 * position in the stream ({@code R}, or {@code R:k} inside a revision), so the target records exactly how far it
 * got. Past {@link #MAX_QUEUED} events waiting, the feed counts as behind: the hub stops sending, and once the
 * queue drained starts it over from a snapshot (a reconcile) rather than hold an unbounded backlog.
 */
final class RegistryFeed implements Watcher {
  static final int MAX_QUEUED = 100_000;
  /** Events per write: enough to amortise a round trip, few enough that a write stays short. */
  static final int BATCH = 1_000;

  private record Queued(Change change, long at) {
  }

  private final MirrorTarget target;
  private final Consumer<Throwable> failed;
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private Snapshot pendingSnapshot;
  private boolean writing;
  private long writingSince;
  private boolean open = true;
  private Runnable drained;
  /** The last event queued: its revision and ordinal in that revision, to number the next. */
  private long lastRevision;
  private int lastOrdinal;
  /** The last revision the target wrote whole, or in part. */
  private long mirrored;

  /**
   * @param after  the position the target stands at: revision, and the ordinal of the last event of it written
   *               (-1: the whole revision)
   * @param failed told once of a write that failed: the session ends
   */
  RegistryFeed(MirrorTarget target, long after, int ordinal, Consumer<Throwable> failed) {
    this.target = target;
    this.failed = failed;
    this.lastRevision = after;
    this.lastOrdinal = ordinal;
    this.mirrored = after;
  }

  /** Parses a position the target recorded ({@code R} or {@code R:k}); null when it is not one. */
  static long[] position(String text) {
    if (text == null) {
      return null;
    }
    try {
      int colon = text.indexOf(':');
      return colon < 0 ? new long[] {Long.parseLong(text.trim()), -1}
          : new long[] {Long.parseLong(text.substring(0, colon).trim()), Integer.parseInt(text.substring(colon + 1).trim())};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  long mirrored() {
    return mirrored;
  }

  /** How long the oldest change not yet written has waited, in milliseconds; 0 when none waits. */
  long lagMillis(long now) {
    if (writing) {
      return now - writingSince;
    }
    Queued oldest = queue.peekFirst();
    return oldest == null && pendingSnapshot == null ? 0 : now - (oldest == null ? now : oldest.at());
  }

  /** Nothing waits and nothing is being written. */
  boolean idle() {
    return !writing && queue.isEmpty() && pendingSnapshot == null;
  }

  void close() {
    open = false;
    queue.clear();
    pendingSnapshot = null;
  }

  @Override
  public String kind() {
    return "bridge";
  }

  @Override
  public boolean wants(Event event) {
    return true;
  }

  @Override
  public void send(List<Event> events, EncodedEvents encoded) {
    if (!open) {
      return;
    }
    long now = System.currentTimeMillis();
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      int ordinal = e.revision() == lastRevision ? lastOrdinal + 1 : 0;
      boolean lastOfRevision = i + 1 == events.size() || events.get(i + 1).revision() != e.revision();
      queue.addLast(new Queued(new Change(e, lastOfRevision ? Long.toString(e.revision()) : e.revision() + ":" + ordinal),
          now));
      lastRevision = e.revision();
      lastOrdinal = lastOfRevision ? -1 : ordinal;
    }
    pump();
  }

  @Override
  public void sendSnapshot(Snapshot snapshot, boolean reset) {
    if (!open) {
      return;
    }
    queue.clear();
    pendingSnapshot = snapshot;
    lastRevision = snapshot.revision();
    lastOrdinal = -1;
    pump();
  }

  @Override
  public void sendProgress(long revision) {
    // Revisions without events: nothing to write, but the mirror is that far.
    if (idle() && revision > mirrored) {
      mirrored = revision;
    }
  }

  @Override
  public boolean open() {
    return open;
  }

  @Override
  public boolean behind() {
    return queue.size() >= MAX_QUEUED;
  }

  @Override
  public void whenDrained(Runnable action) {
    drained = action;
  }

  private void pump() {
    if (writing || !open) {
      return;
    }
    if (pendingSnapshot != null) {
      Snapshot s = pendingSnapshot;
      pendingSnapshot = null;
      begin();
      target.reconcile(s).onComplete(ar -> written(ar.cause(), s.revision()));
      return;
    }
    if (queue.isEmpty()) {
      Runnable action = drained;
      drained = null;
      if (action != null) {
        action.run();
      }
      return;
    }
    List<Change> batch = new ArrayList<>(Math.min(BATCH, queue.size()));
    writingSince = queue.peekFirst().at();
    while (!queue.isEmpty() && batch.size() < BATCH) {
      batch.add(queue.pollFirst().change());
    }
    long revision = batch.get(batch.size() - 1).event().revision();
    writing = true;
    target.write(batch).onComplete(ar -> written(ar.cause(), revision));
  }

  private void begin() {
    writing = true;
    writingSince = System.currentTimeMillis();
  }

  private void written(Throwable failure, long revision) {
    writing = false;
    if (!open) {
      return;
    }
    if (failure != null) {
      close();
      failed.accept(failure);
      return;
    }
    mirrored = Math.max(mirrored, revision);
    pump();
  }
}
