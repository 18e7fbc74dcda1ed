package io.cairn.replication;

import io.cairn.config.CairnConfig;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.util.LifeCycle;

import java.util.List;

/**
 * Restarts a division that has applied entries but holds no configuration.
 *
 * <p>Why: a division that has applied entries always has a configuration: the log starts with the first leader's.
 * Ratis 3.2.2 loses it when a follower's log conflicts with its new leader's at a configuration entry (a leader
 * killed before its first entry reached anyone, back as a follower): the follower takes the leader's configuration,
 * then truncates its own conflicting entry at the same index, and the truncation removes the configuration just
 * taken. The follower then serves as "joining" for good (it does not vote, and never gets ready). Its log on disk is
 * right, so a restarted division reads the configuration from it. Checked for a moment first (two election
 * timeouts), as an append replaces configurations in two steps. Checked by {@link StatusProbe} at each measure; runs
 * on the replication verticle's loop.
 */
final class LostConfiguration {
  private final CairnConfig cfg;
  private final DivisionKeeper keeper;
  /** Since when this node's division has applied entries but holds no configuration (0: it holds one). */
  private long lostSince;

  LostConfiguration(CairnConfig cfg, DivisionKeeper keeper) {
    this.cfg = cfg;
    this.keeper = keeper;
  }

  /** True when the configuration has been lost long enough: the division's restart is asked for. */
  boolean restartIfLost(List<String> voters, List<String> learners, DivisionInfo info, long now) {
    boolean lost = voters.isEmpty() && learners.isEmpty() && info.getLastAppliedIndex() >= 0
        && info.getLifeCycleState() == LifeCycle.State.RUNNING;
    if (!lost) {
      lostSince = 0;
      return false;
    }
    if (lostSince == 0) {
      lostSince = now;
    } else if (now - lostSince >= 2 * cfg.raft().electionTimeoutMillis()) {
      lostSince = 0;
      keeper.restart("Ratis lost the group's configuration after truncating a conflicting entry (applied up to "
          + info.getLastAppliedIndex() + ", no voter or learner left)");
      return true;
    }
    return false;
  }
}
