package io.cairn.registry;

import io.cairn.model.Event;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The most recent events this node applied, oldest first, bounded. Written and read by the applying thread. */
public final class EventHistory {
  private final int capacity;
  private final ArrayDeque<Event> events;

  public EventHistory(int capacity) {
    this.capacity = Math.max(1, capacity);
    this.events = new ArrayDeque<>(Math.min(this.capacity, 4096));
  }

  public void add(Event event) {
    if (events.size() == capacity) {
      events.pollFirst();
    }
    events.addLast(event);
  }

  /** Events with a revision greater than {@code after} and at most {@code upTo}, oldest first. */
  public List<Event> between(long after, long upTo) {
    List<Event> result = new ArrayList<>();
    for (Event e : events) {
      if (e.revision() > after && e.revision() <= upTo) {
        result.add(e);
      }
    }
    return result;
  }

  public void clear() {
    events.clear();
  }
}
