package io.cairn.replication;

import com.hazelcast.core.HazelcastInstance;
import io.cairn.config.CairnConfig;
import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.node.Addresses;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.RaftStatus;
import io.cairn.node.bus.Append;
import io.cairn.node.bus.Applied;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Owns this node's Raft server (Apache Ratis) and, through {@link RegistryStateMachine}, its replica.
 *
 * <p>The Raft log is the registry log: every write is a command proposed by {@link Proposals} and answered once
 * committed and applied here. Ratis applies committed entries on a thread of its own; what each apply decided comes
 * back here as notices, drained on this verticle's event loop: callers answered, the batch handed to this node's
 * watchers ({@link Addresses#APPLIED}), and, on the node the log names leader, the events published on
 * {@link Addresses#EVENTS}.
 *
 * <p>Membership of the group is {@link RaftMembership}'s: forming it, joining it, and (on the leader) learners,
 * promotions and dead voters. Every 250 ms this verticle measures the node's part in the group ({@link RaftStatus}),
 * decides readiness, and on a leader that has not yet recorded its term, proposes {@code leaderElected}.
 */
public class ReplicationVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
  private static final long STATUS_EVERY_MILLIS = 250;
  private static final long MEMBERSHIP_EVERY_MILLIS = 1000;
  private static final long UNREADY_WARNING_MILLIS = 30_000;
  private static final DeliveryOptions LOCAL_ONLY = new DeliveryOptions().setLocalOnly(true);

  private final CairnConfig cfg;
  private final NodeState.ReplicationSide side;
  private final NodeState node;
  private final Replica replica;
  private final NodeStats stats;
  private final CommandLog commandLog;
  /** The client id of this node's own administrative requests (group changes, snapshots, reads, transfers). */
  private final ClientId clientId = ClientId.randomId();
  private HazelcastInstance hz;
  private PeerDirectory directory;
  private RaftGroupId groupId;
  private RaftPeerId self;
  private RaftServer server;
  private RaftServer.Division division;
  /** The state machine of this node's current division (a new one each time Ratis creates the division). */
  private volatile RegistryStateMachine stateMachine;
  private Proposals proposals;
  private LeaderLink link;
  private StandingMeter standing;
  private RaftMembership membership;
  private SilentFollowers silentFollowers;
  private final EventHistory history;
  private boolean stopped;
  private boolean joining;
  private boolean restarting;
  private boolean recordingElection;
  private long snapshotRequestedAt;
  /** Written by the snapshot writer's thread once a snapshot is on disk, read on this loop. */
  private volatile long lastSnapshotAt = System.currentTimeMillis();
  /** When this node first saw a leader since it started (0: not yet); readiness waits a moment after it. */
  private long leaderSeenAt;
  private long divisionSince;
  /** Since when this node's division has applied entries but holds no configuration (0: it holds one). */
  private long configurationLostSince;
  /** When this node last said why it is not ready yet (a node that stays unready must tell its operator why). */
  private long unreadyToldAt;

  /** What Ratis' thread reports, drained on this loop in order. */
  private final Queue<Object> notices = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();

  private record AppliedNotice(long revision, long[] requestIds, Outcome[] outcomes) {
  }

  private record ResetNotice(long revision) {
  }

  private static final Object LEADER_READY = new Object();

  private record LeaderNotice(RaftPeerId leader) {
  }

  private record LogFailedNotice(Throwable cause) {
  }

  // event publishing (the node the log names leader publishes each revision's events once, in order)
  private boolean leaderPublishing;
  private final List<Event> outgoing = new ArrayList<>();
  private final List<Event> applied = new ArrayList<>();
  private long lastPublishedRevision;
  private boolean cursorWriteScheduled;
  /** The highest revision a leader said it published, as the leaders tell every node (0: none heard yet). */
  private long publishedCursor;

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
    hz = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    side.memberId(((VertxInternal) vertx).clusterManager().getNodeId());
    directory = new PeerDirectory(vertx, cfg, side, hz);
    groupId = RaftSetup.groupId(cfg);
    self = RaftSetup.peerId(node.nodeId());
    standing = new StandingMeter(cfg, replica);
    proposals = new Proposals(cfg, node, replica, stats, context, standing);
    vertx.deployVerticle(new EventPublisherVerticle());
    vertx.eventBus().<Append.Request>localConsumer(Addresses.APPEND, proposals::submit);
    // Watchers need a replica state that belongs to one revision: taken between two applies, and shared by every
    // watcher that asks before the next apply (a thousand connecting at once copy the registry once).
    vertx.eventBus().localConsumer(Addresses.REPLICA_SNAPSHOT, msg -> {
      // Before this node has a division nothing is applied: the replica may be read as it is.
      RegistryStateMachine current = stateMachine;
      msg.reply(current != null ? current.snapshotForWatchers() : replica.snapshot());
    });
    vertx.eventBus().<Object>localConsumer(Addresses.READ_INDEX, this::readIndex);
    vertx.eventBus().<Object>localConsumer(Addresses.STEP_DOWN, this::stepDown);
    // Over the event bus, which under security.cluster.* only nodes with the cluster's certificate reach: a cursor
    // kept in a Hazelcast map could be moved by any process on the member port.
    // Never past what this node applied: a cursor too far would leave a gap, one too short only repeats events.
    vertx.eventBus().<Long>consumer(Addresses.EVENTS_PUBLISHED, msg -> {
      publishedCursor = Math.max(publishedCursor, Math.min(msg.body(), replica.revision()));
      standing.announced(msg.body(), System.currentTimeMillis());
    });
    directory.start();
    vertx.<Void>executeBlocking(() -> {
      // Without a group: Ratis recovers every group it finds in its storage; a new node gets one from RaftMembership.
      server = RaftServer.newBuilder()
          .setServerId(self)
          .setStateMachineRegistry(gid -> newStateMachine())
          .setProperties(RaftSetup.serverProperties(cfg))
          .setParameters(RaftSetup.parameters(cfg))
          .setOption(RaftStorage.StartupOption.RECOVER)
          .build();
      server.start();
      return null;
    }).onSuccess(v -> {
      link = new LeaderLink(context, cfg, server, groupId, self);
      proposals.link(link);
      membership = new RaftMembership(vertx, context, cfg, side, hz, directory, server, groupId, clientId);
      silentFollowers = new SilentFollowers(server, RaftSetup.requestTimeoutMillis(cfg));
      findDivision();
      if (division == null) {
        log.info("Node {} has no Raft storage yet: it forms the group once {} nodes without one see each other, or "
            + "joins the running group", node.nodeId(), cfg.raft().bootstrapExpect());
      }
      vertx.setPeriodic(STATUS_EVERY_MILLIS, id -> refreshStatus());
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
      if (server != null) {
        server.close();
      }
      return null;
    }).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("Closing the Raft server: {}", ar.cause().toString());
      }
      done.complete();
    });
  }

  /**
   * Called by Ratis whenever it creates this node's division: at start, on joining, and when a closed one is
   * restarted. A restarted division carries on from what the replica has applied (its log holds everything up to
   * there), so the replica never goes back to a snapshot while the node serves it.
   */
  private RegistryStateMachine newStateMachine() {
    RegistryStateMachine previous = stateMachine;
    stateMachine = new RegistryStateMachine(replica, history, node.nodeId(), proposals::proposed,
        new Notices(), standing::leaderRefusal, previous == null ? null : previous.getLastAppliedTermIndex());
    return stateMachine;
  }

  // ---------------------------------------------------------------- the group

  private void findDivision() {
    if (division == null) {
      try {
        division = server.getDivision(groupId);
        divisionSince = System.currentTimeMillis();
      } catch (java.io.IOException notYet) {
        // this node does not belong to the group yet
      }
    }
  }

  /**
   * Restarts this node's division from its own storage, when Ratis has left it in a state it does not leave by
   * itself (see the callers); the log on disk holds the group's configuration, which a fresh division reads.
   */
  private void restartDivision(String why) {
    if (restarting || stopped) {
      return;
    }
    restarting = true;
    log.warn("Node {}: {}; restarting its part of the Raft group from its storage", node.nodeId(), why);
    vertx.<Void>executeBlocking(() -> {
      try {
        server.groupManagement(GroupManagementRequest.newRemove(clientId, self, CallId.getAndIncrement(), groupId,
            false, false));
      } catch (GroupMismatchException removedAlready) {
        // A previous attempt removed it and then could not add it back (Ratis still held the closing division):
        // adding is what is left to do, or the node would stay without its part of the group for good.
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
        log.warn("Node {} could not restart its part of the Raft group: {}", node.nodeId(), ar.cause().toString());
        return;
      }
      division = null;
      findDivision();
      standing.restarted();
      log.info("Node {} restarted its part of the Raft group", node.nodeId());
    });
  }

  private void membershipTick() {
    if (stopped) {
      return;
    }
    findDivision();
    membership.publish(division != null, node.raft().appliedIndex());
    if (division == null) {
      join();
      return;
    }
    if (node.raft().isLeader()) {
      membership.tend(division);
    }
    if (leaderPublishing && lastPublishedRevision > 0) {
      // Also while idle, so that a node that joined since knows the cursor should it lead next.
      vertx.eventBus().publish(Addresses.EVENTS_PUBLISHED, lastPublishedRevision);
    }
    maybeSnapshot();
    judgeStanding();
  }

  /** Once a second: this node's standing, and what it calls for (see {@link StandingMeter#judge}). */
  private void judgeStanding() {
    long now = System.currentTimeMillis();
    StandingMeter.Action action = standing.judge(now, node.raft().isLeader());
    side.standing(standing.standing());
    if (action == StandingMeter.Action.RESTART) {
      restartDivision("its Raft log could not be written (" + standing.standing().logFailure() + ") and "
          + standing.standing().freeBytes() + " bytes are free now");
    } else if (action == StandingMeter.Action.HAND_OVER) {
      handLeadershipOn("it has " + standing.standing().freeBytes() + " bytes free, below storage.minFreeBytes",
          () -> { });
    }
  }

  /** Creates the group here when RaftMembership says so (formed with the first voters, or empty for a joiner). */
  private void join() {
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
      findDivision();
    });
  }

  /** Measures this node's part in the group; decides readiness; a fresh leader records its term. */
  private void refreshStatus() {
    if (stopped || division == null) {
      return;
    }
    if (!division.getInfo().isAlive()) {
      // Ratis closes a division that stood for election outside the configuration: a voter removed while it was
      // down keeps its old role when it comes back, even after the log made it a learner, and closes at the next
      // election. Restarted, it reads the configuration that names it a learner, and follows the new leader.
      restartDivision("Ratis closed its part of the Raft group (" + division.getInfo().getLifeCycleState() + ")");
      return;
    }
    try {
      measure();
    } catch (IllegalStateException | NullPointerException starting) {
      // The division was just created and is still initializing its log (or is closing): measure next time. Until
      // its start has set its first role, Ratis' role info even fails with a NullPointerException.
      tellWhyUnready(System.currentTimeMillis(), "its Raft division is not measurable (" + starting + ")");
    }
  }

  private void measure() {
    org.apache.ratis.server.DivisionInfo info = division.getInfo();
    RaftConfiguration conf = division.getRaftConf();
    List<String> voters = conf.getCurrentPeers(RaftPeerRole.FOLLOWER).stream().map(p -> p.getId().toString()).toList();
    List<String> learners = conf.getCurrentPeers(RaftPeerRole.LISTENER).stream().map(p -> p.getId().toString()).toList();
    String me = node.nodeId();
    RaftPeerId leaderId = info.getLeaderId();
    // No voter: the configuration a joining node starts with, until the leader's log brings the real one.
    String role = info.isLeader() ? "leader" : voters.isEmpty() || !voters.contains(me) && !learners.contains(me)
        ? "joining" : learners.contains(me) ? "learner" : info.isCandidate() ? "candidate" : "follower";
    long term = info.getCurrentTerm();
    RoleInfoProto roleInfo = info.getRoleInfoProto();
    long now = System.currentTimeMillis();
    if (lostConfiguration(voters, learners, info, now)) {
      return;
    }
    RaftStatus status = new RaftStatus(role, leaderId == null ? null : leaderId.toString(), term,
        division.getRaftLog().getLastCommittedIndex(), info.getLastAppliedIndex(),
        quorate(roleInfo, role, voters, leaderId), voters, learners);
    if (status.isLeader()) {
      silentFollowers.check(roleInfo, now);
    }
    side.raft(status);
    link.peers(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
    link.leader(leaderId);
    if (leaderId != null && leaderSeenAt == 0) {
      leaderSeenAt = now;
    }
    checkReady(status, now);
    if (status.isLeader() && info.isLeaderReady() && node.ready()
        && (!me.equals(replica.leader()) || replica.term() < term)) {
      recordLeadership(term);
    }
  }

  /**
   * A division that has applied entries always has a configuration: the log starts with the first leader's. Ratis
   * 3.2.2 loses it when a follower's log conflicts with its new leader's at a configuration entry (a leader killed
   * before its first entry reached anyone, back as a follower): the follower takes the leader's configuration, then
   * truncates its own conflicting entry at the same index, and the truncation removes the configuration just taken.
   * The follower then serves as "joining" for good (it does not vote, and never gets ready). Its log on disk is
   * right, so a restarted division reads the configuration from it. Checked for a moment first, as an append
   * replaces configurations in two steps.
   */
  private boolean lostConfiguration(List<String> voters, List<String> learners,
                                    org.apache.ratis.server.DivisionInfo info, long now) {
    boolean lost = voters.isEmpty() && learners.isEmpty() && info.getLastAppliedIndex() >= 0
        && info.getLifeCycleState() == org.apache.ratis.util.LifeCycle.State.RUNNING;
    if (!lost) {
      configurationLostSince = 0;
      return false;
    }
    if (configurationLostSince == 0) {
      configurationLostSince = now;
    } else if (now - configurationLostSince >= 2 * cfg.raft().electionTimeoutMillis()) {
      configurationLostSince = 0;
      restartDivision("Ratis lost the group's configuration after truncating a conflicting entry (applied up to "
          + info.getLastAppliedIndex() + ", no voter or learner left)");
      return true;
    }
    return false;
  }

  /**
   * In touch with a leader that is in touch with a majority. A leader counts the voters it heard from within two
   * election timeouts; a follower, how recently its leader spoke; a learner (which Ratis gives no such clock) trusts
   * a leader that Hazelcast still lists.
   */
  private boolean quorate(RoleInfoProto roleInfo, String role, List<String> voters, RaftPeerId leaderId) {
    long fresh = 2 * cfg.raft().electionTimeoutMillis();
    switch (role) {
      case "leader": {
        long heard = 1;
        for (ServerRpcProto f : roleInfo.getLeaderInfo().getFollowerInfoList()) {
          String id = f.getId().getId().toStringUtf8();
          if (voters.contains(id) && f.getLastRpcElapsedTimeMs() <= fresh) {
            heard++;
          }
        }
        return heard > voters.size() / 2;
      }
      case "follower":
        return leaderId != null && roleInfo.hasFollowerInfo()
            && roleInfo.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs() <= fresh;
      case "learner": {
        io.cairn.model.NodeInfo leader = leaderId == null ? null : replica.node(leaderId.toString());
        return leader != null && node.liveMembers().contains(leader.memberId());
      }
      default:
        return false;
    }
  }

  /**
   * Ready once this node belongs to the group and has applied everything it knows to be committed, a moment after
   * it first heard from a leader (whose commit index it learns then). A node that finds no leader (the rest of its
   * cluster is down) gets ready after a few election timeouts anyway, and serves its replica marked stale.
   */
  private void checkReady(RaftStatus status, long now) {
    if (node.ready()) {
      return;
    }
    boolean heardLeader = leaderSeenAt > 0 && now - leaderSeenAt >= STATUS_EVERY_MILLIS;
    boolean waitedForLeader = now - divisionSince >= 5 * cfg.raft().electionTimeoutMillis();
    if (status.role().equals("joining") || status.appliedIndex() < status.commitIndex()
        || !(heardLeader || waitedForLeader)) {
      tellWhyUnready(now, status.role() + " (Ratis " + division.getInfo().getLifeCycleState() + ", voters "
          + status.voters() + ", learners " + status.learners() + "), leader " + status.leader() + ", term "
          + status.term() + ", applied " + status.appliedIndex() + " of " + status.commitIndex() + " committed");
      return;
    }
    side.ready();
    log.info("Node {} is ready: {} {} at revision {} (leader {}, term {})", node.nodeId(), status.role(),
        status.membership(), replica.revision(), status.leader(), status.term());
    if (node.isLeader()) {
      startPublishing(replica.revision() + 1);
    }
  }

  /** Every half minute a node spends in its group without getting ready, it logs where it stands. */
  private void tellWhyUnready(long now, String where) {
    if (node.ready() || now - divisionSince < UNREADY_WARNING_MILLIS || now - unreadyToldAt < UNREADY_WARNING_MILLIS) {
      return;
    }
    unreadyToldAt = now;
    log.warn("Node {} is not ready after {} s in the Raft group: {}", node.nodeId(), (now - divisionSince) / 1000,
        where);
  }

  private void recordLeadership(long term) {
    if (recordingElection) {
      return;
    }
    recordingElection = true;
    commandLog.append(Command.leaderElected(node.nodeId(), 0, System.currentTimeMillis(), term)).onComplete(ar -> {
      recordingElection = false;
      if (ar.succeeded() && ar.result().status().accepted()) {
        log.info("Node {} is the leader, term {}", node.nodeId(), term);
      }
    });
  }

  /** Every snapshot.interval, when something was applied since the last one (Ratis snapshots by count itself). */
  private void maybeSnapshot() {
    long now = System.currentTimeMillis();
    if (!node.ready() || now - lastSnapshotAt < cfg.snapshot().intervalMillis()
        || now - snapshotRequestedAt < cfg.snapshot().intervalMillis()) {
      return;
    }
    var latest = stateMachine.getLatestSnapshot();
    if (latest != null && latest.getIndex() >= node.raft().appliedIndex()) {
      return;
    }
    snapshotRequestedAt = now;
    SnapshotManagementRequest create = SnapshotManagementRequest.newCreate(clientId, self, groupId,
        CallId.getAndIncrement(), 60_000);
    RaftCalls.call(() -> server.snapshotManagementAsync(create));
  }

  // ---------------------------------------------------------------- reads and leaving

  /**
   * A linearizable read: Ratis' ReadIndex (the leader confirms it still leads and names its commit index), then this
   * node waits until it has applied that index. Answers once the local replica may be read; fails without a
   * reachable leader.
   */
  private void readIndex(Message<Object> msg) {
    if (division == null) {
      msg.fail(503, "this node is not in the Raft group yet");
      return;
    }
    RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(self)
        .setGroupId(groupId).setCallId(CallId.getAndIncrement())
        .setMessage(org.apache.ratis.protocol.Message.EMPTY).setType(RaftClientRequest.readRequestType())
        .setTimeoutMs(5000).build();
    Future.fromCompletionStage(RaftCalls.call(() -> server.submitClientRequestAsync(request)), context)
        .timeout(6, java.util.concurrent.TimeUnit.SECONDS)
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result().isSuccess()) {
            msg.reply(ar.result().getLogIndex());
          } else {
            msg.fail(503, ar.failed() ? ar.cause().toString() : String.valueOf(ar.result().getException()));
          }
        });
  }

  /** Leaving: a leader hands leadership to another live voter first, so that the cluster need not wait to elect. */
  private void stepDown(Message<Object> msg) {
    handLeadershipOn("it is leaving", () -> msg.reply(null));
  }

  /** A leader hands leadership to another live voter, if there is one; then {@code done}. */
  private void handLeadershipOn(String why, Runnable done) {
    RaftStatus raft = node.raft();
    if (division == null || !raft.isLeader()) {
      done.run();
      return;
    }
    String target = raft.voters().stream().filter(v -> !v.equals(node.nodeId())).filter(v -> {
      io.cairn.model.NodeInfo n = replica.node(v);
      return n != null && node.liveMembers().contains(n.memberId());
    }).findFirst().orElse(null);
    if (target == null) {
      done.run();
      return;
    }
    TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, self, groupId,
        CallId.getAndIncrement(), RaftPeerId.valueOf(target), 3000);
    Future.fromCompletionStage(RaftCalls.call(() -> server.transferLeadershipAsync(request)), context).onComplete(ar -> {
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
   * Ratis could not write the log (a full disk): it writes nothing more until the division is restarted, so the
   * node is not current from now on. A leader steps down at once by restarting (its peers elect another); a
   * follower waits for space ({@link #judgeStanding}).
   */
  private void logFailed(Throwable cause) {
    boolean first = standing.logFailed(cause, System.currentTimeMillis());
    standing.measure(System.currentTimeMillis());
    side.standing(standing.standing());
    if (first) {
      log.error("Node {} could not write its Raft log: {}", node.nodeId(), standing.standing().logFailure());
    }
    if (node.raft().isLeader()) {
      restartDivision("it leads but cannot write its Raft log (" + cause + ")");
    }
  }

  // ---------------------------------------------------------------- what Ratis applied

  /** Ratis' thread hands over here; the loop drains in order. */
  private final class Notices implements RegistryStateMachine.Listener {
    @Override
    public void applied(long revision, long[] requestIds, Outcome[] outcomes) {
      offer(new AppliedNotice(revision, requestIds, outcomes));
    }

    @Override
    public void reset(long revision) {
      offer(new ResetNotice(revision));
    }

    @Override
    public void leaderReady() {
      offer(LEADER_READY);
    }

    @Override
    public void leaderChanged(RaftPeerId leader) {
      offer(new LeaderNotice(leader));
    }

    @Override
    public void logFailed(Throwable cause) {
      offer(new LogFailedNotice(cause));
    }

    @Override
    public void snapshotTaken(long revision) {
      lastSnapshotAt = System.currentTimeMillis();
      side.diskSnapshot(revision, lastSnapshotAt);
      stats.snapshotWritten();
    }
  }

  private void offer(Object notice) {
    notices.add(notice);
    if (drainScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    drainScheduled.set(false);
    long revision = -1;
    for (Object n; (n = notices.poll()) != null; ) {
      if (n instanceof AppliedNotice a) {
        onApplied(a);
        revision = a.revision();
      } else if (n instanceof ResetNotice) {
        flushApplied(revision);
        revision = -1;
        proposals.reset();
        stats.snapshotLoaded();
        vertx.eventBus().publish(Addresses.APPLIED, Applied.RESET, LOCAL_ONLY);
      } else if (n instanceof LeaderNotice l) {
        if (link != null) {
          // (Ratis may name a leader while its server is still starting, before the link exists: measure() tells
          // the link the leader from then on.)
          link.leader(l.leader());
        }
      } else if (n instanceof LogFailedNotice f) {
        logFailed(f.cause());
      } else if (n == LEADER_READY) {
        refreshStatus();
      }
    }
    flushApplied(revision);
    flushOutgoing();
    afterBatch();
  }

  private void onApplied(AppliedNotice a) {
    for (int i = 0; i < a.outcomes().length; i++) {
      Outcome outcome = a.outcomes()[i];
      stats.commandApplied();
      for (Event e : outcome.events()) {
        if (e.type() == Event.Type.SERVICE_REGISTERED) {
          stats.registrationApplied();
        } else if (e.type() == Event.Type.SERVICE_DEREGISTERED) {
          stats.deregistrationApplied();
        }
        if (e.type() == Event.Type.LEADER_ELECTED) {
          stats.leaderElectionApplied();
          leadershipMoved(node.nodeId().equals(e.leader()), a.revision());
        } else if ((e.type() == Event.Type.NODE_LEFT || e.type() == Event.Type.NODE_FAILED)
            && node.nodeId().equals(e.node().id())) {
          leadershipMoved(false, a.revision());
        }
      }
      applied.addAll(outcome.events());
      if (leaderPublishing) {
        outcome.events().forEach(this::send);
      }
      if (a.requestIds()[i] >= 0) {
        proposals.applied(a.requestIds()[i], outcome);
      }
    }
  }

  private void flushApplied(long revision) {
    if (!applied.isEmpty()) {
      vertx.eventBus().publish(Addresses.APPLIED, new Applied(List.copyOf(applied), revision), LOCAL_ONLY);
      applied.clear();
    }
  }

  // ---------------------------------------------------------------- events

  private void leadershipMoved(boolean toMe, long revision) {
    if (toMe && !leaderPublishing && node.ready()) {
      startPublishing(revision);
    } else if (!toMe && leaderPublishing) {
      leaderPublishing = false;
    }
  }

  /**
   * This node leads from {@code revision} on: publish, in order, the events the previous publisher had not
   * published (from the cursor it told every node), then carry on live.
   */
  private void startPublishing(long revision) {
    leaderPublishing = true;
    for (Event e : history.between(publishedCursor, revision - 1)) {
      send(e);
    }
    flushOutgoing();
  }


  private void send(Event e) {
    outgoing.add(e);
    lastPublishedRevision = e.revision();
    stats.eventPublished();
  }

  /** Hands the events decided so far to the publisher, in one message, in order. */
  private void flushOutgoing() {
    if (!outgoing.isEmpty()) {
      vertx.eventBus().send(EventPublisherVerticle.ADDRESS, new EventPublisherVerticle.Batch(List.copyOf(outgoing)),
          LOCAL_ONLY);
      outgoing.clear();
    }
  }

  /** The publishing leader tells every node how far it published, at most every 50 ms. */
  private void afterBatch() {
    if (leaderPublishing && !cursorWriteScheduled && lastPublishedRevision > 0) {
      cursorWriteScheduled = true;
      vertx.setTimer(50, id -> {
        cursorWriteScheduled = false;
        vertx.eventBus().publish(Addresses.EVENTS_PUBLISHED, lastPublishedRevision);
      });
    }
  }
}
