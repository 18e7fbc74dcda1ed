package io.cairn.replication;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Tells the followers at once that the leader's commit index moved, when nothing else would.
 *
 * <p>A follower applies an entry once it hears the commit index from the leader, which rides on every append. Ratis'
 * commit-index metadata entries did that by being one more entry to append, and were 42% of the entries written,
 * each forced to disk and replicated (docs/BENCHMARKS.md); they are off. Without them, the last entry of a burst
 * would show on the followers only with the next heartbeat, half an election timeout later: a registration
 * acknowledged by the leader and then looked up on another node would be missing (ClientFailoverIT). So when the
 * leader has applied the newest entry of its log and none of its own writes wait to be proposed next, it asks Ratis
 * for a read index, which makes Ratis send every follower a heartbeat at once, carrying the new commit index. While
 * writes flow, the next entry follows at once and carries the commit index itself, so no heartbeat is added: sent for
 * every entry, the heartbeats took back most of what dropping the metadata entries saved (docs/BENCHMARKS.md).
 *
 * <p>Called on Ratis' applying thread; submits and returns without waiting.
 */
final class CommitHeartbeat {
  private static final Logger log = LoggerFactory.getLogger(CommitHeartbeat.class);
  private final ClientId clientId = ClientId.randomId();
  /** This node's division as {@link DivisionKeeper} last found it, or null: never looked up here, which may block. */
  private final Supplier<RaftServer.Division> division;
  /** Whether this node's own writes wait to be proposed next ({@link Proposals#writesWaiting}). */
  private final BooleanSupplier writesWaiting;
  private long lastSent;

  CommitHeartbeat(Supplier<RaftServer.Division> division, BooleanSupplier writesWaiting) {
    this.division = division;
    this.writesWaiting = writesWaiting;
  }

  void applied(long index) {
    RaftServer.Division d = division.get();
    if (d == null || index <= lastSent || writesWaiting.getAsBoolean()) {
      return;
    }
    try {
      send(d, index);
    } catch (RuntimeException e) {
      // A division closing under it (a restart, a removal) is no reason to fail the apply, which would close it.
      log.debug("No heartbeat after revision {}: {}", index, e.toString());
    }
  }

  private void send(RaftServer.Division d, long index) {
    if (!d.getInfo().isLeader()) {
      return;
    }
    TermIndex last = d.getRaftLog().getLastEntryTermIndex();
    if (last == null || last.getIndex() != index) {
      return;
    }
    lastSent = index;
    RaftClientRequest request = RaftCalls.readIndex(clientId, d.getId(), d.getMemberId().getGroupId());
    RaftCalls.call(() -> d.getRaftServer().submitClientRequestAsync(request)).whenComplete((reply, err) -> {
      if (err != null || !reply.isSuccess()) {
        log.debug("The heartbeat after revision {} found no majority: {}", index,
            err != null ? err.toString() : reply.getException());
      }
    });
  }
}
