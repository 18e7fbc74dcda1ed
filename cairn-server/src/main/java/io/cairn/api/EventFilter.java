package io.cairn.api;

import io.cairn.model.Event;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;

import java.util.List;
import java.util.Map;

/**
 * What a watcher asked to see, within what its caller may read: instances of one service name and/or with one tag.
 * Without either it sees every event it may read, node and leader events included (those need the right to read
 * {@code cluster}); with a filter, only the matching instances' events.
 */
public record EventFilter(String name, String tag, Readable readable) {

  /** What a caller may read: which services, and whether the cluster (nodes, leader). */
  public interface Readable {
    Readable EVERYTHING = new Readable() {
      @Override
      public boolean service(String name) {
        return true;
      }

      @Override
      public boolean cluster() {
        return true;
      }
    };

    boolean service(String name);

    boolean cluster();

    /** What the caller may read, as the ACL policy says: every event is asked once per name (the answers are cached). */
    static Readable by(Access access, Caller caller) {
      if (access.readsEverything(caller)) {
        return EVERYTHING;
      }
      return new Readable() {
        @Override
        public boolean service(String name) {
          return access.allowed(caller, Access.service(name), Action.READ);
        }

        @Override
        public boolean cluster() {
          return access.allowed(caller, Access.CLUSTER, Action.READ);
        }
      };
    }
  }

  /**
   * From a client's name and tag (either may be null; neither may be blank). A name the caller may not read is
   * refused (403) rather than answered with a silent, empty stream.
   */
  public static EventFilter of(String name, String tag, Access access, Caller caller) {
    if (name != null && name.isBlank() || tag != null && tag.isBlank()) {
      throw new ApiException(400, "invalid_value", "name and tag, when given, must not be empty",
          name == null ? "tag" : "name");
    }
    if (name != null) {
      access.require(caller, Access.service(name), Action.READ, "watch");
    }
    return new EventFilter(name, tag, Readable.by(access, caller));
  }

  boolean isAll() {
    return name == null && tag == null;
  }

  public boolean wants(Event e) {
    if (e.route() != null) {
      return wants(e.route());
    }
    if (e.service() == null) {
      return isAll() && readable.cluster();
    }
    return wants(e.service());
  }

  /** A route concerns the service it takes traffic to: a watcher of that service (or of all) that may read it. */
  boolean wants(Route r) {
    return (name == null || name.equals(r.service())) && tag == null && readable.service(r.service());
  }

  boolean wants(ServiceEntry s) {
    return (name == null || name.equals(s.name())) && (tag == null || s.tags().contains(tag))
        && readable.service(s.name());
  }

  /**
   * The snapshot as this watcher sees it: only the matching instances, the routes whose events it would get (so a
   * client's copy of the routes starts where their events go on), and the nodes only without a filter.
   */
  public Snapshot narrow(Snapshot s) {
    if (isAll() && readable == Readable.EVERYTHING) {
      return s;
    }
    List<ServiceEntry> services = s.services().stream().filter(this::wants).toList();
    List<NodeInfo> nodes = isAll() && readable.cluster() ? s.nodes() : List.of();
    List<Route> routes = s.routes().stream().filter(this::wants).toList();
    return new Snapshot(s.revision(), s.term(), s.leader(), s.leaderSince(), services, nodes, routes, Map.of());
  }
}
