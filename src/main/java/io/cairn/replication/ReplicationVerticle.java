package io.cairn.replication;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.cairn.Addresses;
import io.cairn.NodeContext;
import io.cairn.config.ClusterSetup;
import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.model.ModelJson;
import io.cairn.registry.Apply;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Outcome;
import io.cairn.registry.Snapshot;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Owns the replicated log and this node's replica.
 *
 * <p>Writes: commands arrive on {@link Addresses#APPEND}, are queued, and go to the Hazelcast ring buffer in
 * batches: while {@code replication.appendsInFlight} calls are under way, new commands wait, and the next
 * {@code addAllAsync} carries all of them, so throughput is not one round trip per write. Commands of one batch
 * keep their order; separate batches may interleave, which no client can tell apart from concurrent requests. A caller is answered when this node's replica has applied its
 * command, with the outcome {@link Apply} decided, so a client reads its own writes on the node it wrote to.
 *
 * <p>Reads: one long-poll {@code readManyAsync} at a time tails the log and applies every command in order, on
 * this verticle's event loop. A node that starts late, or falls out of the ring's retained window, loads the
 * latest snapshot and replays from there; it is not ready (and refuses registry requests) until it has caught up
 * with the log as it was when it started.
 *
 * <p>Events: the node that is leader at a revision publishes that revision's events on {@link Addresses#EVENTS},
 * so each is published once, in order. A new leader first publishes what the previous one had not.
 */
public class ReplicationVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
  private static final String LATEST = "latest";
  private static final String PUBLISHED_CURSOR = "eventsPublished";
  private static final int READ_MAX = 1000;

  private final NodeContext node;
  private final byte[] nodeIdBytes;
  private HazelcastInstance hz;
  private Ringbuffer<byte[]> ring;
  private IMap<String, byte[]> snapshots;
  private IMap<String, Long> state;

  /** Sequence of the next log item to apply (the revision of item s is s + 1). */
  private long nextSequence;
  /** Ready once nextSequence reaches this (the log's tail when this node started catching up, plus one). */
  private long catchUpTarget;
  private boolean stopped;
  private boolean resyncing;
  private MessageConsumer<Object> snapshotConsumer;

  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private int appendsInFlight;
  private long lastRequestId;
  private final Map<Long, Waiter> waiting = new HashMap<>();

  private EventHistory history;
  private boolean leaderPublishing;
  private boolean fillingGap;
  private final List<Event> heldDuringGapFill = new ArrayList<>();
  private final List<Event> outgoing = new ArrayList<>();
  private long lastPublishedRevision;
  private boolean cursorWriteScheduled;
  private long lastSnapshotRevision;
  private long lastSnapshotAt;
  private boolean snapshotInFlight;

  public ReplicationVerticle(NodeContext node) {
    this.node = node;
    this.nodeIdBytes = node.nodeId().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public void start(Promise<Void> started) {
    history = new EventHistory(node.config().eventHistory());
    hz = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    node.memberId(hz.getCluster().getLocalMember().getUuid().toString());
    vertx.eventBus().<Append.Request>localConsumer(Addresses.APPEND, this::onAppend);
    vertx.deployVerticle(new EventPublisherVerticle());
    vertx.setPeriodic(1000, id -> expireWaiters());
    vertx.<Void>executeBlocking(() -> {
      // Dynamic configuration reaches every member, including plain Vert.x members that may own the log.
      hz.getConfig().addRingBufferConfig(ClusterSetup.logConfig(node.config()));
      ring = hz.getRingbuffer(ClusterSetup.LOG);
      snapshots = hz.getMap(ClusterSetup.SNAPSHOTS);
      state = hz.getMap(ClusterSetup.STATE);
      return null;
    }).compose(v -> catchUp()).onComplete(started);
  }

  @Override
  public void stop() {
    stopped = true;
    for (Waiter w : waiting.values()) {
      w.fail(503, "node stopping");
    }
    waiting.clear();
  }

  // ---------------------------------------------------------------- catching up

  /** Loads a snapshot if the log alone cannot rebuild the state, then tails until caught up. */
  private Future<Void> catchUp() {
    node.ready(false);
    Promise<Void> caughtUp = Promise.promise();
    vertx.executeBlocking(() -> {
      long head = ring.headSequence();
      long tail = ring.tailSequence();
      byte[] bytes = snapshots.get(LATEST);
      Snapshot snap = bytes == null ? null : LogCodec.decodeSnapshot(bytes);
      return new LogWindow(head, tail, snap);
    }).compose(window -> {
      if (window.needsSnapshot(node.replica().revision())) {
        if (window.snapshotCovers()) {
          return Future.succeededFuture(window);
        }
        return freshSnapshotFromPeer(window);
      }
      return Future.succeededFuture(window);
    }).onSuccess(window -> {
      long from = node.replica().revision();
      if (window.needsSnapshot(from) && window.snapshot != null && window.snapshotCovers()) {
        node.replica().load(window.snapshot);
        node.snapshotsLoaded.increment();
        lastSnapshotRevision = window.snapshot.revision();
        log.info("Loaded snapshot at revision {} ({} instances)", window.snapshot.revision(), window.snapshot.services().size());
      } else if (window.needsSnapshot(from)) {
        log.warn("The log no longer holds revision {} and no peer offered a snapshot; starting from revision {}: "
            + "instances registered before it are lost", from + 1, window.head + 1);
        node.replica().load(new Snapshot(window.head, 0, null, List.of(), List.of()));
      }
      nextSequence = node.replica().revision();
      catchUpTarget = window.tail + 1;
      Runnable onReady = () -> caughtUp.tryComplete();
      readyCallback = onReady;
      checkReady();
      readNext();
    }).onFailure(caughtUp::tryFail);
    return caughtUp.future();
  }

  private Runnable readyCallback;

  /** Asks a ready peer to write a snapshot of its replica, then reads it. */
  private Future<LogWindow> freshSnapshotFromPeer(LogWindow window) {
    return vertx.eventBus().request(Addresses.SNAPSHOT_REQUEST, null, new DeliveryOptions().setSendTimeout(30_000))
        .compose(reply -> vertx.executeBlocking(() -> {
          byte[] bytes = snapshots.get(LATEST);
          return new LogWindow(window.head, window.tail, bytes == null ? null : LogCodec.decodeSnapshot(bytes));
        }))
        .recover(err -> {
          if (err instanceof ReplyException && ((ReplyException) err).failureType() == ReplyFailure.NO_HANDLERS) {
            return Future.succeededFuture(window);
          }
          return Future.failedFuture(err);
        });
  }

  private void checkReady() {
    if (!node.ready() && nextSequence >= catchUpTarget) {
      node.ready(true);
      resyncing = false;
      if (snapshotConsumer == null) {
        snapshotConsumer = vertx.eventBus().consumer(Addresses.SNAPSHOT_REQUEST, this::onSnapshotRequest);
      }
      log.info("Node {} caught up at revision {}", node.nodeId(), node.replica().revision());
      if (readyCallback != null) {
        Runnable callback = readyCallback;
        readyCallback = null;
        callback.run();
      }
    }
  }

  /** Fell out of the ring's window: stop serving, reload, catch up again. */
  private void resync(long firstAvailable) {
    log.warn("Node {} fell behind the log (needed revision {}, oldest kept is {}); reloading from a snapshot",
        node.nodeId(), nextSequence + 1, firstAvailable + 1);
    resyncing = true;
    if (snapshotConsumer != null) {
      snapshotConsumer.unregister();
      snapshotConsumer = null;
    }
    history.clear();
    catchUp().onFailure(err -> {
      log.error("Reloading failed; retrying", err);
      vertx.setTimer(1000, id -> resync(firstAvailable));
    });
  }

  private record LogWindow(long head, long tail, Snapshot snapshot) {
    /** True when the log no longer holds the item right after {@code revision}. */
    boolean needsSnapshot(long revision) {
      return revision < head;
    }

    boolean snapshotCovers() {
      return snapshot != null && snapshot.revision() >= head;
    }
  }

  // ---------------------------------------------------------------- tailing and applying

  private void readNext() {
    if (stopped || resyncing) {
      return;
    }
    CompletionStage<ReadResultSet<byte[]>> read;
    try {
      read = ring.readManyAsync(nextSequence, 1, Math.min(READ_MAX, node.config().logCapacity()), null);
    } catch (RuntimeException e) {
      onRead(null, e);
      return;
    }
    read.whenComplete((rs, err) -> context.runOnContext(v -> onRead(rs, err)));
  }

  private void onRead(ReadResultSet<byte[]> rs, Throwable err) {
    if (stopped) {
      return;
    }
    if (err != null) {
      if (err instanceof HazelcastInstanceNotActiveException || err.getCause() instanceof HazelcastInstanceNotActiveException) {
        return;
      }
      log.warn("Reading the log failed ({}); retrying", err.toString());
      vertx.setTimer(200, id -> readNext());
      return;
    }
    if (rs.size() > 0 && rs.getSequence(0) > nextSequence) {
      resync(rs.getSequence(0));
      return;
    }
    for (int i = 0; i < rs.size(); i++) {
      applyOne(rs.getSequence(i), rs.get(i));
    }
    nextSequence = rs.getNextSequenceToReadFrom();
    flushOutgoing();
    afterBatch();
    checkReady();
    readNext();
  }

  private void applyOne(long sequence, byte[] bytes) {
    long revision = sequence + 1;
    // Our own commands come back as bytes we just wrote: take the object we still hold instead of parsing them.
    Waiter own = LogCodec.isFrom(bytes, nodeIdBytes) ? waiting.remove(LogCodec.requestId(bytes)) : null;
    Command cmd = own != null ? own.command() : LogCodec.decode(bytes);
    boolean wasLeader = node.isLeader();
    Outcome outcome = Apply.apply(node.replica(), cmd, revision);
    node.commandsApplied.increment();
    if (!wasLeader && node.isLeader()) {
      startPublishing(revision);
    } else if (wasLeader && !node.isLeader()) {
      leaderPublishing = false;
    }
    for (Event e : outcome.events()) {
      history.add(e);
      if (leaderPublishing) {
        publish(e);
      }
    }
    if (own != null) {
      own.complete(outcome);
    }
  }

  private void afterBatch() {
    if (leaderPublishing && !cursorWriteScheduled && lastPublishedRevision > 0) {
      cursorWriteScheduled = true;
      vertx.setTimer(50, id -> {
        cursorWriteScheduled = false;
        state.setAsync(PUBLISHED_CURSOR, lastPublishedRevision);
      });
    }
    long now = System.currentTimeMillis();
    if (node.isLeader() && node.replica().revision() - lastSnapshotRevision >= node.config().snapshotEvery()
        && now - lastSnapshotAt >= node.config().snapshotMinIntervalMillis()) {
      lastSnapshotAt = now;
      writeSnapshot();
    }
  }

  // ---------------------------------------------------------------- events

  /**
   * This node became leader at {@code revision}: publish, in order, the events the previous publisher had not
   * published (from the cursor it kept in the cluster), then carry on live. Live events wait meanwhile.
   */
  private void startPublishing(long revision) {
    leaderPublishing = true;
    fillingGap = true;
    Future.fromCompletionStage(state.getAsync(PUBLISHED_CURSOR), context).onComplete(ar -> {
      long cursor = ar.succeeded() && ar.result() != null ? ar.result() : 0L;
      for (Event e : history.between(cursor, revision - 1)) {
        send(e);
      }
      fillingGap = false;
      for (Event e : heldDuringGapFill) {
        send(e);
      }
      heldDuringGapFill.clear();
      flushOutgoing();
    });
  }

  private void publish(Event e) {
    if (fillingGap) {
      heldDuringGapFill.add(e);
    } else {
      send(e);
    }
  }

  private void send(Event e) {
    outgoing.add(e);
    lastPublishedRevision = e.revision();
    node.eventsPublished.increment();
  }

  /** Hands the events decided so far to the publisher, in one message, in order. */
  private void flushOutgoing() {
    if (!outgoing.isEmpty()) {
      vertx.eventBus().send(EventPublisherVerticle.ADDRESS, new EventPublisherVerticle.Batch(List.copyOf(outgoing)),
          new DeliveryOptions().setLocalOnly(true));
      outgoing.clear();
    }
  }

  // ---------------------------------------------------------------- snapshots

  private void onSnapshotRequest(Message<Object> msg) {
    writeSnapshot().onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        msg.fail(500, ar.cause().toString());
      }
    });
  }

  /** Captures the replica on this loop (one revision's state), encodes and stores it off the loop. */
  private Future<Long> writeSnapshot() {
    Snapshot snap = node.replica().snapshot();
    if (snapshotInFlight && snap.revision() <= lastSnapshotRevision) {
      return Future.succeededFuture(lastSnapshotRevision);
    }
    snapshotInFlight = true;
    lastSnapshotRevision = snap.revision();
    return vertx.executeBlocking(() -> LogCodec.encode(snap), false)
        .compose(bytes -> Future.fromCompletionStage(snapshots.setAsync(LATEST, bytes), context))
        .map(v -> {
          node.snapshotsWritten.increment();
          return snap.revision();
        })
        .onComplete(ar -> snapshotInFlight = false);
  }

  // ---------------------------------------------------------------- appending

  private void onAppend(Message<Append.Request> msg) {
    List<Command> commands = msg.body().commands();
    List<byte[]> bodies = msg.body().bodies();
    Outcome[] outcomes = new Outcome[commands.size()];
    int[] remaining = {commands.size()};
    long deadline = System.currentTimeMillis() + node.config().writeTimeoutMillis();
    boolean[] failed = {false};
    for (int i = 0; i < commands.size(); i++) {
      int index = i;
      Command cmd = commands.get(i).withRequestId(++lastRequestId);
      waiting.put(cmd.requestId(), new Waiter(cmd, deadline, outcome -> {
        outcomes[index] = outcome;
        if (--remaining[0] == 0 && !failed[0]) {
          msg.reply(new Append.Reply(List.of(outcomes)));
        }
      }, (code, message) -> {
        if (!failed[0]) {
          failed[0] = true;
          msg.fail(code, message);
        }
      }));
      queue.add(new Queued(cmd.requestId(), LogCodec.item(cmd.requestId(), nodeIdBytes, bodies.get(i))));
    }
    node.commandsAppended.add(commands.size());
    flush();
  }

  private void flush() {
    if (appendsInFlight >= node.config().appendsInFlight() || queue.isEmpty() || stopped) {
      return;
    }
    int n = Math.min(queue.size(), Math.min(node.config().batchMax(), node.config().logCapacity()));
    List<byte[]> items = new ArrayList<>(n);
    long[] requestIds = new long[n];
    for (int i = 0; i < n; i++) {
      Queued q = queue.poll();
      items.add(q.bytes);
      requestIds[i] = q.requestId;
    }
    appendsInFlight++;
    node.appendCalls.increment();
    ring.addAllAsync(items, OverflowPolicy.OVERWRITE).whenComplete((seq, err) -> context.runOnContext(v -> {
      appendsInFlight--;
      if (err != null) {
        log.warn("Appending {} commands to the log failed: {}", n, err.toString());
        for (long id : requestIds) {
          Waiter w = waiting.remove(id);
          if (w != null) {
            w.fail(503, "the cluster log is unavailable: " + err.getMessage());
          }
        }
      }
      flush();
    }));
  }

  private void expireWaiters() {
    long now = System.currentTimeMillis();
    for (Iterator<Waiter> it = waiting.values().iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.deadline < now) {
        it.remove();
        w.fail(503, "the write was not applied within " + node.config().writeTimeoutMillis() + "ms");
      }
    }
  }

  private record Queued(long requestId, byte[] bytes) {
  }

  private record Waiter(Command command, long deadline, java.util.function.Consumer<Outcome> onApplied, Failure onFailure) {
    void complete(Outcome outcome) {
      onApplied.accept(outcome);
    }

    void fail(int code, String message) {
      onFailure.fail(code, message);
    }
  }

  @FunctionalInterface
  private interface Failure {
    void fail(int code, String message);
  }
}
