package io.cairn.api;

import io.cairn.health.CheckResults;
import io.cairn.health.Ownership;
import io.cairn.model.CheckOutcome;
import io.cairn.model.ModelJson;
import io.cairn.model.ServiceEntry;
import io.cairn.node.Addresses;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Health checks on demand, whatever node the request reaches: one instance's check runs on its owner (the node
 * that runs it on schedule), and "run all" asks every owner to run what it owns. Also what a node shows of an
 * instance's latest check run, which is not in the log unless it changed the instance's health.
 */
public final class CheckOperations {
  private static final int OWNER_ATTEMPTS = 5;
  private static final long OWNER_RETRY_MILLIS = 300;

  private final Vertx vertx;
  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final CheckResults checkResults;
  private final RegistryOperations registry;

  public CheckOperations(Vertx vertx, NodeState node, Replica replica, Access access, CheckResults checkResults,
                         RegistryOperations registry) {
    this.vertx = vertx;
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.checkResults = checkResults;
    this.registry = registry;
  }

  /** Runs the instance's check now on its owner: {@code {id, result: {at, status, output, durationMillis, node}, health}}. */
  public Future<JsonObject> runOne(Caller caller, String id) {
    registry.requireReady();
    ServiceEntry e = registry.get(Caller.NODE, id);
    String object = Access.service(e.name());
    access.require(caller, object, Action.OPERATE, "check");
    if (e.check() == null || e.check().isTtl()) {
      throw new ApiException(409, "no_check", "instance " + id + " has no check that Cairn runs (a ttl instance "
          + "reports itself with heartbeats)", null);
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(e.check().timeoutMillis() + 5_000);
    access.record(caller, "check", object, "ok", -1);
    return askOwner(id, options, OWNER_ATTEMPTS);
  }

  /**
   * The owner may not have taken the check on yet (a registration a moment ago, or ownership moving): it answers
   * 404 then, and is asked again shortly.
   */
  private Future<JsonObject> askOwner(String id, DeliveryOptions options, int attemptsLeft) {
    String owner = Ownership.owner(id, node.checkOwners());
    if (owner == null) {
      return Future.failedFuture(new ApiException(503, "not_ready", "no live node can run checks right now"));
    }
    return vertx.eventBus().<JsonObject>request(Addresses.CHECK_RUN + owner, id, options).map(Message::body)
        .recover(err -> {
          boolean notYetOwned = err instanceof ReplyException r && r.failureCode() == 404;
          if (notYetOwned && attemptsLeft > 1) {
            Promise<JsonObject> retry = Promise.promise();
            vertx.setTimer(OWNER_RETRY_MILLIS, t -> askOwner(id, options, attemptsLeft - 1).onComplete(retry));
            return retry.future();
          }
          return Future.failedFuture(new ApiException(503, "check_unavailable", "the check of " + id
              + " could not be run on node " + owner + ": " + err.getMessage()));
        });
  }

  /**
   * Runs every check (of service {@code name}, if given) now, each on its owner:
   * {@code {ran, healthy, degraded, unhealthy, nodes: [{node, ran, healthy, degraded, unhealthy}]}}.
   */
  public Future<JsonObject> runAll(Caller caller, String name) {
    registry.requireReady();
    if (name != null) {
      access.require(caller, Access.service(name), Action.OPERATE, "checks-run");
    } else {
      for (String each : replica.names()) {
        access.require(caller, Access.service(each), Action.OPERATE, "checks-run");
      }
    }
    access.record(caller, "checks-run", name == null ? "service:*" : Access.service(name), "ok", -1);
    List<Future<JsonObject>> asked = new ArrayList<>();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(60_000);
    for (String owner : node.checkOwners()) {
      asked.add(vertx.eventBus().<JsonObject>request(Addresses.CHECK_RUN_ALL + owner, name == null ? "" : name, options)
          .map(Message::body)
          .recover(err -> Future.succeededFuture(new JsonObject().put("node", owner).put("error", err.getMessage()))));
    }
    return Future.all(asked).map(all -> {
      JsonObject total = new JsonObject().put("ran", 0L).put("healthy", 0L).put("degraded", 0L).put("unhealthy", 0L);
      io.vertx.core.json.JsonArray nodes = new io.vertx.core.json.JsonArray();
      for (Future<JsonObject> f : asked) {
        JsonObject summary = f.result();
        nodes.add(summary);
        for (String key : new String[] {"ran", "healthy", "degraded", "unhealthy"}) {
          total.put(key, total.getLong(key) + summary.getLong(key, 0L));
        }
      }
      return total.put("nodes", nodes);
    });
  }

  /** The instance as JSON, with the latest check run this node knows of as its {@code lastCheck}. */
  public JsonObject withLatestCheck(ServiceEntry e) {
    JsonObject json = ModelJson.toJson(e);
    CheckOutcome latest = checkResults.latest(e.id());
    if (latest != null && (e.lastCheck() == null || latest.at() > e.lastCheck().at())) {
      json.put("lastCheck", ModelJson.toJson(latest));
    }
    return json;
  }
}
