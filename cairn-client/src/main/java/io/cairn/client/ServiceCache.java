package io.cairn.client;

import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.wire.InstanceMessages;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The client's copy of one service's instances and routes (or, for the name {@link #ALL}, of every service and
 * route), fed by a Watch stream for that name. It remembers how far it got (revision, and events of that revision)
 * so that a stream that breaks resumes on another node exactly after the last change it applied. Changed only on
 * the client's event loop; read from anywhere through {@link #passing()}, {@link #all()} and {@link #routes()}.
 */
final class ServiceCache {
  /** The name of the watch of everything: the whole registry and every route written through the log. */
  static final String ALL = "";
  final String name;
  private final Map<String, Route> routesById = new TreeMap<>();
  private final Map<String, Instance> instances = new TreeMap<>();
  private final List<InstanceListener> listeners = new CopyOnWriteArrayList<>();
  /** Instances this program picked: it hears when one of them goes away. */
  private final Set<String> used = java.util.concurrent.ConcurrentHashMap.newKeySet();
  // Written on the client's loop, read from any thread: immutable lists and volatile fields.
  private volatile List<Instance> passing = List.of();
  private volatile List<Instance> all = List.of();
  /** Replaced only when a route changes, so a reader can tell a change by the list's identity. */
  private volatile List<Route> routes = List.of();
  private volatile long revision = -1;
  private int eventsOfRevision;
  private volatile boolean loaded;

  ServiceCache(String name) {
    this.name = name;
  }

  /** Where a new Watch call starts: from a snapshot the first time, after the last change applied afterwards. */
  WatchRequest resumeRequest() {
    // An empty name is no filter: the node streams every service, route and node.
    WatchRequest.Builder b = WatchRequest.newBuilder().setName(name);
    if (loaded) {
      b.setFromRevision(revision).setFromEvent(eventsOfRevision);
    }
    return b.build();
  }

  boolean loaded() {
    return loaded;
  }

  long revision() {
    return revision;
  }

  List<Instance> passing() {
    return passing;
  }

  List<Instance> all() {
    return all;
  }

  List<Route> routes() {
    return routes;
  }

  void addListener(InstanceListener listener) {
    listeners.add(listener);
  }

  void markUsed(String id) {
    used.add(id);
  }

  /** Applies one message of the Watch stream; true when it was the first snapshot (the cache is now loaded). */
  boolean apply(WatchEvent event) {
    switch (event.getType()) {
      case "snapshot": {
        boolean first = !loaded;
        Map<String, Instance> before = new TreeMap<>(instances);
        instances.clear();
        for (Instance i : event.getInstancesList()) {
          instances.put(i.getId(), i);
        }
        revision = event.getRevision();
        eventsOfRevision = 0;
        loaded = true;
        routesById.clear();
        for (String json : event.getRoutesList()) {
          Route r = route(json);
          if (r != null) {
            routesById.put(r.id(), r);
          }
        }
        routes = List.copyOf(routesById.values());
        refresh();
        for (Instance was : before.values()) {
          if (!instances.containsKey(was.getId())) {
            notify(was, true);
          }
        }
        for (Instance now : instances.values()) {
          if (!now.equals(before.get(now.getId()))) {
            notify(now, false);
          }
        }
        return first;
      }
      case "progress":
        if (event.getRevision() > revision) {
          revision = event.getRevision();
          eventsOfRevision = 0;
        }
        return false;
      case "reset":
      case "goodbye":
        return false;
      default:
        // Every event counts towards where a resumed stream starts, whatever it concerns (the node counts them so).
        if (event.getRevision() == revision) {
          eventsOfRevision++;
        } else {
          revision = event.getRevision();
          eventsOfRevision = 1;
        }
        if (!event.getRoute().isEmpty()) {
          Route r = route(event.getRoute());
          if (r != null && event.getType().equals("routeDeleted")) {
            routesById.remove(r.id());
          } else if (r != null) {
            routesById.put(r.id(), r);
          }
          routes = List.copyOf(routesById.values());
          return false;
        }
        if (!event.hasInstance()) {
          return false;
        }
        Instance instance = event.getInstance();
        boolean removed = event.getType().equals("serviceDeregistered");
        if (removed) {
          instances.remove(instance.getId());
        } else {
          instances.put(instance.getId(), instance);
        }
        refresh();
        notify(instance, removed);
        return false;
    }
  }

  private void refresh() {
    List<Instance> now = new ArrayList<>();
    for (Instance i : instances.values()) {
      if (InstanceMessages.passing(i)) {
        now.add(i);
      }
    }
    passing = List.copyOf(now);
    all = List.copyOf(instances.values());
  }

  private void notify(Instance instance, boolean removed) {
    for (InstanceListener l : listeners) {
      l.changed(instance, removed);
    }
    if (used.contains(instance.getId()) && (removed || !InstanceMessages.passing(instance))) {
      if (removed) {
        used.remove(instance.getId());
      }
      List<Instance> alternatives = passing;
      for (InstanceListener l : listeners) {
        l.leaving(instance, alternatives);
      }
    }
  }

  /**
   * A route document as the node sends it, or null when this client cannot read it (a newer node's field): such a
   * route is left out rather than ending the stream, which would only meet it again on resuming.
   */
  private static Route route(String json) {
    try {
      JsonObject document = new JsonObject(json);
      return Routes.parse(document, document.getString("id"));
    } catch (RuntimeException unreadable) {
      return null;
    }
  }

  /** As Cairn's discovery counts it ({@code ServiceEntry.passing}): serving health, enabled, not draining. */
}
