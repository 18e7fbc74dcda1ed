package io.cairn.api;

import io.cairn.model.Command;
import io.cairn.model.Registrations;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The route table behind every transport: routes written through the API enter the log (so every node routes the
 * same way from the same revision on) and lay over the routes of the node's configuration file, id by id. Writing
 * or deleting a route takes the right {@code operate} on its service, reading one {@code read}; every write is
 * audited.
 */
public final class RouteOperations {
  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final CommandLog commandLog;
  private final RegistryOperations registry;
  private final Map<String, Route> configured;
  /** The table in force, made once per change of the log's routes (the replica hands out a new map per change). */
  private volatile InForce inForce;

  private record InForce(Map<String, Route> logged, List<Route> routes) {
  }

  /** A route write's result: the HTTP status, the route as the log applied it (or as it was, deleted), the revision. */
  public record Written(int status, Route route, long revision) {
    /** The route as the API shows it; empty when the write left no route to show. */
    public JsonObject toJson() {
      return route == null ? new JsonObject() : new Shown(route, "log").toJson();
    }
  }

  /** A route as the API shows it: where it comes from ({@code log} or {@code config}). */
  public record Shown(Route route, String source) {
    public JsonObject toJson() {
      return Routes.toJson(route).put("source", source);
    }
  }

  public RouteOperations(NodeState node, Replica replica, Access access, CommandLog commandLog,
                         RegistryOperations registry, Collection<Route> configured) {
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.commandLog = commandLog;
    this.registry = registry;
    Map<String, Route> byId = new LinkedHashMap<>();
    for (Route r : configured) {
      byId.put(r.id(), r);
    }
    this.configured = Map.copyOf(byId);
  }

  /** The routes in force on this node: the log's, and the configuration's whose id the log does not hold. */
  public List<Route> inForce() {
    Map<String, Route> logged = replica.routes();
    InForce current = inForce;
    if (current != null && current.logged() == logged) {
      return current.routes();
    }
    List<Route> routes = new ArrayList<>(logged.values());
    for (Route r : configured.values()) {
      if (!logged.containsKey(r.id())) {
        routes.add(r);
      }
    }
    current = new InForce(logged, List.copyOf(routes));
    inForce = current;
    return current.routes();
  }

  /**
   * Writes a route whole.
   *
   * @param cas {@link Command#NO_CAS}, 0 for "only if absent", or the revision the client last saw
   */
  public Future<Written> put(Caller caller, String id, JsonObject body, long cas) {
    if (cas < Command.NO_CAS) {
      throw new ApiException(400, "invalid_cas", "cas must be a revision: a whole number, 0 for 'only if absent'",
          "cas");
    }
    Route route = Routes.parse(body, id);
    String object = Access.service(route.service());
    access.require(caller, object, Action.OPERATE, "put_route");
    Shown existing = inForce(id);
    if (existing != null && !existing.route().service().equals(route.service())) {
      // Moving a route to another service takes the right over the service it takes traffic from, too.
      access.require(caller, Access.service(existing.route().service()), Action.OPERATE, "put_route");
    }
    access.admitWrite(caller, 1);
    return access.audited(caller, "put_route", object,
        append(Command.putRoute(node.nodeId(), 0, System.currentTimeMillis(), route, cas)).map(o -> written(o, id)),
        Written::revision);
  }

  public Future<Written> delete(Caller caller, String id) {
    Shown shown = inForce(id);
    if (shown == null) {
      throw notFound(id);
    }
    String object = Access.service(shown.route().service());
    access.require(caller, object, Action.OPERATE, "delete_route");
    if (!shown.source().equals("log")) {
      throw new ApiException(409, "configured_route", "route '" + id + "' comes from proxy.routes in the "
          + "configuration file of this node; remove it there", "id");
    }
    access.admitWrite(caller, 1);
    return access.audited(caller, "delete_route", object,
        append(Command.deleteRoute(node.nodeId(), 0, System.currentTimeMillis(), id)).map(o -> written(o, id)),
        Written::revision);
  }

  /** One route in force, for a caller that may read its service. */
  public Shown get(Caller caller, String id) {
    registry.requireReady();
    Shown shown = inForce(id);
    if (shown == null) {
      throw notFound(id);
    }
    access.require(caller, Access.service(shown.route().service()), Action.READ, "get_route");
    return shown;
  }

  /** Route {@code id} as it is in force here (the log's, else the configuration's), or null. */
  private Shown inForce(String id) {
    Registrations.validId(id, "id");
    Route logged = replica.routes().get(id);
    return logged != null ? new Shown(logged, "log")
        : configured.containsKey(id) ? new Shown(configured.get(id), "config") : null;
  }

  private static ApiException notFound(String id) {
    return new ApiException(404, "not_found", "no route with id '" + id + "'", "id");
  }

  /** The routes in force that the caller may read, by id. */
  public List<Shown> list(Caller caller) {
    registry.requireReady();
    Map<String, Route> logged = replica.routes();
    List<Shown> shown = new ArrayList<>();
    for (Route r : inForce()) {
      if (access.allowed(caller, Access.service(r.service()), Action.READ)) {
        shown.add(new Shown(r, logged.get(r.id()) == r ? "log" : "config"));
      }
    }
    shown.sort((a, b) -> a.route().id().compareTo(b.route().id()));
    return shown;
  }

  private Future<Outcome> append(Command command) {
    registry.requireWritable();
    return commandLog.append(List.of(command)).map(outcomes -> outcomes.get(0));
  }

  /** The route the outcome concerns: as set (or, for a deletion, as it was), taken from its event. */
  private Written written(Outcome o, String id) {
    Route route = o.events().isEmpty() ? replica.routes().get(id) : o.events().get(0).route();
    switch (o.status()) {
      case CREATED: return new Written(201, route, o.revision());
      case UPDATED:
      case UNCHANGED: return new Written(200, route, o.revision());
      case NOT_FOUND: throw notFound(id);
      case CAS_FAILED: throw new ApiException(409, "cas_failed", "route '" + id + "' changed after the given revision",
          "cas");
      default: throw new ApiException(503, "unavailable", "the write was not accepted (" + o.status() + "); retry");
    }
  }
}
