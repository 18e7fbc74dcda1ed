package io.cairn.replication;

import io.cairn.config.CairnConfig;
import io.cairn.model.Command;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.bus.Append;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.vertx.core.Context;
import io.vertx.core.eventbus.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The write side on one node. Requests queue here; while {@link #IN_FLIGHT} proposal is under way, new ones
 * wait, and the next proposal carries every waiting request that fits in {@link #BATCH_MAX} commands: one Raft entry
 * holding those commands in order, carried to the leader, wherever it is, by {@link LeaderLink}. A request's
 * commands always travel in one entry. Batching is what lets the log take many thousands of writes a second: Raft's cost (a log append, a replication round trip, an fsync) is per entry.
 *
 * <p>A caller is answered when this node's replica has applied every one of its commands ({@link #applied}), with
 * the outcome {@link io.cairn.registry.Apply} decided: an answer means committed on a majority of voters' disks and
 * readable here. A request not applied within {@code replication.writeTimeout} is failed with 503; it may still be
 * applied later (the message says so). Runs on the replication verticle's loop.
 */
final class Proposals {
  private static final Logger log = LoggerFactory.getLogger(Proposals.class);
  /**
   * Proposals under way at once. One (group commit: what arrives while an entry is under way goes in the next) beat
   * four: Ratis' cost per entry is high on every node, so fewer, larger entries measured twice the registrations a
   * second on three nodes (1,457/s against 733/s, 6.9 commands an entry against 2.3) and 18% more on one, with lower
   * latency (docs/BENCHMARKS.md).
   */
  static final int IN_FLIGHT = 1;
  /** Most commands in one entry (a larger request still travels whole). */
  static final int BATCH_MAX = 1000;

  private final CairnConfig cfg;
  private final NodeState node;
  private final Replica replica;
  private final NodeStats stats;
  private final Context context;
  private final StandingMeter standing;
  private final byte[] origin;
  private final Map<Long, Pending> pending = new HashMap<>();
  /** Commands proposed and not yet applied, read by the state machine on Ratis' thread to skip parsing them. */
  private final Map<Long, Command> proposed = new ConcurrentHashMap<>();
  private final ArrayDeque<Request> queue = new ArrayDeque<>();
  /** Whether requests wait in the queue, for {@link #writesWaiting} on Ratis' applying thread. */
  private volatile boolean queued;
  /** Proposals under way, by number, with when each was sent. */
  private final Map<Long, Long> underWay = new HashMap<>();
  private long lastProposal;
  /**
   * This node's number for its commands, in their entries' headers. It starts from the clock, so that an entry this
   * node proposed before a restart and applied after it is never taken for one of the new process's.
   */
  private long lastRequestId = System.currentTimeMillis() * 1000;
  private LeaderLink link;

  Proposals(CairnConfig cfg, NodeState node, Replica replica, NodeStats stats, Context context,
            StandingMeter standing) {
    this.cfg = cfg;
    this.node = node;
    this.replica = replica;
    this.stats = stats;
    this.context = context;
    this.standing = standing;
    this.origin = node.nodeId().getBytes(StandardCharsets.UTF_8);
  }

  /** How proposals reach the leader, once this node's Raft server runs. */
  void link(LeaderLink leaderLink) {
    link = leaderLink;
  }

  /**
   * Requests wait for the proposal under way, so another entry follows it into the log at once, carrying the commit
   * index to the followers (any thread; see {@link CommitHeartbeat}).
   */
  boolean writesWaiting() {
    return queued;
  }

  /** The command proposed under {@code requestId}, or null (any thread). */
  Command proposed(long requestId) {
    return proposed.get(requestId);
  }

  /** One caller's commands and how to answer it. */
  private final class Request {
    final Message<Append.Request> message;
    final long deadline;
    final long[] requestIds;
    final List<byte[]> items = new ArrayList<>();
    final Outcome[] outcomes;
    int remaining;
    boolean answered;

    Request(Message<Append.Request> message, long deadline, int size) {
      this.message = message;
      this.deadline = deadline;
      this.requestIds = new long[size];
      this.outcomes = new Outcome[size];
      this.remaining = size;
    }

    void fail(int code, String why) {
      if (!answered) {
        answered = true;
        for (long id : requestIds) {
          pending.remove(id);
          proposed.remove(id);
        }
        message.fail(code, why);
      }
    }
  }

  private record Pending(Request request, int index) {
  }

  void submit(Message<Append.Request> message) {
    if (link == null) {
      message.fail(CommandLog.NO_QUORUM, "this node has not joined the cluster's Raft group yet; write to another node");
      return;
    }
    List<Command> commands = message.body().commands();
    List<byte[]> bodies = message.body().bodies();
    StandingMeter.Refusal refusal = standing.refusal(commands, bodies);
    if (refusal != null) {
      message.fail(refusal.code(), refusal.why());
      return;
    }
    Request request = new Request(message, System.currentTimeMillis() + cfg.replication().writeTimeoutMillis(),
        commands.size());
    // Above every number of this node's the log applied, whatever the clock did since the last start: the log skips
    // a number it has seen (Replica.firstApplication).
    lastRequestId = Math.max(lastRequestId, replica.lastRequest(node.nodeId()));
    for (int i = 0; i < commands.size(); i++) {
      Command cmd = commands.get(i).withRequestId(++lastRequestId);
      request.requestIds[i] = cmd.requestId();
      request.items.add(LogCodec.item(cmd.requestId(), origin, bodies.get(i)));
      pending.put(cmd.requestId(), new Pending(request, i));
      proposed.put(cmd.requestId(), cmd);
    }
    stats.commandsSubmitted(commands.size());
    queue.add(request);
    flush();
  }

  private void flush() {
    while (underWay.size() < IN_FLIGHT && !queue.isEmpty()) {
      List<Request> batch = new ArrayList<>();
      List<byte[]> items = new ArrayList<>();
      while (!queue.isEmpty()) {
        Request next = queue.peek();
        if (next.answered) {
          queue.poll();
          continue;
        }
        if (!items.isEmpty() && items.size() + next.items.size() > BATCH_MAX) {
          break;
        }
        queue.poll();
        batch.add(next);
        items.addAll(next.items);
      }
      if (items.isEmpty()) {
        break;
      }
      propose(batch, items);
    }
    queued = !queue.isEmpty();
  }

  private void propose(List<Request> batch, List<byte[]> items) {
    long proposal = ++lastProposal;
    underWay.put(proposal, System.currentTimeMillis());
    stats.entryProposed();
    org.apache.ratis.protocol.Message message =
        org.apache.ratis.protocol.Message.valueOf(UnsafeByteOperations.unsafeWrap(LogCodec.entry(items)));
    long deadline = batch.stream().mapToLong(r -> r.deadline).max().orElse(System.currentTimeMillis());
    link.send(message, deadline).onComplete(ar -> {
      underWay.remove(proposal);
      if (ar.failed() || !ar.result().isSuccess()) {
        for (Request r : batch) {
          refused(r, ar.result(), ar.cause());
        }
      }
      flush();
    });
  }

  private void refused(Request request, RaftClientReply reply, Throwable err) {
    Throwable cause = err != null ? err : reply.getException();
    String message = String.valueOf(cause);
    int storage = message.indexOf(RegistryStateMachine.INSUFFICIENT_STORAGE);
    if (storage >= 0) {
      // The leader refused the entry before appending it: it never happened, on any node.
      request.fail(CommandLog.INSUFFICIENT_STORAGE,
          message.substring(storage + RegistryStateMachine.INSUFFICIENT_STORAGE.length()));
    } else if (!node.quorate()) {
      request.fail(CommandLog.NO_QUORUM, "this node cannot reach a Raft leader with a majority; write to a node of the "
          + "majority side");
    } else {
      request.fail(503, "the Raft group did not commit the write (" + cause + "); it may or may not have been "
          + "applied: read before retrying a create");
    }
  }

  /** The replica applied this node's command {@code requestId} with this outcome. */
  void applied(long requestId, Outcome outcome) {
    proposed.remove(requestId);
    Pending p = pending.remove(requestId);
    if (p == null || p.request.answered) {
      return;
    }
    p.request.outcomes[p.index] = outcome;
    if (--p.request.remaining == 0) {
      p.request.answered = true;
      p.request.message.reply(new Append.Reply(List.of(p.request.outcomes)));
    }
  }

  /**
   * Fails requests past their deadline. A proposal Ratis has not answered well past the write timeout (its client
   * gives up at the timeout) no longer holds back the ones waiting behind it: whatever went wrong with it, this
   * node's writes must not wait on it for good. Its callers have had their 503 already.
   */
  void expire() {
    long now = System.currentTimeMillis();
    List<Request> late = new ArrayList<>();
    for (Pending p : pending.values()) {
      if (p.request.deadline < now) {
        late.add(p.request);
      }
    }
    for (Request r : late) {
      r.fail(503, "the write was not committed and applied within " + cfg.replication().writeTimeoutMillis()
          + "ms; it may still be: read before retrying a create");
    }
    queue.removeIf(r -> r.answered);
    queued = !queue.isEmpty();
    long abandonAfter = cfg.replication().writeTimeoutMillis() + 5_000;
    if (underWay.values().removeIf(sentAt -> now - sentAt > abandonAfter)) {
      log.warn("Raft gave no answer to a proposal of node {} for {} ms; proposing the next writes without it",
          node.nodeId(), abandonAfter);
      flush();
    }
  }

  /** The replica jumped to a snapshot: what this node proposed up to it will not come back to be applied here. */
  void reset() {
    abandon("the write reached the log while this node was loading a snapshot; read the instance to see its "
        + "outcome before retrying");
  }

  /** Fails every request still waiting. */
  void abandon(String why) {
    List<Request> open = new ArrayList<>();
    for (Pending p : pending.values()) {
      open.add(p.request);
    }
    for (Request r : open) {
      r.fail(503, why);
    }
    queue.clear();
    queued = false;
  }
}
