package io.cairn.grpc;

import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.RegistryOperations;
import io.cairn.config.GrpcSettings;
import io.cairn.grpc.v1.Drained;
import io.cairn.grpc.v1.HeartbeatMessage;
import io.cairn.grpc.v1.HeartbeatReply;
import io.cairn.grpc.v1.Pong;
import io.cairn.model.ServiceEntry;
import io.cairn.node.NodeStats;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The agents' Heartbeat calls on one gateway event loop (apart from {@link RegistryGrpcApi}, which admits them: the
 * link outlives any one request and keeps its own clock). Each ping renews the ttl of its instances (instances
 * without a ttl are only reported if unknown) and is answered with a pong; a shutdown notice drains its instances.
 * Silence longer than grpc.clientTimeout ends the call.
 */
final class GrpcHeartbeats {
  private final Vertx vertx;
  private final GrpcSettings grpc;
  private final NodeStats stats;
  private final Replica replica;
  private final RegistryOperations ops;
  /** Another node's gRPC address (or null), for a failure that tells the agent to go elsewhere. */
  private final Supplier<String> otherNode;
  /** Open calls, each with what ends it (gives its place back). */
  private final Map<GrpcServerResponse<HeartbeatMessage, HeartbeatReply>, Runnable> open = new HashMap<>();

  GrpcHeartbeats(Vertx vertx, GrpcSettings grpc, NodeStats stats, Replica replica, RegistryOperations ops,
                 Supplier<String> otherNode) {
    this.vertx = vertx;
    this.grpc = grpc;
    this.stats = stats;
    this.replica = replica;
    this.ops = ops;
    this.otherNode = otherNode;
  }

  /** Serves an admitted call of {@code caller}; {@code release} gives its place back once it ends. */
  void serve(GrpcServerRequest<HeartbeatMessage, HeartbeatReply> call, Caller caller, Runnable release) {
    GrpcServerResponse<HeartbeatMessage, HeartbeatReply> response = call.response();
    long timeout = grpc.clientTimeoutMillis();
    long[] lastHeard = {System.currentTimeMillis()};
    boolean[] ended = {false};
    long[] timer = new long[1];
    Runnable end = () -> {
      if (!ended[0]) {
        ended[0] = true;
        vertx.cancelTimer(timer[0]);
        open.remove(response);
        stats.agentDisconnected();
        release.run();
      }
    };
    open.put(response, end);
    stats.agentConnected();
    timer[0] = vertx.setPeriodic(Math.max(100, timeout / 4), id -> {
      if (System.currentTimeMillis() - lastHeard[0] > timeout) {
        GrpcErrors.end(response, GrpcStatus.DEADLINE_EXCEEDED, "client_timeout: nothing received for "
            + timeout + " ms (grpc.clientTimeout); ping more often than that");
        end.run();
      }
    });
    call.exceptionHandler(e -> end.run());
    call.errorHandler(e -> end.run());
    call.endHandler(v -> {
      GrpcErrors.end(response, GrpcStatus.OK, "");
      end.run();
    });
    call.handler(message -> {
      lastHeard[0] = System.currentTimeMillis();
      Future<HeartbeatReply> reply;
      try {
        reply = message.hasShutdown() ? drain(caller, message.getShutdown().getInstanceIdsList())
            : ping(caller, message.getPing().getInstanceIdsList(), message.getPing().getSequence());
      } catch (RuntimeException e) {
        reply = Future.failedFuture(e);
      }
      reply.onComplete(ar -> {
        if (ended[0]) {
          return;
        }
        if (ar.succeeded()) {
          response.write(ar.result());
        } else {
          GrpcErrors.fail(response, ar.cause(), otherNode);
          end.run();
        }
      });
    });
  }

  private Future<HeartbeatReply> ping(Caller caller, List<String> ids, long sequence) {
    ops.requireReady();
    List<Future<?>> renewals = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (String id : ids) {
      ServiceEntry entry = replica.get(id);
      if (entry == null) {
        unknown.add(id);
      } else if (entry.hasTtl()) {
        Future<RegistryOperations.Written> renewed;
        try {
          renewed = ops.heartbeat(caller, id);
        } catch (RuntimeException e) {
          renewed = Future.failedFuture(e); // deregistered since it was read above
        }
        renewals.add(renewed.recover(err -> {
          if (ApiException.of(err).status() == 404) {
            unknown.add(id);
            return Future.succeededFuture();
          }
          return Future.failedFuture(err);
        }));
      }
    }
    return Future.all(renewals).map(v -> HeartbeatReply.newBuilder().setPong(Pong.newBuilder()
        .setSequence(sequence).setRevision(replica.revision()).addAllUnknownIds(unknown)).build());
  }

  private Future<HeartbeatReply> drain(Caller caller, List<String> ids) {
    List<Future<RegistryOperations.Written>> drains = new ArrayList<>();
    for (String id : ids) {
      drains.add(ops.drainOnShutdown(caller, id));
    }
    return Future.all(drains).map(v -> {
      long revision = drains.stream().mapToLong(f -> f.result().revision()).max().orElse(replica.revision());
      return HeartbeatReply.newBuilder().setDrained(Drained.newBuilder().addAllInstanceIds(ids).setRevision(revision))
          .build();
    });
  }

  /** The node is leaving: every call ends with {@code leaving}'s status, so that agents go to another node. */
  void closeAll(Supplier<ApiException> leaving) {
    for (var call : Map.copyOf(open).entrySet()) {
      GrpcErrors.fail(call.getKey(), leaving.get(), otherNode);
      call.getValue().run();
    }
  }
}
