package io.cairn.http.rest;

import io.cairn.api.Caller;
import io.cairn.api.ProxyUpstreams;
import io.cairn.api.Queries;
import io.cairn.api.RouteOperations;
import io.cairn.registry.Replica;
import io.cairn.webapi.Authentication;
import io.cairn.webapi.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The proxy's part of the REST API: the route table ({@code /v1/routes}, written through the log) and this node's
 * view of its upstreams ({@code /v1/proxy/upstreams}).
 */
final class RouteApi {
  private final Replica replica;
  private final RouteOperations routes;
  private final ProxyUpstreams upstreams;

  RouteApi(Replica replica, RouteOperations routes, ProxyUpstreams upstreams) {
    this.replica = replica;
    this.routes = routes;
    this.upstreams = upstreams;
  }

  void mount(Router router) {
    router.get("/v1/routes").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      JsonArray list = new JsonArray();
      routes.list(caller(rc)).forEach(r -> list.add(r.toJson()));
      Responses.json(rc, 200, replica.revision(), list.toBuffer());
    });
    router.get("/v1/routes/:id").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      Responses.json(rc, 200, replica.revision(), routes.get(caller(rc), rc.pathParam("id")).toJson());
    });
    router.put("/v1/routes/:id").handler(rc -> {
      Queries.onlyParams(rc.queryParams(), "cas");
      long cas = RestBodies.casParam(rc);
      written(rc, routes.put(caller(rc), rc.pathParam("id"), RestBodies.jsonObject(rc, "the route"), cas));
    });
    router.delete("/v1/routes/:id").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      written(rc, routes.delete(caller(rc), rc.pathParam("id")));
    });
    router.get("/v1/proxy/upstreams").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      Caller caller = caller(rc);
      Responses.json(rc, 200, replica.revision(),
          RestJson.upstreams(upstreams.readableBy(caller), upstreams.splitsReadableBy(caller)));
    });
  }

  private static void written(RoutingContext rc, Future<RouteOperations.Written> write) {
    write.onComplete(ar -> {
      if (ar.failed()) {
        Responses.error(rc, ar.cause());
        return;
      }
      RouteOperations.Written w = ar.result();
      Responses.json(rc, w.status(), w.revision(), w.toJson());
    });
  }

  private static Caller caller(RoutingContext rc) {
    return Authentication.caller(rc);
  }
}
