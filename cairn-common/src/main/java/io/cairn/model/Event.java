package io.cairn.model;

/**
 * A change as watchers see it, produced by applying a command. Every replica produces the same events with the
 * same revisions, so a watcher can resume from a revision on any node.
 */
public record Event(Type type, long revision, long timestamp, ServiceEntry service, NodeInfo node, String leader,
                    long term, Route route) {

  public enum Type {
    SERVICE_REGISTERED("serviceRegistered"),
    SERVICE_UPDATED("serviceUpdated"),
    SERVICE_DEREGISTERED("serviceDeregistered"),
    SERVICE_HEALTH_CHANGED("serviceHealthChanged"),
    SERVICE_ENABLED("serviceEnabled"),
    SERVICE_DISABLED("serviceDisabled"),
    SERVICE_DRAINING("serviceDraining"),
    NODE_JOINED("nodeJoined"),
    NODE_LEFT("nodeLeft"),
    NODE_FAILED("nodeFailed"),
    LEADER_ELECTED("leaderElected"),
    ROUTE_SET("routeSet"),
    ROUTE_DELETED("routeDeleted");

    private final String json;

    Type(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }

  public static Event service(Type type, long revision, long timestamp, ServiceEntry service) {
    return new Event(type, revision, timestamp, service, null, null, 0, null);
  }

  public static Event node(Type type, long revision, long timestamp, NodeInfo node) {
    return new Event(type, revision, timestamp, null, node, null, 0, null);
  }

  public static Event leaderElected(long revision, long timestamp, NodeInfo node, String leader, long term) {
    return new Event(Type.LEADER_ELECTED, revision, timestamp, null, node, leader, term, null);
  }

  /** A route set or deleted; a deleted route is the one that was there. */
  public static Event route(Type type, long revision, long timestamp, Route route) {
    return new Event(type, revision, timestamp, null, null, null, 0, route);
  }
}
