package io.cairn.node.bus;

import io.cairn.model.Event;

import java.util.List;

/**
 * What the replication verticle tells this node's watchers after each batch it applied: the batch's events, in
 * order, and the replica's revision after it. {@link #RESET} says the replica was replaced (snapshot loaded, merge):
 * watchers must start over from a snapshot.
 */
public record Applied(List<Event> events, long revision) {
  public static final Applied RESET = new Applied(List.of(), -1);

  public boolean isReset() {
    return revision < 0;
  }
}
