package io.cairn.http.rest;

import io.cairn.api.ApiException;
import io.cairn.api.BlockingQueries;
import io.cairn.api.Caller;
import io.cairn.api.CheckOperations;
import io.cairn.api.BridgeViews;
import io.cairn.api.ClusterViews;
import io.cairn.api.ProxyUpstreams;
import io.cairn.api.Queries;
import io.cairn.api.QueryCache;
import io.cairn.api.RegistryOperations;
import io.cairn.api.RouteOperations;
import io.cairn.config.HttpSettings;
import io.cairn.model.Command;
import io.cairn.model.ModelJson;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.node.Addresses;
import io.cairn.registry.Replica;
import io.cairn.webapi.Authentication;
import io.cairn.webapi.Responses;
import io.cairn.wire.SnapshotFile;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The REST API under {@code /v1}: registration and discovery, and the node, member and topology views, each
 * answered with {@link RestJson}'s rendering of what {@code api/} returns. Every failure, including those of the
 * router itself (unknown path, wrong method, body too large), is answered as {@code {"error","message","field"}}
 * with a 4xx or 5xx status.
 */
public final class RestApi {
  /** The longest a blocking discovery waits. */
  private static final long MAX_WAIT_MILLIS = 5 * 60_000;
  /** Encoding a registry of a million instances takes seconds; far more means the node is in trouble. */
  private static final long SNAPSHOT_TIMEOUT_MILLIS = 2 * 60_000;
  private final HttpSettings http;
  private final Replica replica;
  private final RegistryOperations ops;
  private final ClusterViews views;
  private final BridgeViews bridges;
  private final CheckOperations checks;
  private final BlockingQueries blocking;
  private final RouteApi routes;

  public RestApi(HttpSettings http, Replica replica, RegistryOperations ops, ClusterViews views, BridgeViews bridges,
                 CheckOperations checks, BlockingQueries blocking, RouteOperations routeOps, ProxyUpstreams upstreams) {
    this.http = http;
    this.replica = replica;
    this.ops = ops;
    this.views = views;
    this.bridges = bridges;
    this.checks = checks;
    this.blocking = blocking;
    this.routes = new RouteApi(replica, routeOps, upstreams);
  }

  public void mount(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(http.maxBodyBytes());
    // Bodies are JSON. A form is refused before the body handler sees it: it decodes form bodies on its own, and a
    // malformed one (a bad %-escape in the body or the query) ended in a 500 or in no answer at all.
    router.route("/v1/*").method(HttpMethod.POST).method(HttpMethod.PUT).handler(rc -> {
      if (isForm(rc.request().getHeader("Content-Type"))) {
        throw new ApiException(415, "unsupported_media_type", "send the body as Content-Type: application/json", null);
      }
      rc.next();
    });
    router.route("/v1/*").method(HttpMethod.POST).method(HttpMethod.PUT).handler(body);

    router.post("/v1/services").handler(rc -> write(rc, () -> ops.register(caller(rc), RestBodies.jsonObject(rc, "the instance"), null, true, Command.NO_CAS),
        "/v1/services"));
    router.postWithRegex("/v1/services:bulk").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      Object parsed = RestBodies.jsonBody(rc);
      JsonArray items;
      if (parsed instanceof JsonArray) {
        items = (JsonArray) parsed;
      } else if (parsed instanceof JsonObject && ((JsonObject) parsed).getValue("services") instanceof JsonArray) {
        items = ((JsonObject) parsed).getJsonArray("services");
      } else {
        throw new ApiException(400, "invalid_body", "a bulk registration is a JSON array of instances, or {\"services\": [...]}", null);
      }
      ops.registerAll(caller(rc), items).onComplete(ar -> {
        if (ar.succeeded()) {
          Responses.json(rc, 200, ar.result().revision(), ar.result().toJson());
        } else {
          Responses.error(rc, ar.cause());
        }
      });
    });
    router.get("/v1/services").handler(this::discover);
    router.get("/v1/services/:id").handler(rc -> {
      Queries.onlyParams(rc.queryParams(), Queries.CONSISTENT);
      ops.requireReady();
      consistently(rc, () -> {
        ServiceEntry e = ops.get(caller(rc), rc.pathParam("id"));
        Responses.json(rc, 200, replica.revision(), RestJson.instance(checks.withLatestCheck(e)));
      });
    });
    router.post("/v1/services/:id/check").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      answer(rc, checks.runOne(caller(rc), rc.pathParam("id")).map(RestJson::checkRun));
    });
    router.post("/v1/checks/run").handler(rc -> {
      Queries.onlyParams(rc.queryParams(), "name");
      answer(rc, checks.runAll(caller(rc), rc.queryParams().get("name")).map(RestJson::checksRun));
    });
    router.put("/v1/services/:id").handler(rc -> {
      Queries.onlyParams(rc.queryParams(), "cas");
      long cas = RestBodies.casParam(rc);
      write(rc, () -> ops.register(caller(rc), RestBodies.jsonObject(rc, "the instance"), rc.pathParam("id"), false, cas), null);
    });
    router.delete("/v1/services/:id").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      write(rc, () -> ops.deregister(caller(rc), rc.pathParam("id")), null);
    });
    router.put("/v1/services/:id/heartbeat").handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      ops.requireReady();
      write(rc, () -> ops.heartbeat(caller(rc), rc.pathParam("id")), null);
    });
    rotation(router, "enable", Command.Type.ENABLE);
    rotation(router, "disable", Command.Type.DISABLE);
    rotation(router, "drain", Command.Type.DRAIN);

    router.get("/v1/status").handler(rc -> view(rc, caller -> RestJson.status(views.status(caller))));
    router.get("/v1/nodes").handler(rc -> view(rc, caller -> RestJson.nodes(views.nodes(caller))));
    router.get("/v1/topology").handler(rc -> view(rc, caller -> RestJson.topology(views.topology(caller))));
    router.get("/v1/stats").handler(rc -> view(rc, caller -> RestJson.stats(views.stats(caller))));
    router.get("/v1/bridges").handler(rc -> view(rc, caller -> RestJson.bridges(bridges.bridges(caller))));
    router.get("/v1/sd/prometheus").handler(this::prometheusTargets);
    router.get("/v1/snapshot").handler(this::snapshotFile);
    routes.mount(router);

    router.route("/v1/*").failureHandler(rc -> Responses.error(rc, failureOf(rc)));
    router.route("/v1/*").last().handler(rc -> Responses.error(rc,
        new ApiException(404, "not_found", "no such endpoint: " + rc.request().method() + " " + rc.request().path())));
  }

  private void rotation(Router router, String action, Command.Type type) {
    router.post("/v1/services/:id/" + action).handler(rc -> {
      Queries.onlyParams(rc.queryParams());
      write(rc, () -> ops.operate(caller(rc), type, rc.pathParam("id")), null);
    });
  }

  private void discover(RoutingContext rc) {
    ops.requireReady();
    MultiMap params = rc.queryParams();
    if (params.contains("index") || params.contains("wait")) {
      blockingDiscover(rc, params);
      return;
    }
    consistently(rc, () -> {
      String raw = rc.request().query();
      String key = raw == null ? "" : raw;
      RegistryOperations.Discovery d = ops.cachedDiscovery(caller(rc), key);
      if (d == null) {
        d = ops.discover(caller(rc), key, Queries.fromParams(Queries.withoutConsistent(params)));
      }
      Responses.json(rc, 200, d.revision(), d.toBuffer());
    });
  }

  /**
   * Prometheus' HTTP service discovery: the instances {@code GET /v1/services} would list for the same
   * {@code name} and {@code tag} (healthy or degraded, enabled, not draining; narrowed to what the caller may read),
   * as target groups. Cached beside discovery's answers under a key of its own.
   */
  private void prometheusTargets(RoutingContext rc) {
    ops.requireReady();
    MultiMap params = rc.queryParams();
    Queries.onlyParams(params, "name", "tag");
    String raw = rc.request().query();
    String key = "sd:" + (raw == null ? "" : raw);
    RegistryOperations.Discovery d = ops.cachedDiscovery(caller(rc), key);
    if (d == null) {
      d = ops.discover(caller(rc), key, Queries.fromParams(params));
    }
    Responses.json(rc, 200, d.revision(), d.answer().encoded(PrometheusTargets::encode));
  }

  /**
   * A backup: this node's replica at its revision, in the form of the snapshots on its disk (whole, encoded off the
   * event loop), for {@code cairn snapshot save}. The whole registry, routes included, so for administrators only.
   */
  private void snapshotFile(RoutingContext rc) {
    Queries.onlyParams(rc.queryParams());
    views.requireAdmin(caller(rc), "snapshot");
    ops.requireReady();
    rc.vertx().eventBus().<Buffer>request(Addresses.REPLICA_SNAPSHOT_FILE, null,
        new DeliveryOptions().setSendTimeout(SNAPSHOT_TIMEOUT_MILLIS)).onComplete(ar -> {
          if (ar.failed()) {
            Responses.error(rc, ar.cause());
            return;
          }
          Buffer file = ar.result().body();
          long revision = SnapshotFile.revision(file.getBytes(0, 8));
          rc.response()
              .putHeader("Content-Type", "application/octet-stream")
              .putHeader("Content-Disposition", "attachment; filename=\"cairn-" + revision + ".snapshot\"")
              .putHeader(Responses.REVISION_HEADER, Long.toString(revision))
              .end(file);
        });
  }

  /** Answers at once from the replica, or, with {@code consistent=true}, after a linearizable read barrier. */
  private void consistently(RoutingContext rc, Runnable answer) {
    if (!Queries.consistent(rc.queryParams())) {
      answer.run();
      return;
    }
    ops.readBarrier().onComplete(ar -> {
      if (ar.failed()) {
        Responses.error(rc, ar.cause());
        return;
      }
      try {
        answer.run();
      } catch (RuntimeException e) {
        Responses.error(rc, e);
      }
    });
  }

  /**
   * {@code index=R&wait=30s}: answers when the result changes after revision R (a client passes the
   * {@code X-Cairn-Revision} of its previous answer), or after the wait.
   */
  private void blockingDiscover(RoutingContext rc, MultiMap params) {
    long index = Queries.nonNegative(params, "index");
    long wait = params.contains("wait") ? Queries.duration(params, "wait") : MAX_WAIT_MILLIS;
    MultiMap rest = MultiMap.caseInsensitiveMultiMap().addAll(params);
    rest.remove("index");
    rest.remove("wait");
    ServiceQuery query = Queries.fromParams(rest);
    String key = rest.entries().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted()
        .collect(Collectors.joining("&"));
    Caller caller = caller(rc);
    // The index a client passes is the X-Cairn-Revision it saw (the replica's revision, at least the name's own
    // index): it waits until the name's index passes it.
    blocking.await(caller.name() + " " + key, current -> current > index, wait, MAX_WAIT_MILLIS,
        () -> replica.revisionFor(query), () -> ops.discover(caller, QueryCache.key("blocking", key), query),
        d -> d.answer().services(), cancel -> rc.response().closeHandler(v -> cancel.run())).onComplete(ar -> {
      if (ar.failed()) {
        Responses.error(rc, ar.cause());
        return;
      }
      Responses.json(rc, 200, ar.result().revision(), ar.result().toBuffer());
    });
  }

  private void answer(RoutingContext rc, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        Responses.json(rc, 200, replica.revision(), ar.result());
      } else {
        Responses.error(rc, ar.cause());
      }
    });
  }

  private void view(RoutingContext rc, Function<Caller, JsonObject> view) {
    Queries.onlyParams(rc.queryParams());
    JsonObject json = view.apply(caller(rc));
    Responses.json(rc, 200, json.getLong("revision", -1L), json);
  }

  /** Runs a write and answers with the instance (and a Location for creations through POST). */
  private void write(RoutingContext rc, Supplier<Future<RegistryOperations.Written>> op, String locationBase) {
    op.get().onComplete(ar -> {
      if (ar.failed()) {
        Responses.error(rc, ar.cause());
        return;
      }
      RegistryOperations.Written w = ar.result();
      if (locationBase != null && w.status() == 201) {
        rc.response().putHeader("Location", locationBase + "/" + w.entry().id());
      }
      Responses.json(rc, w.status(), w.revision(), Buffer.buffer(ModelJson.bytes(w.entry())));
    });
  }

  private static boolean isForm(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.trim().toLowerCase(Locale.ROOT);
    return type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded");
  }

  private static Caller caller(RoutingContext rc) {
    return Authentication.caller(rc);
  }





  private static Throwable failureOf(RoutingContext rc) {
    if (rc.failure() != null) {
      return rc.failure();
    }
    int status = rc.statusCode();
    switch (status) {
      case 413: return new ApiException(413, "body_too_large", "the body is larger than the limit (http.maxBodyBytes)", null);
      case 415: return new ApiException(415, "unsupported_media_type", "send the body as Content-Type: application/json", null);
      case 405: return new ApiException(405, "method_not_allowed", rc.request().method() + " is not allowed on " + rc.request().path(), null);
      case 404: return new ApiException(404, "not_found", "no such endpoint: " + rc.request().path(), null);
      default: return new ApiException(status >= 400 ? status : 500, status >= 500 || status < 400 ? "internal" : "bad_request",
          "request failed with status " + status, null);
    }
  }
}
