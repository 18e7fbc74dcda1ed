package io.cairn.model;

/**
 * One change to registry state: an entry of the replicated log. Every field a replica needs to apply it is in
 * here, including the time, so that applying the same log gives the same state on every node.
 *
 * <p>{@code origin} is the node that appended it and {@code requestId} that node's number for it, so the origin
 * can answer its caller once its own replica applied the command. {@code term} is non-zero only for housekeeping
 * commands decided by the leader; the replica ignores them unless they carry the current term and come from the
 * current leader.
 */
public record Command(
    Type type,
    String origin,
    long requestId,
    long timestamp,
    long term,
    ServiceEntry service,
    String id,
    long cas,
    boolean create,
    Health health,
    String reason,
    NodeInfo node,
    CheckOutcome outcome,
    Route route) {

  public static final long NO_CAS = -1;

  public enum Type {
    REGISTER, DEREGISTER, HEARTBEAT, SET_HEALTH, ENABLE, DISABLE, DRAIN,
    NODE_JOINED, NODE_LEFT, NODE_FAILED, LEADER_ELECTED,
    PUT_ROUTE, DELETE_ROUTE
  }

  /** The same command numbered by the node that appends it, which answers its caller when it comes back. */
  public Command withRequestId(long newRequestId) {
    return new Command(type, origin, newRequestId, timestamp, term, service, id, cas, create, health, reason, node,
        outcome, route);
  }

  /**
   * The same command decided by the leader of {@code leaderTerm}: every replica refuses it unless the log's leader
   * and term are still its origin's and that term (a bridge's import, fenced like housekeeping).
   */
  public Command withTerm(long leaderTerm) {
    return new Command(type, origin, requestId, timestamp, leaderTerm, service, id, cas, create, health, reason, node,
        outcome, route);
  }

  public static Command register(String origin, long requestId, long now, ServiceEntry entry, boolean create, long cas) {
    return new Command(Type.REGISTER, origin, requestId, now, 0, entry, entry.id(), cas, create, null, null, null, null, null);
  }

  /** A command about one existing instance (deregister, heartbeat, enable, disable, drain). */
  public static Command onInstance(Type type, String origin, long requestId, long now, String id) {
    return new Command(type, origin, requestId, now, 0, null, id, NO_CAS, false, null, null, null, null, null);
  }

  public static Command setHealth(String origin, long requestId, long now, long term, String id, Health health,
                                  String reason) {
    return new Command(Type.SET_HEALTH, origin, requestId, now, term, null, id, NO_CAS, false, health, reason, null, null, null);
  }

  /** A health transition a check run decided on the check's owner (not housekeeping: no term). */
  public static Command checkTransition(String origin, long now, String id, Health health, String reason,
                                        CheckOutcome outcome) {
    return new Command(Type.SET_HEALTH, origin, 0, now, 0, null, id, NO_CAS, false, health, reason, null, outcome, null);
  }

  /** Leader housekeeping on an instance, e.g. deregistration after {@code deregisterAfter}. */
  public static Command housekeeping(Type type, String origin, long requestId, long now, long term, String id,
                                     String reason) {
    return new Command(type, origin, requestId, now, term, null, id, NO_CAS, false, null, reason, null, null, null);
  }

  public static Command node(Type type, String origin, long requestId, long now, long term, NodeInfo node) {
    return new Command(type, origin, requestId, now, term, null, node.id(), NO_CAS, false, null, null, node, null, null);
  }

  /** A route written: {@code route} replaces the route of the same id, if any. */
  public static Command putRoute(String origin, long requestId, long now, Route route, long cas) {
    return new Command(Type.PUT_ROUTE, origin, requestId, now, 0, null, route.id(), cas, false, null, null, null, null,
        route);
  }

  public static Command deleteRoute(String origin, long requestId, long now, String id) {
    return new Command(Type.DELETE_ROUTE, origin, requestId, now, 0, null, id, NO_CAS, false, null, null, null, null,
        null);
  }

  public static Command leaderElected(String origin, long requestId, long now, long term) {
    return new Command(Type.LEADER_ELECTED, origin, requestId, now, term, null, origin, NO_CAS, false, null, null, null, null, null);
  }
}
