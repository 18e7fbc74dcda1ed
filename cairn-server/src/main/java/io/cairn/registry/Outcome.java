package io.cairn.registry;

import io.cairn.model.Event;
import io.cairn.model.ServiceEntry;

import java.util.List;

/**
 * What applying one command did: a verdict for the caller, the instance it concerns (after the change, or as it
 * was when refused or removed), the events to stream, and the revision the command took in the log.
 */
public record Outcome(Status status, ServiceEntry entry, List<Event> events, long revision) {

  public enum Status {
    /** A new instance. */
    CREATED,
    /** An existing instance changed. */
    UPDATED,
    /** Accepted; nothing needed to change. */
    UNCHANGED,
    NOT_FOUND,
    /** Create-only registration of an id that exists. */
    EXISTS,
    /** Compare-and-set: the instance changed after the given revision. */
    CAS_FAILED,
    /** A heartbeat for an instance without a ttl. */
    NOT_TTL,
    /** Housekeeping from a leader or term that is no longer current. */
    STALE_TERM,
    /** This node could not read or apply the command (e.g. a newer version's); nothing changed. */
    SKIPPED;

    public boolean accepted() {
      return this == CREATED || this == UPDATED || this == UNCHANGED;
    }
  }

  static Outcome of(Status status, ServiceEntry entry, Event event) {
    return new Outcome(status, entry, event == null ? List.of() : List.of(event), 0);
  }

  static Outcome rejected(Status status, ServiceEntry entry) {
    return new Outcome(status, entry, List.of(), 0);
  }

  Outcome at(long newRevision) {
    return new Outcome(status, entry, events, newRevision);
  }
}
