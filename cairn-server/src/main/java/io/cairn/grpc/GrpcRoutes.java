package io.cairn.grpc;

import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.RegistryOperations;
import io.cairn.api.RouteOperations;
import io.cairn.grpc.v1.ListRoutesRequest;
import io.cairn.grpc.v1.ListRoutesResponse;
import io.cairn.grpc.v1.PutRouteRequest;
import io.cairn.grpc.v1.Route;
import io.cairn.grpc.v1.RouteRef;
import io.cairn.grpc.v1.RouteResponse;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * The route RPCs of {@code cairn.v1.Registry} (PutRoute, GetRoute, DeleteRoute, ListRoutes) over
 * {@link RouteOperations}: the route travels as the JSON document REST takes and shows, so that both go through the
 * same parser and validation. Calls, callers and failures are {@link RegistryGrpcApi}'s.
 */
final class GrpcRoutes {
  private final RouteOperations routes;
  private final RegistryOperations ops;
  private final Replica replica;

  GrpcRoutes(RouteOperations routes, RegistryOperations ops, Replica replica) {
    this.routes = routes;
    this.ops = ops;
    this.replica = replica;
  }

  Future<RouteResponse> put(Caller caller, PutRouteRequest request) {
    long cas = ProtoMapping.cas(request.hasCas(), request.getCas());
    return written(routes.put(caller, request.getId(), document(request.getRouteJson()), cas));
  }

  Future<RouteResponse> get(Caller caller, RouteRef ref) {
    ops.requireReady();
    return Future.succeededFuture(RouteResponse.newBuilder().setRoute(route(routes.get(caller, ref.getId())))
        .setRevision(replica.revision()).build());
  }

  Future<RouteResponse> delete(Caller caller, RouteRef ref) {
    return written(routes.delete(caller, ref.getId()));
  }

  Future<ListRoutesResponse> list(Caller caller, ListRoutesRequest request) {
    ops.requireReady();
    long revision = replica.revision();
    ListRoutesResponse.Builder answer = ListRoutesResponse.newBuilder().setRevision(revision);
    routes.list(caller).forEach(r -> answer.addRoutes(route(r)));
    return Future.succeededFuture(answer.build());
  }

  private static Future<RouteResponse> written(Future<RouteOperations.Written> write) {
    return write.map(w -> {
      RouteResponse.Builder answer = RouteResponse.newBuilder().setCreated(w.status() == 201)
          .setRevision(w.revision());
      if (w.route() != null) {
        answer.setRoute(route(new RouteOperations.Shown(w.route(), "log")));
      }
      return answer.build();
    });
  }

  private static Route route(RouteOperations.Shown shown) {
    return Route.newBuilder().setId(shown.route().id()).setRouteJson(shown.toJson().encode())
        .setSource(shown.source()).setRevision(shown.route().revision()).build();
  }

  /** route_json as REST reads a body: a JSON object, or 400 naming route_json. */
  private static JsonObject document(String json) {
    if (json.isBlank()) {
      throw new ApiException(400, "invalid_json", "route_json is empty; send the route document", "route_json");
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(json);
    } catch (DecodeException e) {
      throw new ApiException(400, "invalid_json", "route_json is not valid JSON: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), "route_json");
    }
    if (!(parsed instanceof JsonObject)) {
      throw new ApiException(400, "invalid_body", "route_json must be a JSON object describing the route",
          "route_json");
    }
    return (JsonObject) parsed;
  }
}
