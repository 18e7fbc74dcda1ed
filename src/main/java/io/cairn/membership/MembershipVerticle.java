package io.cairn.membership;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.CPGroup;
import com.hazelcast.cp.CPSubsystemManagementService;
import com.hazelcast.cp.session.CPSession;
import com.hazelcast.cp.internal.session.RaftSessionService;
import com.hazelcast.cp.session.CPSessionManagementService;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import io.cairn.Addresses;
import io.cairn.NodeContext;
import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.cairn.model.Command;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.registry.Outcome;
import io.cairn.replication.Append;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Who is in the cluster and who leads it.
 *
 * <p>Membership: the node keeps its record in {@code cairn.nodes} and makes sure the log knows it as alive under
 * its current incarnation (its Vert.x node id): it appends {@code nodeJoined} once caught up, and again whenever
 * the replica says otherwise (after it merged back from a split, or was wrongly declared failed). It appends
 * {@code nodeLeft} when it stops gracefully. The leader appends {@code nodeFailed} for every incarnation the log
 * has as alive that Hazelcast no longer lists.
 *
 * <p>Leadership: the holder of the CP {@link LeaderLock} leads; its term (the lock's fence, see
 * {@link LeaderLock#term}) is recorded in the log with {@code leaderElected}, and {@code Apply} ignores housekeeping
 * from any other term. A crashed holder's CP session would keep the lock until it expires; as soon as Hazelcast
 * removes the crashed member, its sessions are closed here, so a waiting node takes the lock within a second
 * instead. Raft groups that can no longer elect are reset by {@link RaftRecovery}.
 */
public class MembershipVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(MembershipVerticle.class);
  private static final long EVALUATE_EVERY_MILLIS = 250;
  private static final long PROMOTE_EVERY_MILLIS = 2000;

  private final NodeContext node;
  private HazelcastInstance hz;
  private UUID listenerId;
  private NodeInfo self;
  private LeaderLock leaderLock;
  private RaftRecovery raftRecovery;
  private boolean measuringRaftGroups;
  private boolean announcing;
  private boolean recordingElection;
  private final Set<String> failuresPending = new HashSet<>();
  private boolean leaving;
  private boolean wasAlone;
  private long lastPromotionCheck;

  public MembershipVerticle(NodeContext node) {
    this.node = node;
  }

  @Override
  public void start(Promise<Void> started) {
    CairnConfig cfg = node.config();
    hz = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    Member local = hz.getCluster().getLocalMember();
    String grpc = cfg.advertisedHost() + ":" + cfg.grpcPort();
    self = NodeInfo.announce(node.nodeId(), cfg.nodeName(), node.memberId(), cfg.advertisedHost(), cfg.httpPort(),
        grpc, local.getAddress().getHost() + ":" + local.getAddress().getPort(), cfg.region(), cfg.zone(),
        CairnVersion.VERSION, cfg.nodeTags(), node.startedAt());
    listenerId = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        context.runOnContext(v -> evaluate());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        releaseLocksOf(event.getMember().getAddress(), System.currentTimeMillis());
        context.runOnContext(v -> evaluate());
      }
    });
    leaderLock = new LeaderLock(() -> hz.getCPSubsystem().getLock(ClusterSetup.LEADER_LOCK), node.nodeId(),
        term -> context.runOnContext(v -> lockAcquired(term)),
        () -> context.runOnContext(v -> lockLost()));
    leaderLock.start();
    raftRecovery = new RaftRecovery(node, hz);
    vertx.eventBus().<Object>localConsumer(Addresses.LEAVE, msg -> leave().onComplete(ar -> msg.reply(ar.succeeded())));
    reportIfAlone();
    vertx.setPeriodic(EVALUATE_EVERY_MILLIS, id -> evaluate());
    updateMembers();
    // A node without quorum (alone, in a cluster that needs more) still starts, and serves reads; it announces
    // itself once it can write.
    Future<?> first = node.ready() && node.quorate() ? announce() : Future.succeededFuture();
    first.<Void>mapEmpty().recover(err -> Future.succeededFuture()).onComplete(v -> {
      evaluate();
      started.complete();
    });
  }

  @Override
  public void stop() {
    if (leaderLock != null) {
      leaderLock.stop();
    }
    if (listenerId != null) {
      try {
        hz.getCluster().removeMembershipListener(listenerId);
      } catch (RuntimeException ignored) {
        // Hazelcast may already be shutting down.
      }
    }
  }

  // ---------------------------------------------------------------- the periodic look

  private void evaluate() {
    updateMembers();
    if (leaving) {
      return;
    }
    reportIfMerged();
    boolean ready = node.ready();
    // Only a caught-up node on a side with quorum competes: a leader must know the whole log and be able to write.
    leaderLock.compete(ready && node.quorate());
    if (!ready) {
      return;
    }
    ensureAnnounced();
    ensureLeadershipRecorded();
    if (node.actsAsLeader()) {
      reportFailures();
    }
    tendRaftMembership();
    raftRecovery.evaluate(System.currentTimeMillis());
  }

  private void updateMembers() {
    Set<Member> members = hz.getCluster().getMembers();
    Set<String> live = new HashSet<>();
    for (Member m : members) {
      String id = m.getAttribute(io.cairn.config.ClusterSetup.VERTX_NODE_ID);
      if (id != null) {
        live.add(id);
      }
    }
    node.liveMembers(live);
    node.quorate(members.size() >= node.config().quorum());
    if (node.config().raftEnabled()) {
      node.raftMember(hz.getCPSubsystem().getLocalCPMember() != null);
    }
  }

  // ---------------------------------------------------------------- membership

  /** The log must know this incarnation as alive; tell it again if it does not (merge, false failure). */
  private void ensureAnnounced() {
    NodeInfo known = node.replica().node(node.nodeId());
    if (known != null && known.alive() && known.memberId().equals(node.memberId())) {
      return;
    }
    if (!announcing && node.quorate()) {
      announce();
    }
  }

  private Future<Outcome> announce() {
    announcing = true;
    hz.getMap(ClusterSetup.NODES).setAsync(self.id(), ModelJson.toJson(self).encode());
    return append(Command.node(Command.Type.NODE_JOINED, node.nodeId(), 0, System.currentTimeMillis(), 0, self))
        .onComplete(ar -> announcing = false);
  }

  /** The leader records members that vanished without leaving: their incarnation is no longer in the cluster. */
  private void reportFailures() {
    Set<String> live = node.liveMembers();
    for (NodeInfo n : node.replica().nodes().values()) {
      if (n.alive() && !live.contains(n.memberId()) && failuresPending.add(n.memberId())) {
        log.warn("Node {} ({}) left the cluster without saying so; marking it failed", n.id(), n.clusterAddress());
        append(Command.node(Command.Type.NODE_FAILED, node.nodeId(), 0, System.currentTimeMillis(),
            node.replica().term(), n)).onComplete(ar -> {
              failuresPending.remove(n.memberId());
              if (ar.succeeded() && ar.result().status() == Outcome.Status.UPDATED) {
                hz.getMap(ClusterSetup.NODES).removeAsync(n.id());
              }
            });
      }
    }
  }

  /** Started apart from every member of cluster.join: say so once; Hazelcast looks for them every mergeInterval. */
  private void reportIfAlone() {
    CairnConfig cfg = node.config();
    String own = self.clusterAddress();
    List<String> others = cfg.clusterJoin().stream().filter(a -> !a.equals(own)).toList();
    if (hz.getCluster().getMembers().size() == 1 && !others.isEmpty()) {
      wasAlone = true;
      log.warn("No member of cluster.join {} answered: node {} runs alone and looks for them every {}s, merging into "
              + "their cluster when they appear{}", others, node.nodeId(), cfg.mergeIntervalMillis() / 1000,
          cfg.quorum() > 1 ? " (writes need " + cfg.quorum() + " members meanwhile)" : "");
    }
  }

  private void reportIfMerged() {
    if (wasAlone && hz.getCluster().getMembers().size() > 1) {
      wasAlone = false;
      log.info("Node {} found its cluster: {} members", node.nodeId(), hz.getCluster().getMembers().size());
    }
  }

  // ---------------------------------------------------------------- leadership

  private void lockAcquired(long term) {
    node.holdsLeaderLock(true);
    log.info("Node {} holds the leader lock (term {})", node.nodeId(), term);
    evaluate();
  }

  private void lockLost() {
    node.holdsLeaderLock(false);
    log.warn("Node {} lost the leader lock (its CP session was closed, or the CP subsystem was reset); it competes "
        + "again", node.nodeId());
  }

  /** Holding the lock: make sure the log names this node leader with the lock's term. */
  private void ensureLeadershipRecorded() {
    long term = leaderLock.term();
    if (term == 0 || recordingElection) {
      return;
    }
    if (node.isLeader() && node.replica().term() == term) {
      return;
    }
    if (term <= node.replica().term()) {
      // A larger term is already in the log: this hold is older than it (it can happen after a split in unsafe
      // mode). Take the lock again for a term that beats it.
      log.info("Leader lock term {} is not above the log's term {}; taking the lock again", term,
          node.replica().term());
      node.holdsLeaderLock(false);
      leaderLock.relock();
      return;
    }
    recordingElection = true;
    append(Command.leaderElected(node.nodeId(), 0, System.currentTimeMillis(), term)).onComplete(ar -> {
      recordingElection = false;
      if (ar.succeeded() && ar.result().status().accepted()) {
        log.info("Node {} is the leader, term {}", node.nodeId(), term);
      }
    });
  }

  /**
   * A member is gone: close its CP sessions now rather than when they expire, so that the lock it may hold is free.
   * Only sessions opened before it went are closed, never those of a process that since restarted on its address.
   */
  private void releaseLocksOf(Address address, long goneAt) {
    try {
      CPSessionManagementService sessions = sessionService();
      sessions.getAllSessions(CPGroup.DEFAULT_GROUP_NAME).whenComplete((all, err) -> {
        if (err != null) {
          log.debug("Could not list CP sessions: {}", err.toString());
          return;
        }
        for (CPSession s : all) {
          if (s.endpoint().equals(address) && s.creationTime() < goneAt) {
            sessions.forceCloseSession(CPGroup.DEFAULT_GROUP_NAME, s.id());
          }
        }
      });
    } catch (RuntimeException e) {
      log.debug("Could not close the CP sessions of {}: {}", address, e.toString());
    }
  }

  /**
   * The CP session service. In unsafe mode Hazelcast's public accessor refuses ("CP Subsystem is not enabled")
   * although the lock still runs on sessions, so it is taken from the member's services directly.
   */
  private CPSessionManagementService sessionService() {
    if (node.config().raftEnabled()) {
      return hz.getCPSubsystem().getCPSessionManagementService();
    }
    HazelcastInstanceImpl impl = hz instanceof HazelcastInstanceProxy proxy ? proxy.getOriginal()
        : (HazelcastInstanceImpl) hz;
    return impl.node.getNodeEngine().getService(RaftSessionService.SERVICE_NAME);
  }

  /**
   * Raft mode, every two seconds: measures the Raft groups (for /v1/status), and, when a member lost for good has
   * been removed (after raft.missingMemberRemoval), promotes this node if it is not a CP member, so the groups get
   * back to full strength without an operator.
   */
  private void tendRaftMembership() {
    long now = System.currentTimeMillis();
    if (!node.config().raftEnabled() || now - lastPromotionCheck < PROMOTE_EVERY_MILLIS) {
      return;
    }
    lastPromotionCheck = now;
    CPSubsystemManagementService cp = hz.getCPSubsystem().getCPSubsystemManagementService();
    if (!cp.isDiscoveryCompleted()) {
      return;
    }
    measureRaftGroups(cp);
    if (hz.getCPSubsystem().getLocalCPMember() != null) {
      return;
    }
    Address own = hz.getCluster().getLocalMember().getAddress();
    cp.getCPMembers().whenComplete((members, err) -> {
      // A CP member on this node's address is this process (its CP identity may not be set locally yet, right
      // after discovery) or its predecessor, not yet removed: promoting now would make Hazelcast swap that member
      // out in the middle of its own membership changes. Only a node with no CP member on its address promotes.
      boolean onOurAddress = err == null && members.stream().anyMatch(m -> own.equals(m.getAddress()));
      if (err == null && !onOurAddress && members.size() < node.config().raftMembers()) {
        cp.promoteToCPMember().whenComplete((v, e) -> {
          if (e == null) {
            log.info("Node {} joined the Raft group ({} CP members were left)", node.nodeId(), members.size());
          } else {
            log.warn("Node {} could not join the Raft group: {}", node.nodeId(), e.toString());
          }
        });
      }
    });
  }

  /**
   * The size of the smallest Raft group (the metadata group and the default one, which holds the leader lock). Right
   * after a member is replaced, a group is below raft.members until the new one has been added; losing another
   * member before then can leave a group without a majority.
   */
  private void measureRaftGroups(CPSubsystemManagementService cp) {
    if (measuringRaftGroups) {
      return;
    }
    // Groups without a majority never answer, and Hazelcast retries such queries for minutes: one at a time, and
    // a group that does not answer within the period counts as empty.
    measuringRaftGroups = true;
    cp.getCPGroup(CPGroup.METADATA_CP_GROUP_NAME).thenCombine(cp.getCPGroup(CPGroup.DEFAULT_GROUP_NAME),
        (metadata, leaderGroup) -> Math.min(metadata == null ? 0 : metadata.members().size(),
            leaderGroup == null ? 0 : leaderGroup.members().size()))
        .toCompletableFuture()
        .orTimeout(PROMOTE_EVERY_MILLIS, TimeUnit.MILLISECONDS)
        .whenComplete((smallest, err) -> {
          node.raftGroupMembers(err == null ? smallest : 0);
          context.runOnContext(v -> measuringRaftGroups = false);
        });
  }

  // ---------------------------------------------------------------- leaving

  /**
   * Graceful departure: stop taking writes, hand leadership over at once, let requests in flight finish (within
   * shutdown.gracePeriod), then record nodeLeft so that peers see a departure, not a failure.
   */
  private Future<Void> leave() {
    if (leaving) {
      return Future.succeededFuture();
    }
    leaving = true;
    node.leaving(true);
    long deadline = System.currentTimeMillis() + node.config().shutdownGracePeriodMillis();
    log.info("Node {} is leaving: no new writes, handing over leadership, finishing requests in flight",
        node.nodeId());
    Promise<Void> released = Promise.promise();
    leaderLock.stepDown().orTimeout(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)
        .whenComplete((v, err) -> context.runOnContext(x -> {
          node.holdsLeaderLock(false);
          released.complete();
        }));
    return released.future()
        .compose(v -> requestsFinished(deadline))
        .compose(v -> {
          hz.getMap(ClusterSetup.NODES).removeAsync(self.id());
          return append(Command.node(Command.Type.NODE_LEFT, node.nodeId(), 0, System.currentTimeMillis(), 0, self));
        })
        .mapEmpty();
  }

  /** Completes when no HTTP request is under way on this node (this one excepted), or at the deadline. */
  private Future<Void> requestsFinished(long deadline) {
    Promise<Void> done = Promise.promise();
    vertx.setPeriodic(0, 20, id -> {
      if (node.requestsInFlight.get() == 0 || System.currentTimeMillis() >= deadline) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future();
  }

  private Future<Outcome> append(Command command) {
    return vertx.eventBus().<Append.Reply>request(Addresses.APPEND, new Append.Request(List.of(command)),
            Append.options(node.config()))
        .map(reply -> reply.body().outcomes().get(0));
  }
}
