package io.cairn.replication;

import io.cairn.config.CairnConfig;
import io.cairn.model.NodeInfo;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.RaftStatus;
import io.cairn.registry.Replica;
import io.vertx.core.Context;
import io.vertx.core.Future;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.rpc.CallId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This node's administrative requests to its own Raft server: linearizable reads (ReadIndex), handing leadership on,
 * and snapshots every {@code snapshot.interval}.
 *
 * <p>Why apart from the client's writes ({@link Proposals}, {@link LeaderLink}): these are requests of the node
 * itself, under its own client id, to its own server, and each asks only whether this node holds a division now.
 * Every call is asynchronous and answered on the replication verticle's loop. It exists before the Raft server has
 * started: a read or a step-down asked for then is answered at once (no division), and a snapshot Ratis writes
 * while starting is counted.
 */
final class RaftAdmin {
  /** Its lines keep the logger they always had: operators select them by it. */
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
  /** A snapshot is asked for once this many commands were applied since the last, for each instance it would hold. */
  private static final int TAIL_PER_INSTANCE = 4;
  /** Nor before this many: a tail this short is replayed at a restart in well under a second. */
  private static final int TAIL_AT_LEAST = 50_000;
  /** Snapshots asked for by the tail's length come at most this often (one may be under way, or failing). */
  private static final long TAIL_SNAPSHOT_GAP_MILLIS = 5_000;
  /** How long a linearizable read waits for a leader to confirm it (an election takes about a second). */
  private static final long READ_WAIT_MILLIS = 6_000;
  private static final long READ_RETRY_MILLIS = 100;

  /** The replication verticle's context: every callback here runs on its loop. */
  private final Context context;
  private final CairnConfig cfg;
  private final NodeState.ReplicationSide side;
  private final NodeState node;
  private final Replica replica;
  private final NodeStats stats;
  private final DivisionKeeper keeper;
  /** The state machine of this node's current division. */
  private final Supplier<RegistryStateMachine> stateMachine;
  private final ClientId clientId;
  private final RaftGroupId groupId;
  private final RaftPeerId self;
  private long snapshotRequestedAt;
  /** The node's count of applied commands when its last snapshot was written (from the snapshot writer's thread). */
  private volatile long commandsAtLastSnapshot;
  /** Written by the snapshot writer's thread once a snapshot is on disk, read on this loop. */
  private volatile long lastSnapshotAt;

  /** @param startedAt when the node started: the first timed snapshot is due a {@code snapshot.interval} later */
  RaftAdmin(Context context, CairnConfig cfg, NodeState.ReplicationSide side, Replica replica, NodeStats stats,
            DivisionKeeper keeper, Supplier<RegistryStateMachine> stateMachine, ClientId clientId,
            RaftGroupId groupId, RaftPeerId self, long startedAt) {
    this.context = context;
    this.cfg = cfg;
    this.side = side;
    this.node = side.state();
    this.replica = replica;
    this.stats = stats;
    this.keeper = keeper;
    this.stateMachine = stateMachine;
    this.clientId = clientId;
    this.groupId = groupId;
    this.self = self;
    this.lastSnapshotAt = startedAt;
  }

  /**
   * A linearizable read: Ratis' ReadIndex (the leader confirms it still leads and names its commit index), then this
   * node waits until it has applied that index. Succeeds with that index once the local replica may be read; fails
   * (with why) when no leader answers within {@link #READ_WAIT_MILLIS}.
   *
   * <p>On a node that is quorate by its own view, a refused attempt is tried again until then, as a write waits for
   * its leader: just after an election a follower may still ask the deposed leader, or the new one may not have
   * committed in its term yet, and Ratis answers those at once with a failure that a moment later would be a success
   * (PartitionIT read 503 on the majority side that way). A node that knows it has no majority answers at once.
   */
  Future<Long> readIndex() {
    return readIndexBefore(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READ_WAIT_MILLIS));
  }

  private Future<Long> readIndexBefore(long deadline) {
    Future<Long> attempt;
    if (!node.quorate()) {
      // Not asked of Ratis: a leader cut off from its majority would keep the read waiting for the whole window.
      attempt = Future.failedFuture("this node reaches no Raft leader with a majority");
    } else if (keeper.division() == null) {
      attempt = Future.failedFuture("this node is not in the Raft group yet");
    } else {
      RaftClientRequest request = RaftCalls.readIndex(clientId, self, groupId);
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      attempt = Future.fromCompletionStage(RaftCalls.call(() -> keeper.server().submitClientRequestAsync(request)),
              context)
          .timeout(Math.max(1, left), TimeUnit.MILLISECONDS)
          .transform(ar -> ar.succeeded() && ar.result().isSuccess()
              ? Future.succeededFuture(ar.result().getLogIndex())
              : Future.failedFuture(ar.failed() ? ar.cause().toString() : String.valueOf(ar.result().getException())));
    }
    return attempt.recover(err -> {
      // A node that knows it reaches no majority answers at once, as its writes do.
      if (!node.quorate() || deadline - System.nanoTime() <= TimeUnit.MILLISECONDS.toNanos(READ_RETRY_MILLIS)) {
        return Future.failedFuture(err);
      }
      return context.owner().timer(READ_RETRY_MILLIS, TimeUnit.MILLISECONDS)
          .compose(ignored -> readIndexBefore(deadline));
    });
  }

  /** A leader hands leadership to another live voter, if there is one; then {@code done}. */
  void handLeadershipOn(String why, Runnable done) {
    RaftStatus raft = node.raft();
    if (keeper.division() == null || !raft.isLeader()) {
      done.run();
      return;
    }
    String target = raft.voters().stream().filter(v -> !v.equals(node.nodeId())).filter(v -> {
      NodeInfo n = replica.node(v);
      return n != null && node.liveMembers().contains(n.memberId());
    }).findFirst().orElse(null);
    if (target == null) {
      done.run();
      return;
    }
    TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, self, groupId,
        CallId.getAndIncrement(), RaftPeerId.valueOf(target), 3000);
    Future.fromCompletionStage(RaftCalls.call(() -> keeper.server().transferLeadershipAsync(request)), context)
        .onComplete(ar -> {
          if (ar.failed() || !ar.result().isSuccess()) {
            log.info("Could not hand leadership to {}: {}", target,
                ar.failed() ? ar.cause().toString() : String.valueOf(ar.result().getException()));
          } else {
            log.info("Node {} handed leadership to {}: {}", node.nodeId(), target, why);
          }
          done.run();
        });
  }

  /**
   * Every snapshot.interval, when something was applied since the last one; and sooner when the commands applied
   * since the last snapshot outnumber what a snapshot holds {@value #TAIL_PER_INSTANCE} times over (at least
   * {@value #TAIL_AT_LEAST}). A restarted node applies that tail again before it serves, one command at a time on a
   * JVM that has compiled nothing yet, while it loads a snapshot in one pass: a single node restarted after a minute
   * of some 10,000 registrations a second replayed the 47,720 entries since its timed snapshot and served after
   * 8.8 s; with this rule, after 3.5 s (docs/BENCHMARKS.md). Ratis also snapshots by count of entries
   * (snapshot.everyRevisions).
   * Called once a second while this node holds a division.
   */
  void maybeSnapshot() {
    long now = System.currentTimeMillis();
    if (!node.ready()) {
      return;
    }
    boolean timed = now - lastSnapshotAt >= cfg.snapshot().intervalMillis()
        && now - snapshotRequestedAt >= cfg.snapshot().intervalMillis();
    long tail = stats.commandsApplied() - commandsAtLastSnapshot;
    boolean longTail = tail >= Math.max(TAIL_AT_LEAST, TAIL_PER_INSTANCE * (long) replica.size())
        && now - snapshotRequestedAt >= TAIL_SNAPSHOT_GAP_MILLIS;
    if (!timed && !longTail) {
      return;
    }
    var latest = stateMachine.get().getLatestSnapshot();
    if (latest != null && latest.getIndex() >= node.raft().appliedIndex()) {
      return;
    }
    snapshotRequestedAt = now;
    SnapshotManagementRequest create = SnapshotManagementRequest.newCreate(clientId, self, groupId,
        CallId.getAndIncrement(), 60_000);
    RaftCalls.call(() -> keeper.server().snapshotManagementAsync(create));
  }

  /** A snapshot (timed, or by count) is on disk; called on the snapshot writer's thread. */
  void snapshotTaken(long revision) {
    lastSnapshotAt = System.currentTimeMillis();
    commandsAtLastSnapshot = stats.commandsApplied();
    side.diskSnapshot(revision, lastSnapshotAt);
    stats.snapshotWritten();
  }
}
