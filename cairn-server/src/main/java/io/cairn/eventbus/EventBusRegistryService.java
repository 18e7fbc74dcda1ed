package io.cairn.eventbus;

import io.cairn.api.Access;
import io.cairn.api.Action;
import io.cairn.api.ApiException;
import io.cairn.api.Bulk;
import io.cairn.api.Caller;
import io.cairn.api.Queries;
import io.cairn.api.RegistryOperations;
import io.cairn.api.RouteOperations;
import io.cairn.client.RegistryService;
import io.cairn.model.Command;
import io.cairn.model.ModelJson;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.util.concurrent.Callable;

/**
 * {@link RegistryService} over the same operations as the REST API. A failure reaches the caller as a
 * {@link ServiceException} whose code is the HTTP status the REST API would have answered, and whose debug info
 * is the same {@code {"error","message","field"}} body.
 */
final class EventBusRegistryService implements RegistryService {
  private final RegistryOperations ops;
  private final RouteOperations routes;
  private final NodeState node;
  private final Replica replica;
  private final Access access;
  /** The caller of the message being dispatched; each operation reads it before anything asynchronous. */
  private Caller current;

  EventBusRegistryService(RegistryOperations ops, RouteOperations routes, NodeState node, Replica replica,
                          Access access) {
    this.ops = ops;
    this.routes = routes;
    this.node = node;
    this.replica = replica;
    this.access = access;
  }

  /** Runs {@code dispatch} (which calls one operation of this service) as {@code caller}. */
  void callAs(Caller caller, Runnable dispatch) {
    current = caller;
    try {
      dispatch.run();
    } finally {
      current = null;
    }
  }

  private Caller caller() {
    if (current == null) {
      throw new IllegalStateException("an operation was called outside callAs");
    }
    return current;
  }

  @Override
  public Future<JsonObject> register(JsonObject instance) {
    Caller caller = caller();
    return written(() -> ops.register(caller, instance, null, true, Command.NO_CAS));
  }

  @Override
  public Future<JsonObject> put(String id, JsonObject instance, Long cas) {
    Caller caller = caller();
    return written(() -> ops.register(caller, instance, id, false, cas == null ? Command.NO_CAS : cas));
  }

  @Override
  public Future<JsonObject> get(String id) {
    Caller caller = caller();
    return guarded(() -> {
      ops.requireReady();
      return Future.succeededFuture(ModelJson.toJson(ops.get(caller, id)));
    });
  }

  @Override
  public Future<JsonObject> deregister(String id) {
    Caller caller = caller();
    return written(() -> ops.deregister(caller, id));
  }

  @Override
  public Future<JsonObject> discover(JsonObject query) {
    Caller caller = caller();
    return guarded(() -> {
      ops.requireReady();
      RegistryOperations.Discovery d = ops.discover(caller, null, Queries.fromJson(query));
      return Future.succeededFuture(new JsonObject(d.toBuffer()));
    });
  }

  @Override
  public Future<JsonObject> heartbeat(String id) {
    Caller caller = caller();
    return written(() -> {
      ops.requireReady();
      return ops.heartbeat(caller, id);
    });
  }

  @Override
  public Future<JsonObject> enable(String id) {
    Caller caller = caller();
    return written(() -> ops.operate(caller, Command.Type.ENABLE, id));
  }

  @Override
  public Future<JsonObject> disable(String id) {
    Caller caller = caller();
    return written(() -> ops.operate(caller, Command.Type.DISABLE, id));
  }

  @Override
  public Future<JsonObject> drain(String id) {
    Caller caller = caller();
    return written(() -> ops.operate(caller, Command.Type.DRAIN, id));
  }

  @Override
  public Future<JsonObject> registerAll(JsonArray instances) {
    Caller caller = caller();
    return guarded(() -> ops.registerAll(caller, instances == null ? new JsonArray() : instances)
        .map(Bulk::toJson));
  }

  @Override
  public Future<JsonObject> status() {
    Caller caller = caller();
    return guarded(() -> {
      access.require(caller, Access.CLUSTER, Action.READ, "status");
      return Future.succeededFuture(statusOf());
    });
  }

  @Override
  public Future<JsonObject> putRoute(String id, JsonObject route, Long cas) {
    Caller caller = caller();
    return routeWritten(() -> routes.put(caller, id, route, cas == null ? Command.NO_CAS : validCas(cas)));
  }

  @Override
  public Future<JsonObject> getRoute(String id) {
    Caller caller = caller();
    return guarded(() -> {
      ops.requireReady();
      return Future.succeededFuture(routes.get(caller, id).toJson());
    });
  }

  @Override
  public Future<JsonObject> deleteRoute(String id) {
    Caller caller = caller();
    return routeWritten(() -> routes.delete(caller, id));
  }

  @Override
  public Future<JsonObject> listRoutes() {
    Caller caller = caller();
    return guarded(() -> {
      ops.requireReady();
      long revision = replica.revision();
      JsonArray list = new JsonArray();
      routes.list(caller).forEach(r -> list.add(r.toJson()));
      return Future.succeededFuture(new JsonObject().put("revision", revision).put("routes", list));
    });
  }

  private static long validCas(long cas) {
    if (cas < 0) {
      throw new ApiException(400, "invalid_cas", "cas must be a revision: a whole number, 0 for 'only if absent'", "cas");
    }
    return cas;
  }

  private JsonObject statusOf() {
    return (new JsonObject()
        .put("node", node.nodeId())
        .put("ready", node.ready())
        .put("revision", replica.revision())
        .put("leader", replica.leader())
        .put("term", replica.term()));
  }

  private Future<JsonObject> written(Callable<Future<RegistryOperations.Written>> op) {
    return guarded(() -> op.call().map(w -> ModelJson.toJson(w.entry()).put("status", w.status())));
  }

  /** A route write answered as REST answers it (the route as the log applied it), with its status. */
  private Future<JsonObject> routeWritten(Callable<Future<RouteOperations.Written>> op) {
    return guarded(() -> op.call().map(w -> w.toJson().put("status", w.status())));
  }

  /** Runs an operation, turning every failure, thrown or returned, into a ServiceException. */
  private static <T> Future<T> guarded(Callable<Future<T>> op) {
    Future<T> result;
    try {
      result = op.call();
    } catch (Exception e) {
      result = Future.failedFuture(e);
    }
    return result.recover(err -> {
      ApiException e = ApiException.of(err);
      return Future.failedFuture(new ServiceException(e.status(), e.getMessage(), e.toJson()));
    });
  }
}
