package io.cairn.replication;

import io.cairn.node.NodeState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Keeps this node's Raft server and its division, its part of the Raft group: starts the server, finds the division
 * once Ratis holds it, creates it when {@link RaftMembership} says to join, and restarts the server from its own
 * storage when Ratis has left the division in a state it does not leave by itself ({@link ClosedDivision},
 * {@link LostConfiguration}, {@link FailedLog}).
 *
 * <p>Why one keeper: the division comes and goes (none before the node joins, a new one after each restart), and the
 * other parts all ask it the same things, whether there is one and since when; a restart asked for while one is under
 * way (two workarounds at once) is not started twice.
 *
 * <p>Why the whole server restarts, not the division alone: Ratis 3.2.2 takes a leader's snapshot chunk for a
 * division added to a running server while that division is still loading its log ("log is uninitialized"), starts
 * it following on the way, and then fails the division's own start ("previous != null"). A removed voter restarted
 * while its leader sent it a snapshot went through that on every try and never came back (GrowthIT, in CI). A server
 * started anew opens its port only once its divisions have started.
 *
 * <p>Runs on the replication verticle's loop; starting, stopping and restarting the server run on a worker.
 */
final class DivisionKeeper {
  /** Its lines keep the logger they always had: operators select them by it. */
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
  /** How long a restart waits for a division that Ratis is closing by itself to let go of its storage. */
  private static final long CLOSED_WITHIN_MILLIS = 10_000;

  /** Builds and starts a Raft server on this node's storage, recovering the group found there (blocking). */
  interface ServerStarter {
    RaftServer start() throws IOException;
  }

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
  private final ServerStarter starter;
  /** Held while the server is started, closed or replaced, which happens on workers. */
  private final Object lifecycle = new Object();
  /** Volatile: read on the loop and by Ratis' threads, replaced on a worker. */
  private volatile RaftServer server;
  /** Volatile: set on a worker as the node stops, read on the loop. */
  private volatile boolean closed;
  /** Volatile: the state machine reads it on Ratis' applying thread (CommitHeartbeat). */
  private volatile RaftServer.Division division;
  private long since;
  private boolean joining;
  private boolean restarting;

  DivisionKeeper(Vertx vertx, Context context, NodeState node, StandingMeter standing, RaftGroupId groupId,
                 RaftPeerId self, ClientId clientId, Path storage, ServerStarter starter) {
    this.vertx = vertx;
    this.context = context;
    this.node = node;
    this.standing = standing;
    this.groupId = groupId;
    this.self = self;
    this.clientId = clientId;
    this.storage = storage;
    this.starter = starter;
  }

  /** Starts the Raft server; from then on the division can be found, joined and restarted. */
  Future<Void> start() {
    return vertx.executeBlocking(() -> {
      synchronized (lifecycle) {
        if (!closed) {
          server = starter.start();
        }
      }
      return null;
    });
  }

  /** Closes the Raft server for good (blocking: the node is stopping); a restart under way starts nothing after. */
  void close() throws IOException {
    synchronized (lifecycle) {
      closed = true;
      if (server != null) {
        server.close();
      }
    }
  }

  /** The Raft server (null before it started; after a failed restart, the closed one until the next try). */
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
    if (division == null && server != null) {
      try {
        division = server.getDivision(groupId);
        since = System.currentTimeMillis();
      } catch (IOException notYet) {
        // this node does not belong to the group yet
      }
    }
  }

  /** Creates the group here when {@code membership} says so (formed with the first voters, or empty for a joiner). */
  void join(RaftMembership membership) {
    if (joining || server == null) {
      return;
    }
    joining = true;
    RaftServer joiningServer = server;
    membership.groupToJoin().compose(group -> {
      if (group == null) {
        return Future.succeededFuture();
      }
      boolean forms = group.getPeers().stream().anyMatch(p -> p.getStartupRole() == RaftPeerRole.FOLLOWER);
      log.info("Node {} {} the Raft group {}", node.nodeId(), forms ? "forms" : "waits for the leader to add it to",
          group);
      GroupManagementRequest add = GroupManagementRequest.newAdd(clientId, self, CallId.getAndIncrement(), group);
      return Future.fromCompletionStage(RaftCalls.call(() -> joiningServer.groupManagementAsync(add)), context)
          .map(reply -> {
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
   * Restarts this node's Raft server from its own storage, when Ratis has left the division in a state it does not
   * leave by itself (see the callers); the log on disk holds the group's configuration, which the new division reads.
   */
  void restart(String why) {
    if (restarting || closed) {
      return;
    }
    restarting = true;
    log.warn("Node {}: {}; restarting its Raft server from its storage", node.nodeId(), why);
    RaftServer.Division old = division;
    vertx.<Boolean>executeBlocking(() -> {
      synchronized (lifecycle) {
        if (closed) {
          return false;
        }
        server.close();
        if (old != null) {
          awaitClosed(old);
          EmptiedRaftMeta.repair(storage, old.getInfo().getCurrentTerm(), self.toString());
        }
        server = starter.start();
        return true;
      }
    }).onComplete(ar -> {
      restarting = false;
      if (ar.failed()) {
        // Asked again by whoever asked (the closed division or the failed log is still there), so only said here,
        // with the cause's stack: Ratis' messages name the file, its causes say what was wrong with it.
        log.warn("Node {} could not restart its Raft server: {}", node.nodeId(), ar.cause().toString(), ar.cause());
        return;
      }
      if (!ar.result()) {
        return;
      }
      division = null;
      find();
      standing.restarted();
      log.info("Node {} restarted its Raft server", node.nodeId());
    });
  }

  /**
   * Until the division Ratis was closing by itself (a closed election, a failed log) has closed, for its storage's
   * lock; a server's close does not wait for a close already under way. Bounded: past it, the new start fails on
   * the lock, and the restart is asked for again.
   */
  private static void awaitClosed(RaftServer.Division old) throws InterruptedException {
    long deadline = System.currentTimeMillis() + CLOSED_WITHIN_MILLIS;
    while (old.getInfo().getLifeCycleState() != LifeCycle.State.CLOSED && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
  }
}
