package io.cairn.replication;

import io.cairn.model.Event;
import io.cairn.node.Addresses;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Replica;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides, on the node the log names leader, which events are published on {@link Addresses#EVENTS}: each revision's
 * events once, in order. {@link EventPublisherVerticle} then encodes and publishes them on a loop of its own; this
 * class stays on the replication verticle's loop, where the applied revisions arrive in order.
 *
 * <p>Why a cursor: leadership moves from node to node, and subscribers must see no revision twice and none missing
 * across the move. The publishing leader tells every node how far it published ({@link Addresses#EVENTS_PUBLISHED},
 * at most every 50 ms, and once a second while idle); a node that starts leading first publishes, from its
 * {@link EventHistory}, the events its predecessor had not (the gap between that cursor and the revision where it
 * took over), then carries on live.
 */
final class LeaderPublisher {
  private static final DeliveryOptions LOCAL_ONLY = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final NodeState node;
  private final Replica replica;
  private final EventHistory history;
  private final NodeStats stats;
  private boolean leaderPublishing;
  private final List<Event> outgoing = new ArrayList<>();
  private long lastPublishedRevision;
  private boolean cursorWriteScheduled;
  /** The highest revision a leader said it published, as the leaders tell every node (0: none heard yet). */
  private long publishedCursor;

  LeaderPublisher(Vertx vertx, NodeState node, Replica replica, EventHistory history, NodeStats stats) {
    this.vertx = vertx;
    this.node = node;
    this.replica = replica;
    this.history = history;
    this.stats = stats;
  }

  /**
   * A leader said it published up to {@code revision}. Never past what this node applied: a cursor too far would
   * leave a gap, one too short only repeats events.
   */
  void heard(long revision) {
    publishedCursor = Math.max(publishedCursor, Math.min(revision, replica.revision()));
  }

  /** Once a second: also while idle, so that a node that joined since knows the cursor should it lead next. */
  void tellCursor() {
    if (leaderPublishing && lastPublishedRevision > 0) {
      vertx.eventBus().publish(Addresses.EVENTS_PUBLISHED, lastPublishedRevision);
    }
  }

  /** The log moved leadership at {@code revision}: to this node (once it is ready) or away from it. */
  void leadershipMoved(boolean toMe, long revision) {
    if (toMe && !leaderPublishing && node.ready()) {
      start(revision);
    } else if (!toMe && leaderPublishing) {
      leaderPublishing = false;
    }
  }

  /**
   * This node leads from {@code revision} on: publish, in order, the events the previous publisher had not
   * published (from the cursor it told every node), then carry on live.
   */
  void start(long revision) {
    leaderPublishing = true;
    for (Event e : history.between(publishedCursor, revision - 1)) {
      send(e);
    }
    flush();
  }

  /** Events of one applied command, in order: published while this node is the publishing leader. */
  void applied(List<Event> events) {
    if (leaderPublishing) {
      events.forEach(this::send);
    }
  }

  private void send(Event e) {
    outgoing.add(e);
    lastPublishedRevision = e.revision();
    stats.eventPublished();
  }

  /** Hands the events decided so far to the publisher, in one message, in order. */
  void flush() {
    if (!outgoing.isEmpty()) {
      vertx.eventBus().send(EventPublisherVerticle.ADDRESS, new EventPublisherVerticle.Batch(List.copyOf(outgoing)),
          LOCAL_ONLY);
      outgoing.clear();
    }
  }

  /** The publishing leader tells every node how far it published, at most every 50 ms. */
  void afterBatch() {
    if (leaderPublishing && !cursorWriteScheduled && lastPublishedRevision > 0) {
      cursorWriteScheduled = true;
      vertx.setTimer(50, id -> {
        cursorWriteScheduled = false;
        vertx.eventBus().publish(Addresses.EVENTS_PUBLISHED, lastPublishedRevision);
      });
    }
  }
}
