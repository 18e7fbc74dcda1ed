package io.cairn.registry;

import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static io.cairn.registry.Outcome.Status.CAS_FAILED;
import static io.cairn.registry.Outcome.Status.CREATED;
import static io.cairn.registry.Outcome.Status.EXISTS;
import static io.cairn.registry.Outcome.Status.NOT_FOUND;
import static io.cairn.registry.Outcome.Status.NOT_TTL;
import static io.cairn.registry.Outcome.Status.STALE_TERM;
import static io.cairn.registry.Outcome.Status.UNCHANGED;
import static io.cairn.registry.Outcome.Status.UPDATED;

/**
 * The one function that changes registry state: {@code apply(replica, command, revision) -> outcome}. It reads
 * nothing but its arguments (no clock, no randomness, no I/O), so the same log gives the same replica and the same
 * events on every node. Every decision a client can observe (unknown id, failed compare-and-set, stale leader) is
 * taken here, so every node takes it the same way.
 */
public final class Apply {
  private Apply() {
  }

  /** Applies a command whose place in the log carries no term of its own (its term taken as its log term). */
  public static Outcome apply(Replica state, Command cmd, long revision) {
    return apply(state, cmd, revision, cmd.term());
  }

  /**
   * @param logTerm the Raft term of the log entry that carries the command. Leader housekeeping is decided by the
   *                leader of one term and counts only in an entry of that same term: a command a deposed leader
   *                decided, and that reached the log through its successor, is refused (a real fence).
   */
  public static Outcome apply(Replica state, Command cmd, long revision, long logTerm) {
    Outcome outcome = cmd.term() != 0 && cmd.term() != logTerm
        ? Outcome.rejected(STALE_TERM, state.get(cmd.id()))
        : decide(state, cmd, revision);
    state.setRevision(revision);
    return outcome.at(revision);
  }

  private static Outcome decide(Replica state, Command cmd, long revision) {
    if (cmd.term() != 0 && cmd.type() != Command.Type.LEADER_ELECTED
        && (cmd.term() != state.term() || !cmd.origin().equals(state.leader()))) {
      return Outcome.rejected(STALE_TERM, state.get(cmd.id()));
    }
    long at = cmd.timestamp();
    switch (cmd.type()) {
      case REGISTER: return register(state, cmd, revision);
      case DEREGISTER: return deregister(state, cmd, revision);
      case HEARTBEAT: return heartbeat(state, cmd, revision);
      case SET_HEALTH: return setHealth(state, cmd, revision);
      case ENABLE: return rotation(state, cmd, revision, true, false, Event.Type.SERVICE_ENABLED);
      case DISABLE: return rotation(state, cmd, revision, false, null, Event.Type.SERVICE_DISABLED);
      case DRAIN: return rotation(state, cmd, revision, null, true, Event.Type.SERVICE_DRAINING);
      case PUT_ROUTE: return putRoute(state, cmd, revision);
      case DELETE_ROUTE: return deleteRoute(state, cmd, revision);
      case NODE_JOINED: return nodeJoined(state, cmd, revision);
      case NODE_LEFT:
      case NODE_FAILED: return nodeGone(state, cmd, revision);
      case LEADER_ELECTED: {
        // Raft elects at most one leader per term, and the command counts only in an entry of its own term (see
        // apply): recording the same term again (after its leader's record was cleared) is that leader's right.
        if (cmd.term() < state.term() || cmd.term() == state.term() && state.leader() != null) {
          return Outcome.rejected(STALE_TERM, null);
        }
        state.setLeader(cmd.origin(), cmd.term(), at);
        return Outcome.of(UPDATED, null,
            Event.leaderElected(revision, at, state.node(cmd.origin()), cmd.origin(), cmd.term()));
      }
      default:
        throw new IllegalArgumentException("unknown command type " + cmd.type());
    }
  }

  private static Outcome register(Replica state, Command cmd, long revision) {
    ServiceEntry existing = state.get(cmd.id());
    if (cmd.create() && existing != null) {
      return Outcome.rejected(EXISTS, existing);
    }
    if (cmd.cas() == 0 && existing != null
        || cmd.cas() > 0 && (existing == null || existing.revision() > cmd.cas())) {
      return Outcome.rejected(CAS_FAILED, existing);
    }
    ServiceEntry definition = cmd.service();
    long at = cmd.timestamp();
    boolean keepHealth = existing != null && existing.sameDefinition(definition);
    Health health = keepHealth ? existing.health() : definition.initialHealth();
    long healthSince = keepHealth ? existing.healthSince() : at;
    boolean enabled = existing == null || existing.enabled();
    ServiceEntry entry = definition.registered(cmd.origin(), health, enabled,
        existing == null ? at : existing.registeredAt(), keepHealth ? existing.lastCheck() : null, at, healthSince,
        revision);
    state.put(entry);
    return existing == null
        ? Outcome.of(CREATED, entry, Event.service(Event.Type.SERVICE_REGISTERED, revision, at, entry))
        : Outcome.of(UPDATED, entry, Event.service(Event.Type.SERVICE_UPDATED, revision, at, entry));
  }

  private static Outcome deregister(Replica state, Command cmd, long revision) {
    ServiceEntry removed = state.remove(cmd.id(), revision);
    if (removed == null) {
      return Outcome.rejected(NOT_FOUND, null);
    }
    return Outcome.of(UPDATED, removed,
        Event.service(Event.Type.SERVICE_DEREGISTERED, revision, cmd.timestamp(), removed));
  }

  private static Outcome heartbeat(Replica state, Command cmd, long revision) {
    ServiceEntry e = state.get(cmd.id());
    if (e == null) {
      return Outcome.rejected(NOT_FOUND, null);
    }
    if (!e.hasTtl()) {
      return Outcome.rejected(NOT_TTL, e);
    }
    long at = cmd.timestamp();
    boolean recovers = e.health() != Health.HEALTHY;
    ServiceEntry updated = e.withState(Health.HEALTHY, e.enabled(), e.draining(), e.lastCheck(), at,
        recovers ? at : e.healthSince(), revision);
    state.put(updated);
    return recovers
        ? Outcome.of(UPDATED, updated, Event.service(Event.Type.SERVICE_HEALTH_CHANGED, revision, at, updated))
        : Outcome.of(UPDATED, updated, null);
  }

  private static Outcome setHealth(Replica state, Command cmd, long revision) {
    ServiceEntry e = state.get(cmd.id());
    if (e == null) {
      return Outcome.rejected(NOT_FOUND, null);
    }
    if (e.health() == cmd.health() && Objects.equals(e.healthReason(), cmd.reason())) {
      return Outcome.rejected(UNCHANGED, e);
    }
    long at = cmd.timestamp();
    // A check's transition carries the run that decided it; a ttl expiry keeps the last check there was.
    ServiceEntry updated = e.withHealth(cmd.health(), cmd.reason(),
        cmd.outcome() != null ? cmd.outcome() : e.lastCheck(), at, revision);
    state.put(updated);
    return Outcome.of(UPDATED, updated, Event.service(Event.Type.SERVICE_HEALTH_CHANGED, revision, at, updated));
  }

  /** Enable, disable, drain: null leaves that flag as it is. */
  private static Outcome rotation(Replica state, Command cmd, long revision, Boolean enabled, Boolean draining,
                                  Event.Type eventType) {
    ServiceEntry e = state.get(cmd.id());
    if (e == null) {
      return Outcome.rejected(NOT_FOUND, null);
    }
    boolean newEnabled = enabled == null ? e.enabled() : enabled;
    boolean newDraining = draining == null ? e.draining() : draining;
    if (newEnabled == e.enabled() && newDraining == e.draining()) {
      return Outcome.rejected(UNCHANGED, e);
    }
    ServiceEntry updated = e.withState(e.health(), newEnabled, newDraining, e.lastCheck(), e.lastHeartbeat(),
        e.healthSince(), revision);
    state.put(updated);
    return Outcome.of(UPDATED, updated, Event.service(eventType, revision, cmd.timestamp(), updated));
  }

  /**
   * A route set whole. The compare-and-set of registrations holds here too: cas 0 writes only a new id, cas n only
   * over a route last written at or before revision n.
   */
  private static Outcome putRoute(Replica state, Command cmd, long revision) {
    Route existing = state.routes().get(cmd.id());
    if (cmd.cas() == 0 && existing != null
        || cmd.cas() > 0 && (existing == null || existing.revision() > cmd.cas())) {
      return Outcome.rejected(CAS_FAILED, null);
    }
    Route route = cmd.route().at(revision);
    if (route.equals(existing == null ? null : existing.at(revision))) {
      return Outcome.rejected(UNCHANGED, null);
    }
    state.putRoute(route.id(), route);
    return Outcome.of(existing == null ? CREATED : UPDATED, null,
        Event.route(Event.Type.ROUTE_SET, revision, cmd.timestamp(), route));
  }

  private static Outcome deleteRoute(Replica state, Command cmd, long revision) {
    Route existing = state.routes().get(cmd.id());
    if (existing == null) {
      return Outcome.rejected(NOT_FOUND, null);
    }
    state.putRoute(cmd.id(), null);
    return Outcome.of(UPDATED, null, Event.route(Event.Type.ROUTE_DELETED, revision, cmd.timestamp(), existing));
  }

  /** Reason recorded on the instances of a node that failed. */
  public static final String NODE_FAILED_REASON = "node-failed";

  private static Outcome nodeJoined(Replica state, Command cmd, long revision) {
    long at = cmd.timestamp();
    NodeInfo joined = cmd.node().joined(at);
    state.putNode(joined, revision);
    List<Event> events = new ArrayList<>();
    events.add(Event.node(Event.Type.NODE_JOINED, revision, at, joined));
    // Back after a failure: what was unhealthy only because the node failed starts over as on registration.
    for (String id : state.idsRegisteredThrough(joined.id())) {
      ServiceEntry e = state.get(id);
      if (e.health() == Health.UNHEALTHY && NODE_FAILED_REASON.equals(e.healthReason())) {
        ServiceEntry restored = e.withHealth(e.initialHealth(), null, at, revision);
        state.put(restored);
        events.add(Event.service(Event.Type.SERVICE_HEALTH_CHANGED, revision, at, restored));
      }
    }
    return new Outcome(UPDATED, null, List.copyOf(events), revision);
  }

  private static Outcome nodeGone(Replica state, Command cmd, long revision) {
    NodeInfo known = state.node(cmd.id());
    // A failure report names the incarnation (member id) it saw die, so it cannot mark a restarted node failed.
    if (known == null || !known.alive() || !known.memberId().equals(cmd.node().memberId())) {
      return Outcome.rejected(UNCHANGED, null);
    }
    boolean failed = cmd.type() == Command.Type.NODE_FAILED;
    NodeInfo gone = known.withStatus(failed ? NodeInfo.Status.FAILED : NodeInfo.Status.LEFT, cmd.timestamp());
    state.putNode(gone, revision);
    if (gone.id().equals(state.leader())) {
      state.setLeader(null, state.term(), 0);
    }
    List<Event> events = new ArrayList<>();
    events.add(Event.node(failed ? Event.Type.NODE_FAILED : Event.Type.NODE_LEFT, revision, cmd.timestamp(), gone));
    if (failed) {
      // Nobody vouches for what was registered through a dead node any more, except a ttl, which goes on counting.
      for (String id : state.idsRegisteredThrough(gone.id())) {
        ServiceEntry e = state.get(id);
        if (!e.hasTtl() && e.health() != Health.UNHEALTHY) {
          ServiceEntry unhealthy = e.withHealth(Health.UNHEALTHY, NODE_FAILED_REASON, cmd.timestamp(), revision);
          state.put(unhealthy);
          events.add(Event.service(Event.Type.SERVICE_HEALTH_CHANGED, revision, cmd.timestamp(), unhealthy));
        }
      }
    }
    return new Outcome(UPDATED, null, List.copyOf(events), revision);
  }
}
