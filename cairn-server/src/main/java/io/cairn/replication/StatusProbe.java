package io.cairn.replication;

import io.cairn.config.CairnConfig;
import io.cairn.model.Command;
import io.cairn.model.NodeInfo;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.node.RaftStatus;
import io.cairn.registry.Replica;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Measures this node's part in the Raft group ({@link RaftStatus}: role, leader, term, committed and applied index,
 * in touch with a quorum or not), every {@link #EVERY_MILLIS} and whenever this node's leadership becomes ready;
 * decides when the node is ready, says why while it is not, and has a leader that has not yet recorded its term
 * record it in the log ({@code leaderElected}, through the {@link CommandLog}).
 *
 * <p>Why a poll: readiness and quorum are matters of time as much as of Ratis' state (a moment after a leader was
 * heard, a few election timeouts without one, how recently followers answered), and Ratis reports none of them as it
 * happens. Measuring is also where a division stuck in a state Ratis does not leave is noticed
 * ({@link ClosedDivision}, {@link LostConfiguration}), and where the leader looks after its silent followers
 * ({@link SilentFollowers}). Runs on the replication verticle's loop.
 */
final class StatusProbe {
  /** How often the node's part in the group is measured. */
  static final long EVERY_MILLIS = 250;
  private static final long UNREADY_WARNING_MILLIS = 30_000;
  /** Its lines keep the logger they always had: operators select them by it. */
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);

  private final CairnConfig cfg;
  private final NodeState.ReplicationSide side;
  private final NodeState node;
  private final Replica replica;
  private final CommandLog commandLog;
  private final DivisionKeeper keeper;
  private final ClosedDivision closedDivision;
  private final LostConfiguration lostConfiguration;
  private final SilentFollowers silentFollowers;
  private final LeaderLink link;
  private final LeaderPublisher publisher;
  private final BooleanSupplier stopped;
  private boolean recordingElection;
  /** When this node first saw a leader since it started (0: not yet); readiness waits a moment after it. */
  private long leaderSeenAt;
  /** When this node last said why it is not ready yet (a node that stays unready must tell its operator why). */
  private long unreadyToldAt;

  /** @param stopped whether the node is stopping: nothing is measured then */
  StatusProbe(CairnConfig cfg, NodeState.ReplicationSide side, Replica replica, CommandLog commandLog,
              DivisionKeeper keeper, SilentFollowers silentFollowers, LeaderLink link, LeaderPublisher publisher,
              BooleanSupplier stopped) {
    this.cfg = cfg;
    this.side = side;
    this.node = side.state();
    this.replica = replica;
    this.commandLog = commandLog;
    this.keeper = keeper;
    this.closedDivision = new ClosedDivision(keeper);
    this.lostConfiguration = new LostConfiguration(cfg, keeper);
    this.silentFollowers = silentFollowers;
    this.link = link;
    this.publisher = publisher;
    this.stopped = stopped;
  }

  /** Measures this node's part in the group; decides readiness; a fresh leader records its term. */
  void refresh() {
    RaftServer.Division division = keeper.division();
    if (stopped.getAsBoolean() || division == null) {
      return;
    }
    if (closedDivision.restartIfClosed(division)) {
      return;
    }
    try {
      measure(division);
    } catch (IllegalStateException | NullPointerException starting) {
      // The division was just created and is still initializing its log (or is closing): measure next time. Until
      // its start has set its first role, Ratis' role info even fails with a NullPointerException.
      tellWhyUnready(System.currentTimeMillis(), "its Raft division is not measurable (" + starting + ")");
    }
  }

  private void measure(RaftServer.Division division) {
    DivisionInfo info = division.getInfo();
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
    if (lostConfiguration.restartIfLost(voters, learners, info, now)) {
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
    // Leading, and the first entry of its term committed: the commit index is this node's own to know.
    boolean leadsReady = status.isLeader() && info.isLeaderReady();
    checkReady(division, status, leadsReady, now);
    if (leadsReady && node.ready() && (!me.equals(replica.leader()) || replica.term() < term)) {
      recordLeadership(term);
    }
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
        NodeInfo leader = leaderId == null ? null : replica.node(leaderId.toString());
        return leader != null && node.liveMembers().contains(leader.memberId());
      }
      default:
        return false;
    }
  }

  /**
   * Ready once this node belongs to the group and has applied everything it knows to be committed, a moment after
   * it first heard from a leader (whose commit index it learns then), or as soon as it leads and its term's first
   * entry committed (the commit index is then its own to know). A node that finds no leader (the rest of its
   * cluster is down) gets ready after a few election timeouts anyway, and serves its replica marked stale. A leader
   * starts publishing events as it gets ready.
   */
  private void checkReady(RaftServer.Division division, RaftStatus status, boolean leadsReady, long now) {
    if (node.ready()) {
      return;
    }
    boolean heardLeader = leaderSeenAt > 0 && now - leaderSeenAt >= EVERY_MILLIS || leadsReady;
    boolean waitedForLeader = now - keeper.since() >= 5 * cfg.raft().electionTimeoutMillis();
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
      publisher.start(replica.revision() + 1);
    }
  }

  /** Every half minute a node spends in its group without getting ready, it logs where it stands. */
  private void tellWhyUnready(long now, String where) {
    long inGroup = now - keeper.since();
    if (node.ready() || inGroup < UNREADY_WARNING_MILLIS || now - unreadyToldAt < UNREADY_WARNING_MILLIS) {
      return;
    }
    unreadyToldAt = now;
    log.warn("Node {} is not ready after {} s in the Raft group: {}", node.nodeId(), inGroup / 1000, where);
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
}
