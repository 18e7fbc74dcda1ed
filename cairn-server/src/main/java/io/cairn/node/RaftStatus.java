package io.cairn.node;

import java.util.List;

/**
 * This node's view of the Raft group, refreshed a few times a second by the replication verticle, for status
 * pages, readiness and the decision to take writes.
 *
 * @param role        leader, follower, candidate, learner, or none (not in a group yet)
 * @param leader      the leader's node id as Ratis knows it, or null
 * @param quorate     this node is in touch with a leader that is in touch with a majority of voters
 * @param voters      node ids of the voters
 * @param learners    node ids of the learners (Ratis listeners: they apply the log and do not vote)
 */
public record RaftStatus(String role, String leader, long term, long commitIndex, long appliedIndex,
                         boolean quorate, List<String> voters, List<String> learners) {
  public static final RaftStatus NONE = new RaftStatus("none", null, 0, 0, 0, false, List.of(), List.of());

  /** Voter or learner, as /v1/status says; "none" outside the group. */
  public String membership() {
    return role.equals("none") || role.equals("joining") ? "none" : role.equals("learner") ? "learner" : "voter";
  }

  public boolean isLeader() {
    return role.equals("leader");
  }
}
