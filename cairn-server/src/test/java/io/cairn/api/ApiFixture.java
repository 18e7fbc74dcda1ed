package io.cairn.api;

import io.cairn.config.CairnConfig;
import io.cairn.health.CheckResults;
import io.cairn.health.CheckStats;
import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.model.NodeInfo;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.RaftStatus;
import io.cairn.registry.Apply;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.cairn.security.Security;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One node's API built from plain objects, the way CairnNode wires it, with no Raft, cluster or server: its log
 * applies each append to the replica at once, as one entry at the next revision, as a one-node cluster would.
 */
final class ApiFixture implements AutoCloseable {
  static final String NODE_ID = "n1";

  final CairnConfig cfg;
  final Replica replica = new Replica();
  final NodeState.Writers writers;
  final NodeState node;
  final Access access;
  final NodeStats stats = new NodeStats();
  final CheckStats checkStats = new CheckStats();
  final QueryCache cache;
  final Vertx vertx = Vertx.vertx();
  final AppliedAtOnce log = new AppliedAtOnce();
  final RegistryOperations ops;
  final CheckOperations checks;
  final ClusterViews views;

  /** A node without security: every caller may do everything. */
  ApiFixture() {
    this(new JsonObject());
  }

  /** {@code config} is laid over the defaults, as a node's configuration file would be. */
  ApiFixture(JsonObject config) {
    cfg = CairnConfig.of(new JsonObject().put("node", new JsonObject().put("id", NODE_ID)).mergeIn(config, true));
    writers = NodeState.create(NODE_ID, replica, false);
    node = writers.state();
    access = new Access(cfg.security(), new Security(cfg.security()));
    cache = new QueryCache(replica, cfg.registry().queryCacheSize());
    ops = new RegistryOperations(vertx, cfg.registry(), cfg.checks().allowedTargets(), node, replica, access,
        cfg.checks().defaults(Set.of("ttl", "http", "tcp")), log, cache);
    checks = new CheckOperations(vertx, node, replica, access, new CheckResults(), ops);
    views = new ClusterViews(cfg.cluster(), cfg.raft(), cfg.http(), node, replica, access, stats, checkStats,
        cache);
  }

  /** A node with security on (tokens), where an anonymous caller may do nothing. */
  static ApiFixture secured() {
    return new ApiFixture(new JsonObject().put("security", new JsonObject().put("tokensFile", "tokens-unused")));
  }

  /** The node caught up with the log and leads a quorate group, as the replication room would say. */
  ApiFixture leading() {
    writers.replication().ready();
    writers.replication().raft(new RaftStatus("leader", NODE_ID, 1, 0, 0, true, List.of(NODE_ID), List.of()));
    return this;
  }

  /** The log records node {@code id} (incarnation {@code memberId}) as joined. */
  void joined(String id, String memberId) {
    NodeInfo info = new NodeInfo(id, id, memberId, "127.0.0.1", 8080, "127.0.0.1:9090", "127.0.0.1:5701", "r1", "z1",
        "test", List.of(), 1, NodeInfo.Status.ALIVE, 1, 1);
    log.append(Command.node(Command.Type.NODE_JOINED, id, 0, 1, 0, info));
  }

  /** The log names this node leader of term 1. */
  void elected() {
    log.append(Command.leaderElected(NODE_ID, 0, 1, 1));
  }

  static JsonObject instance(String id, String name) {
    return new JsonObject().put("id", id).put("name", name).put("address", "127.0.0.1").put("port", 8080);
  }

  /** What an asynchronous answer was, once it came (the fixture's futures complete at once, or on an event loop). */
  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The refusal a client gets for {@code call}, whether the API throws it at once or fails the answer with it. */
  static ApiException refusal(Supplier<? extends Future<?>> call) {
    try {
      await(call.get());
    } catch (ApiException e) {
      return e;
    } catch (RuntimeException e) {
      return ApiException.of(e);
    }
    throw new AssertionError("the call was not refused");
  }

  /** The refusal a client gets for a call that answers at once. */
  static ApiException refused(Runnable call) {
    return refusal(() -> {
      call.run();
      return Future.succeededFuture();
    });
  }

  @Override
  public void close() {
    await(vertx.close());
  }

  /** The log of a one-node cluster that applies each append as one entry. */
  final class AppliedAtOnce implements CommandLog {
    int appends;
    /** Told each entry's events once applied, as the replication room tells the watchers. */
    Consumer<List<Event>> onApplied = events -> { };

    @Override
    public synchronized Future<List<Outcome>> append(List<Command> commands) {
      appends++;
      long revision = replica.revision() + 1;
      List<Outcome> outcomes = new ArrayList<>();
      replica.beginEntry();
      for (Command c : commands) {
        outcomes.add(Apply.apply(replica, c, revision));
      }
      replica.endEntry();
      onApplied.accept(outcomes.stream().flatMap(o -> o.events().stream()).toList());
      return Future.succeededFuture(outcomes);
    }
  }
}
