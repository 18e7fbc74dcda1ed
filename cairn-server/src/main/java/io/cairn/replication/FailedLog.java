package io.cairn.replication;

import io.cairn.node.NodeState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings back a division whose Raft log could not be written.
 *
 * <p>Why: once a write fails (a full disk), Ratis writes nothing more until the division is restarted, so the node is
 * not current from then on. A leader steps down at once by restarting (its peers elect another); a follower waits
 * until {@link StandingMeter} sees room for a new segment again and its back-off has passed, and is then restarted
 * ({@link #restart}). Runs on the replication verticle's loop.
 */
final class FailedLog {
  /** Its lines keep the logger they always had: operators select them by it. */
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);

  private final NodeState.ReplicationSide side;
  private final NodeState node;
  private final StandingMeter standing;
  private final DivisionKeeper keeper;

  FailedLog(NodeState.ReplicationSide side, StandingMeter standing, DivisionKeeper keeper) {
    this.side = side;
    this.node = side.state();
    this.standing = standing;
    this.keeper = keeper;
  }

  /** Ratis could not write the log: the node is not current from now on, and a leader restarts its division. */
  void failed(Throwable cause) {
    boolean first = standing.logFailed(cause, System.currentTimeMillis());
    standing.measure(System.currentTimeMillis());
    side.standing(standing.standing());
    if (first) {
      log.error("Node {} could not write its Raft log: {}", node.nodeId(), standing.standing().logFailure());
    }
    if (node.raft().isLeader()) {
      keeper.restart("it leads but cannot write its Raft log (" + cause + ")");
    }
  }

  /** There is room again and the back-off has passed ({@link StandingMeter.Action#RESTART}): restart the division. */
  void restart() {
    keeper.restart("its Raft log could not be written (" + standing.standing().logFailure() + ") and "
        + standing.standing().freeBytes() + " bytes are free now");
  }
}
