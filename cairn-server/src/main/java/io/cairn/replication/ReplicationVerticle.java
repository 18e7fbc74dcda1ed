package io.cairn.replication;

import com.hazelcast.core.HazelcastInstance;
import io.cairn.config.CairnConfig;
import io.cairn.node.Addresses;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.RaftStatus;
import io.cairn.node.bus.Append;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Replica;
import io.cairn.registry.Snapshot;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Owns this node's Raft server (Apache Ratis) and, through {@link RegistryStateMachine}, its replica: says how the
 * server is built ({@link DivisionKeeper} starts, restarts and stops it), and wires the parts that do the rest, each
 * on this verticle's event loop.
 *
 * <p>The Raft log is the registry log: every write is a command proposed by {@link Proposals} and answered once
 * committed and applied here. Ratis applies committed entries on a thread of its own; what each apply decided comes
 * back as {@link Notices}, drained on this verticle's event loop: callers answered, the batch handed to this node's
 * watchers ({@link Addresses#APPLIED}), and, on the node the log names leader, the events published on
 * {@link Addresses#EVENTS} once each, in order ({@link LeaderPublisher}, through {@link EventPublisherVerticle}).
 *
 * <p>Membership of the group is {@link RaftMembership}'s: forming it, joining it, and (on the leader) learners,
 * promotions and dead voters. {@link DivisionKeeper} holds the server and this node's part of the group (its
 * division), creates the division when the node joins, and restarts the server when Ratis leaves the division in a
 * state it does not leave by itself
 * ({@link ClosedDivision}, {@link LostConfiguration}, {@link FailedLog}). Every 250 ms {@link StatusProbe} measures
 * the node's part in the group ({@link RaftStatus}), decides readiness, and on a leader that has not yet recorded its
 * term, proposes {@code leaderElected}. {@link RaftAdmin} serves linearizable reads, hands leadership on, and takes
 * timed snapshots. Once a second this verticle tends the membership, tells the publishing cursor, asks for a timed
 * snapshot, and acts on the node's standing ({@link StandingMeter}).
 */
public class ReplicationVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
  private static final long MEMBERSHIP_EVERY_MILLIS = 1000;

  private final CairnConfig cfg;
  private final NodeState.ReplicationSide side;
  private final NodeState node;
  private final Replica replica;
  private final EventHistory history;
  private final NodeStats stats;
  private final CommandLog commandLog;
  /** The client id of this node's own administrative requests (group changes, snapshots, reads, transfers). */
  private final ClientId clientId = ClientId.randomId();
  /** When this node was made: the first timed snapshot is due a snapshot.interval later. */
  private final long createdAt = System.currentTimeMillis();
  private boolean stopped;
  private PeerDirectory directory;
  /** The state machine of this node's current division (a new one each time Ratis creates the division). */
  private volatile RegistryStateMachine stateMachine;
  private StandingMeter standing;
  private Proposals proposals;
  private DivisionKeeper keeper;
  private FailedLog failedLog;
  private RaftAdmin admin;
  private LeaderPublisher publisher;
  private Notices notices;
  private LeaderLink link;
  private RaftMembership membership;
  private SilentFollowers silentFollowers;

  public ReplicationVerticle(CairnConfig cfg, NodeState.ReplicationSide side, Replica replica, EventHistory history,
                             NodeStats stats, CommandLog commandLog) {
    this.cfg = cfg;
    this.side = side;
    this.node = side.state();
    this.replica = replica;
    this.history = history;
    this.stats = stats;
    this.commandLog = commandLog;
  }

  @Override
  public void start(Promise<Void> started) {
    HazelcastInstance hz = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    side.memberId(((VertxInternal) vertx).clusterManager().getNodeId());
    directory = new PeerDirectory(vertx, cfg, side, hz);
    RaftGroupId groupId = RaftSetup.groupId(cfg);
    RaftPeerId self = RaftSetup.peerId(node.nodeId());
    standing = new StandingMeter(cfg, replica);
    proposals = new Proposals(cfg, node, replica, stats, context, standing);
    // What reacts to Ratis exists before its server: Ratis reports from the server's start on.
    keeper = new DivisionKeeper(vertx, context, node, standing, groupId, self, clientId,
        RaftSetup.storageDir(cfg).toPath().resolve(groupId.getUuid().toString()).resolve("current"),
        () -> newServer(self));
    failedLog = new FailedLog(side, standing, keeper);
    admin = new RaftAdmin(context, cfg, side, replica, stats, keeper, () -> stateMachine, clientId, groupId, self,
        createdAt);
    publisher = new LeaderPublisher(vertx, node, replica, history, stats);
    notices = new Notices(vertx, context, node.nodeId(), stats, proposals, publisher, failedLog, admin);
    vertx.deployVerticle(new EventPublisherVerticle());
    vertx.eventBus().<Append.Request>localConsumer(Addresses.APPEND, proposals::submit);
    // Watchers need a replica state that belongs to one revision: taken between two applies, and shared by every
    // watcher that asks before the next apply (a thousand connecting at once copy the registry once).
    vertx.eventBus().localConsumer(Addresses.REPLICA_SNAPSHOT, msg -> {
      // Before this node has a division nothing is applied: the replica may be read as it is.
      RegistryStateMachine current = stateMachine;
      msg.reply(current != null ? current.snapshotForWatchers() : replica.snapshot());
    });
    // A backup: the same state in the form of the snapshots on disk, encoded off the event loop.
    vertx.eventBus().localConsumer(Addresses.REPLICA_SNAPSHOT_FILE, msg -> {
      RegistryStateMachine current = stateMachine;
      Snapshot snapshot = current != null ? current.snapshotForWatchers() : replica.snapshot();
      vertx.executeBlocking(() -> Buffer.buffer(LogCodec.encode(snapshot)), false).onComplete(ar -> {
        if (ar.succeeded()) {
          msg.reply(ar.result());
        } else {
          msg.fail(500, ar.cause().getMessage());
        }
      });
    });
    vertx.eventBus().<Object>localConsumer(Addresses.READ_INDEX, msg -> admin.readIndex().onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        msg.fail(503, ar.cause().getMessage());
      }
    }));
    // Leaving: a leader hands leadership to another live voter first, so that the cluster need not wait to elect.
    vertx.eventBus().<Object>localConsumer(Addresses.STEP_DOWN,
        msg -> admin.handLeadershipOn("it is leaving", () -> msg.reply(null)));
    // Over the event bus, which under security.cluster.* only nodes with the cluster's certificate reach: a cursor
    // kept in a Hazelcast map could be moved by any process on the member port.
    vertx.eventBus().<Long>consumer(Addresses.EVENTS_PUBLISHED, msg -> {
      publisher.heard(msg.body());
      standing.announced(msg.body(), System.currentTimeMillis());
    });
    directory.start();
    keeper.start().onSuccess(v -> {
      link = new LeaderLink(context, cfg, keeper::server, groupId, self);
      proposals.link(link);
      membership = new RaftMembership(vertx, context, cfg, side, hz, directory, keeper::server, groupId, clientId);
      silentFollowers = new SilentFollowers(keeper::server, RaftSetup.requestTimeoutMillis(cfg));
      StatusProbe probe = new StatusProbe(cfg, side, replica, commandLog, keeper, silentFollowers, link, publisher,
          () -> stopped);
      notices.started(link, probe);
      keeper.find();
      if (keeper.division() == null) {
        log.info("Node {} has no Raft storage yet: it forms the group once {} nodes without one see each other, or "
            + "joins the running group", node.nodeId(), cfg.raft().bootstrapExpect());
      }
      vertx.setPeriodic(StatusProbe.EVERY_MILLIS, id -> probe.refresh());
      vertx.setPeriodic(PeerDirectory.ASK_EVERY_MILLIS, id -> directory.refresh());
      vertx.setPeriodic(MEMBERSHIP_EVERY_MILLIS, id -> membershipTick());
      vertx.setPeriodic(1000, id -> proposals.expire());
      membershipTick();
    }).onComplete(started);
  }

  @Override
  public void stop(Promise<Void> done) {
    stopped = true;
    directory.stop();
    if (proposals != null) {
      proposals.abandon("node stopping");
    }
    vertx.<Void>executeBlocking(() -> {
      if (link != null) {
        link.close();
      }
      if (silentFollowers != null) {
        silentFollowers.close();
      }
      keeper.close();
      return null;
    }).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("Closing the Raft server: {}", ar.cause().toString());
      }
      done.complete();
    });
  }

  /**
   * A Raft server on this node's storage, started. Without a group: Ratis recovers every group it finds in its
   * storage; a new node gets one from RaftMembership. A server that fails to start is closed, for its threads.
   */
  private RaftServer newServer(RaftPeerId self) throws IOException {
    RaftServer server = RaftServer.newBuilder()
        .setServerId(self)
        .setStateMachineRegistry(gid -> newStateMachine())
        .setProperties(RaftSetup.serverProperties(cfg))
        .setParameters(RaftSetup.parameters(cfg))
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      try {
        server.close();
      } catch (IOException | RuntimeException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
    return server;
  }

  /**
   * Called by Ratis whenever it creates this node's division: at start, on joining, and when a closed one is
   * restarted. A restarted division carries on from what the replica has applied (its log holds everything up to
   * there), so the replica never goes back to a snapshot while the node serves it.
   */
  private RegistryStateMachine newStateMachine() {
    RegistryStateMachine previous = stateMachine;
    stateMachine = new RegistryStateMachine(replica, history, node.nodeId(), proposals::proposed,
        notices, standing::leaderRefusal, previous == null ? null : previous.getLastAppliedTermIndex(),
        keeper::division, proposals::writesWaiting);
    return stateMachine;
  }

  /** Once a second: join while without a division; otherwise tend the group, tell the cursor, snapshot, judge. */
  private void membershipTick() {
    if (stopped) {
      return;
    }
    keeper.find();
    membership.publish(keeper.division() != null, node.raft().appliedIndex());
    if (keeper.division() == null) {
      keeper.join(membership);
      return;
    }
    if (node.raft().isLeader()) {
      membership.tend(keeper.division());
    }
    publisher.tellCursor();
    admin.maybeSnapshot();
    judgeStanding();
  }

  /** Once a second: this node's standing, and what it calls for (see {@link StandingMeter#judge}). */
  private void judgeStanding() {
    long now = System.currentTimeMillis();
    StandingMeter.Action action = standing.judge(now, node.raft().isLeader());
    side.standing(standing.standing());
    if (action == StandingMeter.Action.RESTART) {
      failedLog.restart();
    } else if (action == StandingMeter.Action.HAND_OVER) {
      admin.handLeadershipOn("it has " + standing.standing().freeBytes() + " bytes free, below storage.minFreeBytes",
          () -> { });
    }
  }
}
