package io.cairn.replication;

import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.cairn.NodeContext;
import io.cairn.model.Command;
import io.cairn.registry.Outcome;
import io.vertx.core.Context;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The write side of the log on one node. Requests are queued; while {@code replication.appendsInFlight} append
 * calls are under way, new ones wait, and the next {@code addAllAsync} carries every waiting request that fits in
 * {@code replication.batchMax}. A request's commands always travel in one call, so they take consecutive
 * revisions in their order. Each request is answered when the replica has applied all of its commands (see
 * {@link #applied}), or failed after {@code replication.writeTimeout}; a request that timed out before it was
 * sent is dropped, never appended later behind its caller's back. Runs on the replication verticle's loop.
 */
final class AppendQueue {
  private static final Logger log = LoggerFactory.getLogger(AppendQueue.class);

  private final NodeContext node;
  private final Context context;
  private final Ringbuffer<byte[]> ring;
  private final byte[] origin;
  private final ArrayDeque<Request> queue = new ArrayDeque<>();
  private final Map<Long, Pending> pending = new HashMap<>();
  private int inFlight;
  private long lastRequestId;
  private boolean stopped;

  AppendQueue(NodeContext node, Context context, Ringbuffer<byte[]> ring, byte[] origin) {
    this.node = node;
    this.context = context;
    this.ring = ring;
    this.origin = origin;
  }

  /** One caller's commands and how to answer it. */
  private final class Request {
    final Message<Append.Request> message;
    final long deadline;
    final List<byte[]> items = new ArrayList<>();
    final long[] requestIds;
    final Outcome[] outcomes;
    int remaining;
    boolean answered;
    /** Sequence of the request's last item in the log, once the append call returned; -1 before. */
    long lastSequence = -1;

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
        }
        message.fail(code, why);
      }
    }
  }

  private record Pending(Request request, int index, Command command) {
  }

  void submit(Message<Append.Request> message) {
    List<Command> commands = message.body().commands();
    List<byte[]> bodies = message.body().bodies();
    Request request = new Request(message, System.currentTimeMillis() + node.config().writeTimeoutMillis(), commands.size());
    for (int i = 0; i < commands.size(); i++) {
      Command cmd = commands.get(i).withRequestId(++lastRequestId);
      request.requestIds[i] = cmd.requestId();
      request.items.add(LogCodec.item(cmd.requestId(), origin, bodies.get(i)));
      pending.put(cmd.requestId(), new Pending(request, i, cmd));
    }
    node.commandsAppended.add(commands.size());
    queue.add(request);
    flush();
  }

  /**
   * The command this node appended under this request id, if its caller still waits: the applying loop uses it
   * instead of parsing the item back. The caller is answered by {@link #applied}.
   */
  Command claim(long requestId) {
    Pending p = pending.get(requestId);
    return p == null ? null : p.command;
  }

  /** The replica applied this node's command {@code requestId} with this outcome. */
  void applied(long requestId, Outcome outcome) {
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

  private void flush() {
    if (stopped) {
      return;
    }
    while (inFlight < node.config().appendsInFlight() && !queue.isEmpty()) {
      int max = Math.min(node.config().batchMax(), node.config().logCapacity());
      List<Request> batch = new ArrayList<>();
      List<byte[]> items = new ArrayList<>();
      while (!queue.isEmpty()) {
        Request next = queue.peek();
        if (next.answered) {
          queue.poll();
          continue;
        }
        if (!items.isEmpty() && items.size() + next.items.size() > max) {
          break;
        }
        queue.poll();
        batch.add(next);
        items.addAll(next.items);
      }
      if (items.isEmpty()) {
        return;
      }
      send(batch, items);
    }
  }

  private void send(List<Request> batch, List<byte[]> items) {
    inFlight++;
    node.appendCalls.increment();
    java.util.concurrent.CompletionStage<Long> appended;
    try {
      appended = ring.addAllAsync(items, OverflowPolicy.OVERWRITE);
    } catch (RuntimeException e) {
      appended = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    appended.whenComplete((lastSequence, err) -> context.runOnContext(v -> {
      inFlight--;
      if (err == null) {
        // The batch took consecutive sequences ending at lastSequence; note where each request ended.
        long end = lastSequence;
        for (int i = batch.size() - 1; i >= 0; i--) {
          batch.get(i).lastSequence = end;
          end -= batch.get(i).items.size();
        }
      } else {
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
            ? err.getCause() : err;
        if (cause instanceof SplitBrainProtectionException) {
          // Refused before it was written: this side of a split has too few members to take writes.
          for (Request r : batch) {
            r.fail(Append.NO_QUORUM, "this node is on a side of a network split without quorum; write to a node "
                + "of the majority side");
          }
        } else {
          log.warn("Appending {} commands to the log failed: {}", items.size(), cause.toString());
          for (Request r : batch) {
            r.fail(503, "the cluster log did not confirm the write (" + cause.getMessage() + "); it may or may not "
                + "have been applied: read before retrying a create");
          }
        }
      }
      flush();
    }));
  }

  /** Fails requests past their deadline; those still queued are dropped rather than appended late. */
  void expire() {
    long now = System.currentTimeMillis();
    List<Request> late = new ArrayList<>();
    for (Pending p : pending.values()) {
      if (p.request.deadline < now) {
        late.add(p.request);
      }
    }
    for (Request r : late) {
      r.fail(503, "the write was not applied within " + node.config().writeTimeoutMillis() + "ms");
    }
    for (Iterator<Request> it = queue.iterator(); it.hasNext(); ) {
      if (it.next().answered) {
        it.remove();
      }
    }
  }

  /**
   * The replica jumped to a snapshot at {@code revision}: this node's items up to it will never come back to be
   * applied here. Their callers learn now that the write was applied, with the outcome unknown.
   */
  void skippedTo(long revision) {
    List<Request> skipped = new ArrayList<>();
    for (Pending p : pending.values()) {
      if (p.request.lastSequence >= 0 && p.request.lastSequence < revision) {
        skipped.add(p.request);
      }
    }
    for (Request r : skipped) {
      r.fail(503, "the write reached the log while this node was reloading a snapshot; read the instance to see "
          + "its outcome before retrying");
    }
  }

  void stop() {
    stopped = true;
    abandon("node stopping");
  }

  /** Fails every request still waiting: the log they were written to is not the one this node will apply. */
  void abandon(String why) {
    List<Request> open = new ArrayList<>();
    for (Pending p : pending.values()) {
      open.add(p.request);
    }
    for (Request r : open) {
      r.fail(503, why);
    }
    queue.clear();
  }
}
