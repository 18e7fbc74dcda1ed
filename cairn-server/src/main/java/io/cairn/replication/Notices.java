package io.cairn.replication;

import io.cairn.model.Event;
import io.cairn.node.Addresses;
import io.cairn.node.NodeStats;
import io.cairn.node.bus.Applied;
import io.cairn.registry.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import org.apache.ratis.protocol.RaftPeerId;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the state machine reports from Ratis' thread, moved onto the replication verticle's loop and acted on there in
 * order: callers answered ({@link Proposals}), each drained batch handed to this node's watchers
 * ({@link Addresses#APPLIED}) and its events to the {@link LeaderPublisher}, a new leader told to the
 * {@link LeaderLink}, a failed log to {@link FailedLog}, a leader ready to the {@link StatusProbe}.
 *
 * <p>Why a queue: Ratis applies entries on a thread of its own, while the parts that act on them belong to the
 * verticle's loop and are not thread-safe. Ratis' thread only queues (and asks for one drain when none is pending);
 * the loop drains everything queued meanwhile, so that watchers and the publisher get one batch per drain, in the
 * order Ratis applied. Snapshots written are counted at once, on the writer's thread ({@link RaftAdmin}).
 */
final class Notices implements RegistryStateMachine.Listener {
  private static final DeliveryOptions LOCAL_ONLY = new DeliveryOptions().setLocalOnly(true);
  private static final Object LEADER_READY = new Object();

  private record AppliedNotice(long revision, long[] requestIds, Outcome[] outcomes) {
  }

  private record ResetNotice(long revision) {
  }

  private record LeaderNotice(RaftPeerId leader) {
  }

  private record LogFailedNotice(Throwable cause) {
  }

  private final Vertx vertx;
  /** The replication verticle's context, where the queue is drained. */
  private final Context context;
  private final String nodeId;
  private final NodeStats stats;
  private final Proposals proposals;
  private final LeaderPublisher publisher;
  private final FailedLog failedLog;
  private final RaftAdmin admin;
  /** What Ratis' thread reports, drained on the loop in order. */
  private final Queue<Object> notices = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  /** The events applied in this drain, for the watchers. */
  private final List<Event> applied = new ArrayList<>();
  /** Null until the Raft server has started. */
  private LeaderLink link;
  private StatusProbe probe;

  Notices(Vertx vertx, Context context, String nodeId, NodeStats stats, Proposals proposals, LeaderPublisher publisher,
          FailedLog failedLog, RaftAdmin admin) {
    this.vertx = vertx;
    this.context = context;
    this.nodeId = nodeId;
    this.stats = stats;
    this.proposals = proposals;
    this.publisher = publisher;
    this.failedLog = failedLog;
    this.admin = admin;
  }

  /**
   * The Raft server has started. Ratis reports from its start on; a leader it names before is told to the link by
   * the probe's first measure, and a leader ready before has no division to measure yet.
   */
  void started(LeaderLink link, StatusProbe probe) {
    this.link = link;
    this.probe = probe;
  }

  // ---------------------------------------------------------------- on Ratis' thread

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
    admin.snapshotTaken(revision);
  }

  private void offer(Object notice) {
    notices.add(notice);
    if (drainScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  // ---------------------------------------------------------------- on the loop

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
          // (Ratis may name a leader while its server is still starting, before the link exists: the status probe
          // tells the link the leader from then on.)
          link.leader(l.leader());
        }
      } else if (n instanceof LogFailedNotice f) {
        failedLog.failed(f.cause());
      } else if (n == LEADER_READY) {
        if (probe != null) {
          probe.refresh();
        }
      }
    }
    flushApplied(revision);
    publisher.flush();
    publisher.afterBatch();
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
          publisher.leadershipMoved(nodeId.equals(e.leader()), a.revision());
        } else if ((e.type() == Event.Type.NODE_LEFT || e.type() == Event.Type.NODE_FAILED)
            && nodeId.equals(e.node().id())) {
          publisher.leadershipMoved(false, a.revision());
        }
      }
      applied.addAll(outcome.events());
      publisher.applied(outcome.events());
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
}
