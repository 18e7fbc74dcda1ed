package io.cairn.client;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The registry over the Vert.x event bus, for verticles anywhere in the cluster, including Vert.x applications
 * that join the Hazelcast cluster without running Cairn. Every Cairn node serves it on {@link #ADDRESS}; calls are
 * spread over the nodes. Instances and queries are the JSON of the REST API. A failure is a
 * {@code io.vertx.serviceproxy.ServiceException} whose {@code failureCode()} is the HTTP status the REST API
 * would answer and whose {@code getDebugInfo()} is {@code {"error","message","field"}}.
 *
 * <p>Events arrive separately: consume {@code cairn.events} (each event once, in revision order).
 */
@ProxyGen
@VertxGen
public interface RegistryService {
  String ADDRESS = "cairn.registry";
  String EVENTS = "cairn.events";

  static RegistryService createProxy(Vertx vertx) {
    return new RegistryServiceVertxEBProxy(vertx, ADDRESS);
  }

  /** Registers a new instance; fails with 409 when its id exists. Answers the instance, with {@code status} 201. */
  Future<JsonObject> register(JsonObject instance);

  /** Registers or replaces; {@code cas} (nullable) is the revision the caller last saw, 0 for "only if absent". */
  Future<JsonObject> put(String id, JsonObject instance, Long cas);

  Future<JsonObject> get(String id);

  Future<JsonObject> deregister(String id);

  /** {@code {name, version, tags: [], status, node, region, zone, metadata: {}}} → {@code {revision, count, services}}. */
  Future<JsonObject> discover(JsonObject query);

  Future<JsonObject> heartbeat(String id);

  Future<JsonObject> enable(String id);

  Future<JsonObject> disable(String id);

  Future<JsonObject> drain(String id);

  /** Registers or replaces many: {@code {revision, results: [{index, status, id, revision} | {index, status, error, message, field}]}}. */
  Future<JsonObject> registerAll(JsonArray instances);

  /** The answering node: {@code {node, ready, revision, leader, term}}. */
  Future<JsonObject> status();

  /**
   * Writes a route of the built-in proxy whole (REST: {@code PUT /v1/routes/{id}}): the route document of the REST
   * API, validated the same way. {@code cas} (nullable) as in {@link #put}. Answers the route as REST does (with
   * {@code id}, {@code revision} and {@code source}), with {@code status} 201 (created) or 200.
   */
  Future<JsonObject> putRoute(String id, JsonObject route, Long cas);

  /** A route in force on the answering node, written through the log ({@code source: log}) or configured there. */
  Future<JsonObject> getRoute(String id);

  /** Removes a route written through the log; answers it as it was, with {@code status} 200. */
  Future<JsonObject> deleteRoute(String id);

  /** The routes in force that the caller may read: {@code {revision, routes: [...]}}, sorted by id. */
  Future<JsonObject> listRoutes();
}
