package io.cairn.replication;

import io.cairn.node.NodeState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * Keeps this node's division, its part of the Raft group: finds it once Ratis holds it, creates it when
 * {@link RaftMembership} says to join, and restarts it from its own storage when Ratis has left it in a state it does
 * not leave by itself ({@link ClosedDivision}, {@link LostConfiguration}, {@link FailedLog}).
 *
 * <p>Why one keeper: the division comes and goes (none before the node joins, a new one after each restart), and the
 * other parts all ask it the same things, whether there is one and since when; a restart asked for while one is under
 * way (two workarounds at once) is not started twice. It exists before the Raft server has started, as what reacts to
 * Ratis does, and holds no division until {@link #started} hands it the server. Runs on the replication verticle's
 * loop; the blocking group calls of a restart run on a worker.
 */
final class DivisionKeeper {
  /** Its lines keep the logger they always had: operators select them by it. */
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);

  private final Vertx vertx;
  /** The replication verticle's context: every callback here runs on its loop. */
  private final Context context;
  private final NodeState node;
  private final StandingMeter standing;
  private final RaftGroupId groupId;
  private final RaftPeerId self;
  /** The client id of this node's own administrative requests. */
  private final ClientId clientId;
  /** The division's storage ({@code <dataDir>/raft/<group>/current}). */
  private final Path storage;
  private final BooleanSupplier stopped;
  private RaftServer server;
  private RaftMembership membership;
  /** Volatile: the state machine reads it on Ratis' applying thread (CommitHeartbeat). */
  private volatile RaftServer.Division division;
  private long since;
  private boolean joining;
  private boolean restarting;

  /** @param stopped whether the node is stopping: nothing is restarted then */
  DivisionKeeper(Vertx vertx, Context context, NodeState node, StandingMeter standing, RaftGroupId groupId,
                 RaftPeerId self, ClientId clientId, Path storage, BooleanSupplier stopped) {
    this.vertx = vertx;
    this.context = context;
    this.node = node;
    this.standing = standing;
    this.groupId = groupId;
    this.self = self;
    this.clientId = clientId;
    this.storage = storage;
    this.stopped = stopped;
  }

  /** The Raft server has started: from now on the division can be found, joined and restarted. */
  void started(RaftServer server, RaftMembership membership) {
    this.server = server;
    this.membership = membership;
  }

  /** The started Raft server (null before). */
  RaftServer server() {
    return server;
  }

  /** This node's division, or null: the node does not belong to the group (yet), or Ratis lost it in a restart. */
  RaftServer.Division division() {
    return division;
  }

  /** When the current division was found. */
  long since() {
    return since;
  }

  /** Looks the division up when there is none yet. */
  void find() {
    if (division == null) {
      try {
        division = server.getDivision(groupId);
        since = System.currentTimeMillis();
      } catch (IOException notYet) {
        // this node does not belong to the group yet
      }
    }
  }

  /** Creates the group here when RaftMembership says so (formed with the first voters, or empty for a joiner). */
  void join() {
    if (joining) {
      return;
    }
    joining = true;
    membership.groupToJoin().compose(group -> {
      if (group == null) {
        return Future.succeededFuture();
      }
      boolean forms = group.getPeers().stream().anyMatch(p -> p.getStartupRole() == RaftPeerRole.FOLLOWER);
      log.info("Node {} {} the Raft group {}", node.nodeId(), forms ? "forms" : "waits for the leader to add it to",
          group);
      GroupManagementRequest add = GroupManagementRequest.newAdd(clientId, self, CallId.getAndIncrement(), group);
      return Future.fromCompletionStage(RaftCalls.call(() -> server.groupManagementAsync(add)), context).map(reply -> {
        if (!reply.isSuccess()) {
          throw new IllegalStateException(String.valueOf(reply.getException()));
        }
        return null;
      });
    }).onComplete(ar -> {
      joining = false;
      if (ar.failed()) {
        log.warn("Node {} could not create the Raft group: {}", node.nodeId(), ar.cause().toString());
      }
      find();
    });
  }

  /**
   * Restarts this node's division from its own storage, when Ratis has left it in a state it does not leave by
   * itself (see the callers); the log on disk holds the group's configuration, which a fresh division reads.
   */
  void restart(String why) {
    if (restarting || stopped.getAsBoolean()) {
      return;
    }
    restarting = true;
    log.warn("Node {}: {}; restarting its part of the Raft group from its storage", node.nodeId(), why);
    long term = division != null ? division.getInfo().getCurrentTerm() : -1;
    vertx.<Void>executeBlocking(() -> {
      try {
        server.groupManagement(GroupManagementRequest.newRemove(clientId, self, CallId.getAndIncrement(), groupId,
            false, false));
      } catch (GroupMismatchException removedAlready) {
        // A previous attempt removed it and then could not add it back (Ratis still held the closing division):
        // adding is what is left to do, or the node would stay without its part of the group for good.
      }
      if (term >= 0) {
        EmptiedRaftMeta.repair(storage, term, self.toString());
      }
      RaftClientReply added = server.groupManagement(GroupManagementRequest.newAdd(clientId, self,
          CallId.getAndIncrement(), RaftGroup.valueOf(groupId), false));
      if (!added.isSuccess()) {
        throw new IllegalStateException(String.valueOf(added.getException()));
      }
      return null;
    }).onComplete(ar -> {
      restarting = false;
      if (ar.failed()) {
        // Asked again by whoever asked (the closed division or the failed log is still there), so only said here,
        // with the cause's stack: Ratis' messages name the file, its causes say what was wrong with it.
        log.warn("Node {} could not restart its part of the Raft group: {}", node.nodeId(), ar.cause().toString(),
            ar.cause());
        return;
      }
      division = null;
      find();
      standing.restarted();
      log.info("Node {} restarted its part of the Raft group", node.nodeId());
    });
  }
}
