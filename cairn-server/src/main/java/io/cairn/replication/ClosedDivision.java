package io.cairn.replication;

import org.apache.ratis.server.RaftServer;

/**
 * Restarts a division that Ratis closed by itself.
 *
 * <p>Why: Ratis closes a division that stood for election outside the configuration: a voter removed while it was
 * down keeps its old role when it comes back, even after the log made it a learner, and closes at the next election.
 * Restarted, it reads the configuration that names it a learner, and follows the new leader. Checked by
 * {@link StatusProbe} before each measure; runs on the replication verticle's loop.
 */
final class ClosedDivision {
  private final DivisionKeeper keeper;

  ClosedDivision(DivisionKeeper keeper) {
    this.keeper = keeper;
  }

  /** True when {@code division} is closed: its restart is asked for, and there is nothing to measure. */
  boolean restartIfClosed(RaftServer.Division division) {
    if (division.getInfo().isAlive()) {
      return false;
    }
    keeper.restart("Ratis closed its part of the Raft group (" + division.getInfo().getLifeCycleState() + ")");
    return true;
  }
}
