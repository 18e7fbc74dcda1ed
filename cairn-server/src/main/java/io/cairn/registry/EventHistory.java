package io.cairn.registry;

import io.cairn.model.Event;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The most recent events this node applied, oldest first, bounded: what a watcher resuming from a revision is
 * served from. Written by the applying thread, read by watchers on other event loops (hence synchronized; reads
 * copy).
 *
 * <p>{@link #floor()} is the revision after which every event is still here: a watcher resuming after revision R
 * can be served from history exactly when R is at least the floor. Older resumes get a reset and a snapshot.
 */
public final class EventHistory {
  private final int capacity;
  private final ArrayDeque<Event> events;
  private long floor;

  public EventHistory(int capacity) {
    this.capacity = Math.max(1, capacity);
    this.events = new ArrayDeque<>(Math.min(this.capacity, 4096));
  }

  public synchronized void add(Event event) {
    if (events.size() == capacity) {
      // The evicted event's revision may still have events here: only what comes after it is complete.
      floor = Math.max(floor, events.pollFirst().revision());
    }
    events.addLast(event);
  }

  /** The events of one revision, all at once, so that a reader never sees a revision in part. */
  public synchronized void addAll(List<Event> revisionEvents) {
    for (Event e : revisionEvents) {
      add(e);
    }
  }

  /** Events with a revision greater than {@code after} and at most {@code upTo}, oldest first. */
  public synchronized List<Event> between(long after, long upTo) {
    List<Event> result = new ArrayList<>();
    for (Event e : events) {
      if (e.revision() > after && e.revision() <= upTo) {
        result.add(e);
      }
    }
    return result;
  }

  /** The last {@code count} events at or before revision {@code upTo} that {@code wanted} takes, oldest first. */
  public synchronized List<Event> latest(long upTo, int count, Predicate<Event> wanted) {
    LinkedList<Event> result = new LinkedList<>();
    for (var it = events.descendingIterator(); it.hasNext() && result.size() < count; ) {
      Event e = it.next();
      if (e.revision() <= upTo && wanted.test(e)) {
        result.addFirst(e);
      }
    }
    return result;
  }

  /** Every event after this revision is in the history. */
  public synchronized long floor() {
    return floor;
  }

  /** Forgets everything: the replica was replaced by a snapshot (or emptied) at {@code revision}. */
  public synchronized void reset(long revision) {
    events.clear();
    floor = revision;
  }
}
