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

  /**
   * A check run on demand: the instance's {@code id}, and either the run ({@code result}) with the instance's
   * {@code health} after it (null once the instance is gone), or why its owner could not run it ({@code error}).
   */
  public record CheckRun(String id, CheckOutcome result, String health, String error) {
    /** The owner's answer, as it travels between nodes (JSON over the event bus). */
    static CheckRun fromJson(JsonObject json) {
      return new CheckRun(json.getString("id"), ModelJson.outcomeFromJson(json.getJsonObject("result")),
          json.getString("health"), json.getString("error"));
    }
  }

  /** Runs the instance's check now on its owner. */
  public Future<CheckRun> runOne(Caller caller, String id) {
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
  private Future<CheckRun> askOwner(String id, DeliveryOptions options, int attemptsLeft) {
    String owner = Ownership.owner(id, node.checkOwners());
    if (owner == null) {
      return Future.failedFuture(new ApiException(503, "not_ready", "no live node can run checks right now"));
    }
    return vertx.eventBus().<JsonObject>request(Addresses.CHECK_RUN + owner, id, options)
        .map(reply -> CheckRun.fromJson(reply.body()))
        .recover(err -> {
          boolean notYetOwned = err instanceof ReplyException r && r.failureCode() == 404;
          if (notYetOwned && attemptsLeft > 1) {
            Promise<CheckRun> retry = Promise.promise();
            vertx.setTimer(OWNER_RETRY_MILLIS, t -> askOwner(id, options, attemptsLeft - 1).onComplete(retry));
            return retry.future();
          }
          return Future.failedFuture(new ApiException(503, "check_unavailable", "the check of " + id
              + " could not be run on node " + owner + ": " + err.getMessage()));
        });
  }

  /**
   * What a node ran on demand: how many checks and how each came out ({@code error}: the node could not be asked,
   * and the counts are 0).
   */
  public record NodeRuns(String node, long ran, long healthy, long degraded, long unhealthy, String error) {
    /** The node's summary, as it travels between nodes (JSON over the event bus). */
    static NodeRuns fromJson(JsonObject json) {
      return new NodeRuns(json.getString("node"), json.getLong("ran", 0L), json.getLong("healthy", 0L),
          json.getLong("degraded", 0L), json.getLong("unhealthy", 0L), json.getString("error"));
    }
  }

  /** Every check run on demand: the totals over the nodes, and each node's part. */
  public record ChecksRun(long ran, long healthy, long degraded, long unhealthy, List<NodeRuns> nodes) {
    static ChecksRun of(List<NodeRuns> nodes) {
      long ran = 0;
      long healthy = 0;
      long degraded = 0;
      long unhealthy = 0;
      for (NodeRuns n : nodes) {
        ran += n.ran();
        healthy += n.healthy();
        degraded += n.degraded();
        unhealthy += n.unhealthy();
      }
      return new ChecksRun(ran, healthy, degraded, unhealthy, List.copyOf(nodes));
    }
  }

  /** Runs every check (of service {@code name}, if given) now, each on its owner. */
  public Future<ChecksRun> runAll(Caller caller, String name) {
    registry.requireReady();
    if (name != null) {
      access.require(caller, Access.service(name), Action.OPERATE, "checks-run");
    } else {
      for (String each : replica.names()) {
        access.require(caller, Access.service(each), Action.OPERATE, "checks-run");
      }
    }
    access.record(caller, "checks-run", name == null ? "service:*" : Access.service(name), "ok", -1);
    List<Future<NodeRuns>> asked = new ArrayList<>();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(60_000);
    for (String owner : node.checkOwners()) {
      asked.add(vertx.eventBus().<JsonObject>request(Addresses.CHECK_RUN_ALL + owner, name == null ? "" : name, options)
          .map(reply -> NodeRuns.fromJson(reply.body()))
          .recover(err -> Future.succeededFuture(new NodeRuns(owner, 0, 0, 0, 0, err.getMessage()))));
    }
    return Future.all(asked).map(all -> ChecksRun.of(asked.stream().map(Future::result).toList()));
  }

  /**
   * An instance with the latest check run this node knows of, when that is newer than the one the log holds (a run
   * that did not change its health is not in the log).
   *
   * @param newerRun null when the instance's own {@code lastCheck} is the latest
   */
  public record Checked(ServiceEntry entry, CheckOutcome newerRun) {
  }

  public Checked withLatestCheck(ServiceEntry e) {
    CheckOutcome latest = checkResults.latest(e.id());
    boolean newer = latest != null && (e.lastCheck() == null || latest.at() > e.lastCheck().at());
    return new Checked(e, newer ? latest : null);
  }
}
