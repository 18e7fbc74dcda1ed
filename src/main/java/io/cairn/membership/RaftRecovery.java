package io.cairn.membership;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.cairn.NodeContext;
import io.cairn.model.NodeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raft mode: gets the cluster a leader again when its Raft groups can no longer elect one.
 *
 * <p>Raft groups need a majority of their members. When a majority of the CP members is lost at once (two of three
 * SIGKILLed), the survivors cannot commit anything, not even the removal of the dead members, so the groups stay
 * leaderless for ever, whatever comes back: the restarted processes are new members. Hazelcast can also leave a
 * group stuck in a membership change when a member leaves while the groups are still being created. Either way its
 * documented remedy is an operator's CP subsystem reset; this class does it instead, once it is safe to: the whole
 * cluster is up ({@code cluster.raft.members} members or more, so the new groups get their full size), this side has
 * quorum (a minority never resets), the CP subsystem has formed, and yet for {@code cluster.raft.resetAfter} no live
 * member has been the log's leader, or the Raft groups have not answered or stayed below their full size (a leader
 * that survived the loss of the majority goes on leading on its old lock, but the groups could not elect its
 * successor). Only Hazelcast's master (its oldest member) may reset, so one node decides.
 *
 * <p>A reset destroys the old groups and the leader lock in them; the new groups' fences count from 1 again, which is
 * why a term carries its group's seed ({@link LeaderLock#term}): the next leader's term is larger than every term
 * recorded before the reset, so Apply accepts it and a leader of the old groups (on a side cut off) is never
 * accepted again.
 */
final class RaftRecovery {
  private static final Logger log = LoggerFactory.getLogger(RaftRecovery.class);

  private final NodeContext node;
  private final HazelcastInstance hz;
  private long stuckSince;
  private boolean resetting;

  RaftRecovery(NodeContext node, HazelcastInstance hz) {
    this.node = node;
    this.hz = hz;
  }

  /** Called by the membership verticle on every look at the cluster, on its event loop. */
  void evaluate(long now) {
    long resetAfter = node.config().raftResetAfterMillis();
    if (!node.config().raftEnabled() || resetAfter <= 0 || resetting || !mayReset()
        || hasLiveLeader() && groupsWhole()) {
      stuckSince = 0;
      return;
    }
    if (stuckSince == 0) {
      stuckSince = now;
      return;
    }
    if (now - stuckSince < resetAfter) {
      return;
    }
    resetting = true;
    log.warn("{} for {} ms although all {} members are up: resetting the CP subsystem",
        !hasLiveLeader() ? "No leader" : node.raftGroupMembers() == 0 ? "Raft groups not answering"
            : "Raft groups stuck at " + node.raftGroupMembers() + " members", now - stuckSince,
        hz.getCluster().getMembers().size());
    hz.getCPSubsystem().getCPSubsystemManagementService().reset().whenComplete((v, err) -> {
      if (err != null) {
        log.warn("CP subsystem reset failed: {}", err.toString());
      } else {
        log.info("CP subsystem reset: new Raft groups form and elect a leader");
      }
      // Counting starts again either way: the new groups get a whole resetAfter to elect.
      resetting = false;
      stuckSince = 0;
    });
  }

  /** Enough members on a side with quorum, caught up, on the member Hazelcast lets reset, after CP discovery. */
  private boolean mayReset() {
    java.util.Set<Member> members = hz.getCluster().getMembers();
    return node.ready() && node.quorate() && !node.leaving()
        && members.size() >= node.config().raftMembers()
        && members.iterator().next().localMember()
        && hz.getCPSubsystem().getCPSubsystemManagementService().isDiscoveryCompleted();
  }

  /**
   * Every Raft group answers and has its full size. With every member up, a group stays smaller only while a
   * replacement is being added, a few seconds; Hazelcast 5.3 can leave that change unfinished for good when the
   * group's leadership moves to the member being added ("Cannot apply CP membership changes ... since there is no
   * membership change context"), and the next loss of a member would then leave the group without a majority.
   */
  private boolean groupsWhole() {
    return node.raftGroupMembers() >= node.config().raftMembers();
  }

  /** The log names a leader whose incarnation is a member now. */
  private boolean hasLiveLeader() {
    String leader = node.replica().leader();
    NodeInfo info = leader == null ? null : node.replica().node(leader);
    return info != null && node.liveMembers().contains(info.memberId());
  }
}
