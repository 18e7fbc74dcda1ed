package io.cairn.api;

import io.cairn.model.Event;
import io.cairn.node.Addresses;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.bus.Applied;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Replica;
import io.cairn.registry.Snapshot;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The change streams of one gateway event loop. It hears what this node applied ({@link Addresses#APPLIED}) and
 * hands each watcher the events it wants, in revision order; a watcher that starts from a revision is first served
 * from the node's {@code EventHistory} (or, when that revision is older than the history, a reset and a snapshot),
 * then joins the live feed without gap or duplicate: it remembers the last revision it was given, and the live
 * feed only brings later ones.
 *
 * <p>A watcher that does not keep up is skipped (its write queue is bounded by Vert.x) and, once its queue drains,
 * given a fresh snapshot: it never holds events in memory for a slow client, and never delays the others.
 */
public final class WatchHub {
  private final Vertx vertx;
  private final NodeState node;
  private final Replica replica;
  private final EventHistory history;
  private final NodeStats stats;
  private final Map<Watcher, Position> watchers = new HashMap<>();
  /** Watchers resuming from a revision this node had not applied when they came: where each resumes from. */
  private final Map<Watcher, Resume> resuming = new HashMap<>();

  private record Resume(long after, int index, long since) {
  }

  /** How long a watcher resuming ahead of this node waits for it before it starts over from a snapshot. */
  static final long RESUME_WAIT_MILLIS = 5_000;
  /**
   * The highest revision this hub heard applied ({@link Addresses#APPLIED}): its events are in the history by then,
   * which the replica's own revision does not promise (it moves first).
   */
  private long heardApplied;

  /**
   * How far a watcher got: the last revision it was given (-1 while its snapshot is on its way), and the last one
   * the client was told of (by an event, a snapshot or a progress frame).
   */
  private static final class Position {
    long last;
    long told = -1;
    long toldAt = System.currentTimeMillis();
    boolean lagged;
  }

  /**
   * A watcher told nothing for this long hears its revision again: a client can tell a quiet node from a dead one,
   * and the connection never sits idle long enough for http.idleTimeout (10 s, or half the idle timeout).
   */
  private final long idleProgressMillis;

  /** How often a watcher hears how far it is when the revisions since brought it no event. */
  static final long PROGRESS_MILLIS = 1_000;
  /** How often the hub looks whether the node started leaving. */
  private static final long LEAVING_CHECK_MILLIS = 200;

  /** What each stream kind of this loop does to its streams when the node leaves, in the order registered. */
  private final List<Runnable> onLeaving = new ArrayList<>();
  private boolean closedForLeaving;

  public WatchHub(Vertx vertx, NodeState node, Replica replica, EventHistory history, NodeStats stats,
                  long keepAliveMillis) {
    this.vertx = vertx;
    this.node = node;
    this.replica = replica;
    this.history = history;
    this.stats = stats;
    this.idleProgressMillis = keepAliveMillis;
    vertx.eventBus().<Applied>localConsumer(Addresses.APPLIED, this::onApplied);
    vertx.setPeriodic(PROGRESS_MILLIS, id -> sendProgress());
    vertx.setPeriodic(LEAVING_CHECK_MILLIS, id -> closeIfLeaving());
  }

  /**
   * Runs {@code close} (on this loop) when the node starts leaving: each transport closes its streams there, naming
   * another node to reconnect to.
   */
  public void onLeaving(Runnable close) {
    onLeaving.add(close);
  }

  private void closeIfLeaving() {
    if (closedForLeaving || !node.leaving()) {
      return;
    }
    closedForLeaving = true;
    onLeaving.forEach(Runnable::run);
  }

  /** Live from now on. */
  public void watchFromNow(Watcher w) {
    Position p = new Position();
    p.last = replica.revision();
    track(w, p);
  }

  /**
   * Every event after revision {@code after} (and after event {@code index} of that revision, when the client saw
   * only part of it), then live. Older than the history: a reset and a snapshot first. Part of a revision newer
   * than this node's replica (the client resumes here from a node further on, as after a failover to a follower
   * still catching up): the watcher waits until this node has applied that revision, since a snapshot of this
   * node's older registry would take the client's copy back in time and replay changes it already heard; a node
   * that does not get there within {@link #RESUME_WAIT_MILLIS} starts it over from a snapshot after all. A whole
   * revision newer than the replica needs no wait: the live feed brings only what follows it.
   */
  public void watchFrom(Watcher w, long after, int index) {
    Position p = new Position();
    track(w, p);
    if (index >= 0 && after > replica.revision()) {
      p.last = -1;
      resuming.put(w, new Resume(after, index, System.currentTimeMillis()));
      return;
    }
    resume(w, p, after, index);
  }

  private void resume(Watcher w, Position p, long after, int index) {
    long complete = after - (index >= 0 ? 1 : 0);
    if (complete >= history.floor()) {
      List<Event> backlog = history.between(complete, Long.MAX_VALUE);
      if (index >= 0 && backlog.stream().noneMatch(e -> e.revision() == after)) {
        // The client saw part of a revision whose events are not in the history: what it lacks of it cannot be
        // told apart here, so it starts over from a snapshot rather than miss it.
        startOver(w, p, true);
        return;
      }
      // Not the replica's revision: its events may not be in the history yet, and would then be skipped.
      p.last = backlog.isEmpty() ? after : Math.max(after, backlog.get(backlog.size() - 1).revision());
      // Of the partly seen revision, the events the client got (the first index + 1 it wanted) are not sent again.
      List<Event> rest = new ArrayList<>(backlog.size());
      long seenOfPartial = index + 1L;
      for (Event e : backlog) {
        if (seenOfPartial > 0 && e.revision() == after && w.wants(e)) {
          seenOfPartial--;
          continue;
        }
        rest.add(e);
      }
      send(w, p, rest, new EncodedEvents());
      return;
    }
    startOver(w, p, true);
  }

  /**
   * Resumes the watchers waiting for a revision this node has now applied; starts over those that waited
   * {@link #RESUME_WAIT_MILLIS} in vain; forgets closed ones.
   */
  private void resumeWaiting() {
    if (resuming.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    long applied = heardApplied;
    for (var it = resuming.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      Watcher w = entry.getKey();
      Resume r = entry.getValue();
      Position p = watchers.get(w);
      if (p == null || !w.open()) {
        it.remove();
      } else if (applied >= r.after()) {
        it.remove();
        resume(w, p, r.after(), r.index());
      } else if (now - r.since() >= RESUME_WAIT_MILLIS) {
        it.remove();
        startOver(w, p, true);
      }
    }
  }

  /** A snapshot, then events after it. */
  public void watchWithSnapshot(Watcher w) {
    Position p = new Position();
    track(w, p);
    startOver(w, p, false);
  }

  /** Sends a fresh snapshot (after a subscription change, or a reset). */
  public void resend(Watcher w, boolean reset) {
    Position p = watchers.get(w);
    if (p != null) {
      startOver(w, p, reset);
    }
  }

  public void remove(Watcher w) {
    resuming.remove(w);
    if (watchers.remove(w) != null) {
      stats.watchClosed(w.kind());
    }
  }

  /** Follows {@code w} from {@code p}; counted in the node's cairn_watchers until removed. */
  private void track(Watcher w, Position p) {
    if (watchers.put(w, p) == null) {
      stats.watchOpened(w.kind());
    }
  }

  private void startOver(Watcher w, Position p, boolean reset) {
    p.last = -1;
    vertx.eventBus().<Snapshot>request(Addresses.REPLICA_SNAPSHOT, null).map(Message::body).onComplete(ar -> {
      if (!w.open() || watchers.get(w) != p) {
        return;
      }
      if (ar.failed()) {
        p.last = replica.revision();
        return;
      }
      Snapshot s = ar.result();
      w.sendSnapshot(s, reset);
      p.last = s.revision();
      p.told = s.revision();
      p.toldAt = System.currentTimeMillis();
      // What was applied while the snapshot travelled here.
      catchUp(w, p);
    });
  }

  private void catchUp(Watcher w, Position p) {
    List<Event> missed = history.between(p.last, Long.MAX_VALUE);
    if (!missed.isEmpty()) {
      p.last = missed.get(missed.size() - 1).revision();
      send(w, p, missed, new EncodedEvents());
    }
  }

  /** Sends the events the watcher wants, if any. */
  private static void send(Watcher w, Position p, List<Event> events, EncodedEvents encoded) {
    List<Event> wanted = new ArrayList<>();
    for (Event e : events) {
      if (w.wants(e)) {
        wanted.add(e);
      }
    }
    if (!wanted.isEmpty()) {
      w.send(wanted, encoded);
      p.told = Math.max(p.told, wanted.get(wanted.size() - 1).revision());
      p.toldAt = System.currentTimeMillis();
    }
  }

  /**
   * Tells each watcher that is up to date how far it is, when the revisions since it was last told brought it
   * nothing (other names, or commands without events): etcd's progress notification; and, after
   * {@link #idleProgressMillis} of silence, tells it again, as a keep-alive its client can count on. Every
   * {@link #PROGRESS_MILLIS}.
   */
  private void sendProgress() {
    resumeWaiting();
    long now = System.currentTimeMillis();
    for (var entry : watchers.entrySet()) {
      Watcher w = entry.getKey();
      Position p = entry.getValue();
      boolean moved = p.last > p.told;
      boolean quiet = now - p.toldAt >= idleProgressMillis;
      if (w.open() && !p.lagged && p.last >= 0 && (moved || quiet) && !w.behind()) {
        w.sendProgress(p.last);
        p.told = p.last;
        p.toldAt = now;
      }
    }
  }

  private void onApplied(Message<Applied> msg) {
    Applied applied = msg.body();
    if (!applied.isReset()) {
      heardApplied = Math.max(heardApplied, applied.revision());
    }
    resumeWaiting();
    // Each event is encoded once for all the watchers of this loop that want it.
    EncodedEvents encoded = new EncodedEvents();
    for (var entry : watchers.entrySet()) {
      Watcher w = entry.getKey();
      Position p = entry.getValue();
      if (!w.open() || p.last < 0) {
        continue;
      }
      if (applied.isReset()) {
        startOver(w, p, true);
        continue;
      }
      if (p.lagged) {
        continue;
      }
      if (w.behind()) {
        // Skip it from here on; once its queue drains, it starts over from a snapshot.
        p.lagged = true;
        w.whenDrained(() -> {
          p.lagged = false;
          if (watchers.get(w) == p && w.open()) {
            startOver(w, p, true);
          }
        });
        continue;
      }
      long seen = p.last;
      p.last = Math.max(p.last, applied.revision());
      send(w, p, applied.events().stream().filter(e -> e.revision() > seen).toList(), encoded);
    }
  }
}
