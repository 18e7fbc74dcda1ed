package io.cairn.replication;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.cairn.Addresses;
import io.cairn.NodeContext;
import io.cairn.config.ClusterSetup;
import io.cairn.model.Command;
import io.cairn.model.Event;
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

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Owns the replicated log and this node's replica.
 *
 * <p>Writes go through {@link AppendQueue}: batched appends, answered once this node's replica applied them,
 * with the outcome {@link Apply} decided, so a client reads its own writes on the node it wrote to.
 *
 * <p>Reads: one long-poll {@code readManyAsync} at a time tails the log and applies every command in order, on
 * this verticle's event loop. A node that starts late, or falls out of the ring's retained window, loads the
 * newest snapshot (asking a ready peer for a fresh one when none is recent enough) and replays from there; it is
 * not ready, and refuses registry requests, until it has caught up with the log as it was when it started.
 *
 * <p>Events: once ready, the node that is leader at a revision publishes that revision's events on
 * {@link Addresses#EVENTS}, so each is published once, in order. A new leader first publishes what the previous
 * one had not.
 */
public class ReplicationVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
  private static final String PUBLISHED_CURSOR = "eventsPublished";
  private static final int READ_MAX = 1000;
  private static final int SNAPSHOT_ATTEMPTS = 5;

  private final NodeContext node;
  private final byte[] nodeIdBytes;
  private HazelcastInstance hz;
  private Ringbuffer<byte[]> ring;
  private IMap<String, Long> state;
  private SnapshotStore snapshots;
  private AppendQueue appends;

  /** Sequence of the next log item to apply (the revision of item s is s + 1). */
  private long nextSequence;
  /** Ready once nextSequence reaches this (the log's tail when this node started catching up, plus one). */
  private long catchUpTarget;
  private boolean stopped;
  private boolean tailing;
  /** Bumped whenever tailing restarts, so that the answer of a read issued before is dropped. */
  private long readGeneration;
  /** The log this node can reach ends before its replica: it is on a side of a split without the log's owner. */
  private boolean logBehind;
  private Promise<Void> caughtUp;
  private MessageConsumer<Object> snapshotConsumer;

  private EventHistory history;
  private boolean leaderPublishing;
  private boolean fillingGap;
  /** Which call of startPublishing is current, so that a late answer of an earlier one is ignored. */
  private long publishingGeneration;
  private final List<Event> heldDuringGapFill = new ArrayList<>();
  private final List<Event> outgoing = new ArrayList<>();
  /** Events applied in the current read batch, handed to this node's watchers when the batch is done. */
  private final List<Event> applied = new ArrayList<>();
  private static final DeliveryOptions LOCAL_ONLY = new DeliveryOptions().setLocalOnly(true);
  private long lastPublishedRevision;
  private boolean cursorWriteScheduled;
  private long lastSnapshotRevision;
  private long lastSnapshotAt;
  private DiskSnapshots disk;
  private Journal journal;
  private io.vertx.core.WorkerExecutor journalWriter;
  private io.vertx.core.WorkerExecutor snapshotWriter;
  private boolean journalFlushing;
  private boolean diskSnapshotting;
  private boolean measuringCommit;
  /** The last snapshot handed out (see currentSnapshot); dropped whenever the replica is replaced. */
  private Snapshot sharedSnapshot;
  private long lastDiskSnapshotRevision;
  private long lastDiskSnapshotAt = System.currentTimeMillis();
  /** The revision this node's disk restored at start (0: nothing). */
  private long localRevision;
  /** Whether this node has decided between its disk's history and the cluster's. */
  private boolean localSettled;
  /** The revision the cluster log began after (see LogWindow). */
  private long base;
  private static final String LOG_BASE = "logBase";
  private static final String SEED_PREFIX = "seed.";

  public ReplicationVerticle(NodeContext node) {
    this.node = node;
    this.nodeIdBytes = node.nodeId().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void start(Promise<Void> started) {
    history = node.eventHistory();
    disk = new DiskSnapshots(node.config().dataDir(), node.config().snapshotRetain());
    hz = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    node.memberId(((VertxInternal) vertx).clusterManager().getNodeId());
    vertx.deployVerticle(new EventPublisherVerticle());
    hz.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGING) {
        context.runOnContext(v -> mergeStarted());
      } else if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        context.runOnContext(v -> merged());
      }
    });
    vertx.<Void>executeBlocking(() -> {
      // Dynamic configuration reaches every member, including plain Vert.x members that may own the log.
      hz.getConfig().addRingBufferConfig(ClusterSetup.logConfig(node.config()));
      ring = hz.getRingbuffer(ClusterSetup.LOG);
      state = hz.getMap(ClusterSetup.STATE);
      snapshots = new SnapshotStore(vertx, context, hz.getMap(ClusterSetup.SNAPSHOTS), node.nodeId());
      journal = new Journal(node.config().dataDir());
      localRevision = LocalRestore.restore(disk, journal, node.replica());
      return null;
    }).compose(v -> {
      history.reset(localRevision);
      // Each on a thread of its own: a large snapshot being compressed never holds up the journal's fsyncs.
      journalWriter = vertx.createSharedWorkerExecutor("cairn-journal-" + node.nodeId(), 1);
      snapshotWriter = vertx.createSharedWorkerExecutor("cairn-snapshots-" + node.nodeId(), 1);
      vertx.setPeriodic(node.config().fsyncIntervalMillis(), id -> flushJournal());
      vertx.setPeriodic(1000, id -> maybeSnapshotToDisk());
      vertx.setPeriodic(1000, id -> measureCommitRevision());
      appends = new AppendQueue(node, context, ring, nodeIdBytes);
      vertx.eventBus().<Append.Request>localConsumer(Addresses.APPEND, appends::submit);
      vertx.setPeriodic(1000, id -> appends.expire());
      // Watchers need a replica state that belongs to one revision: taken here, between two applies, and shared by
      // every watcher that asks before the next apply (a thousand connecting at once copy the registry once).
      vertx.eventBus().localConsumer(Addresses.REPLICA_SNAPSHOT, msg -> msg.reply(currentSnapshot()));
      return catchUp();
    }).onComplete(started);
  }

  @Override
  public void stop(Promise<Void> done) {
    stopped = true;
    if (appends != null) {
      appends.stop();
    }
    if (journal == null) {
      done.complete();
      return;
    }
    // A graceful stop leaves a snapshot of everything applied, and the journal on disk.
    Snapshot last = node.ready() ? node.replica().snapshot() : null;
    vertx.<Void>executeBlocking(() -> {
      if (last != null && last.revision() > lastDiskSnapshotRevision) {
        disk.write(last);
      }
      journal.close();
      return null;
    }).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("Could not write the final snapshot: {}", ar.cause().toString());
      }
      journalWriter.close();
      snapshotWriter.close();
      done.complete();
    });
  }

  // ---------------------------------------------------------------- on disk

  private void flushJournal() {
    if (journalFlushing) {
      return;
    }
    journalFlushing = true;
    journalWriter.<Void>executeBlocking(() -> {
      journal.flush();
      return null;
    }).onComplete(ar -> {
      journalFlushing = false;
      if (ar.failed()) {
        log.error("Cannot write the journal; acknowledged writes are not on this node's disk", ar.cause());
      }
    });
  }

  /** The log's last revision, for /v1/stats (what the cluster has committed; this node's lag is the difference). */
  private void measureCommitRevision() {
    if (!tailing || measuringCommit) {
      return;
    }
    measuringCommit = true;
    long atBase = base;
    vertx.executeBlocking(ring::tailSequence, false).onComplete(ar -> {
      measuringCommit = false;
      if (ar.succeeded()) {
        node.commitRevision(ar.result() + 1 + atBase);
      }
    });
    // Which member holds the log's primary copy: every write goes through it (and its loss is what verify is for).
    com.hazelcast.cluster.Member owner = hz.getPartitionService().getPartition(ClusterSetup.LOG).getOwner();
    node.logOwnerMember(owner == null ? null : owner.getAttribute(ClusterSetup.VERTX_NODE_ID));
  }

  /** Every snapshot.interval or snapshot.everyRevisions, whichever first: the replica to disk, then the journal rolls. */
  private void maybeSnapshotToDisk() {
    long revision = node.replica().revision();
    long now = System.currentTimeMillis();
    boolean due = revision - lastDiskSnapshotRevision >= node.config().snapshotEveryRevisions()
        || revision > lastDiskSnapshotRevision && now - lastDiskSnapshotAt >= node.config().snapshotIntervalMillis();
    if (!due || diskSnapshotting || !node.ready()) {
      return;
    }
    diskSnapshotting = true;
    Snapshot snapshot = currentSnapshot();
    snapshotWriter.<Void>executeBlocking(() -> {
      disk.write(snapshot);
      journal.rollAfter(snapshot.revision());
      return null;
    }).onComplete(ar -> {
      diskSnapshotting = false;
      if (ar.succeeded()) {
        lastDiskSnapshotRevision = snapshot.revision();
        lastDiskSnapshotAt = now;
        node.diskSnapshot(snapshot.revision(), now);
      } else {
        log.error("Cannot write a snapshot to disk", ar.cause());
      }
    });
  }

  // ---------------------------------------------------------------- catching up

  /**
   * Loads a snapshot if the log alone cannot rebuild the state, then tails until caught up with the log as it is
   * now. Completes when ready.
   */
  private Future<Void> catchUp() {
    node.ready(false);
    readGeneration++;
    logBehind = false;
    leaderPublishing = false;
    caughtUp = Promise.promise();
    Future<Void> done = caughtUp.future();
    long since = System.currentTimeMillis();
    readWindow()
        .compose(window -> settleHistory(window, since))
        .compose(window -> node.replica().revision() >= window.headRevision()
            ? Future.succeededFuture(window)
            : loadSnapshot(window, SNAPSHOT_ATTEMPTS))
        .onSuccess(window -> {
          base = window.base();
          nextSequence = node.replica().revision() - base;
          catchUpTarget = window.tail + 1;
          tailing = true;
          checkReady();
          readNext();
        })
        .onFailure(err -> caughtUp.tryFail(err));
    return done;
  }

  private Future<LogWindow> readWindow() {
    return vertx.executeBlocking(() -> {
      Long known = state.get(LOG_BASE);
      return new LogWindow(ring.headSequence(), ring.tailSequence(), known == null ? 0 : known, known != null);
    });
  }

  /**
   * Which history this node goes on with. A cluster whose log is empty and has no base yet is starting cold: the
   * node whose disk holds the newest state seeds it ({@link #seed}). Otherwise the cluster's log is the history,
   * and whatever this node's disk held from before is dropped (it is the same history or an abandoned one).
   */
  private Future<LogWindow> settleHistory(LogWindow window, long since) {
    if (window.empty() && !window.baseKnown()) {
      return seed(since);
    }
    if (!localSettled) {
      localSettled = true;
      if (localRevision > 0 || journal.hasFiles()) {
        return discardLocal().map(window);
      }
    }
    return Future.succeededFuture(window);
  }

  /** Drops the disk's history and this replica: the node takes the cluster's. */
  private Future<Void> discardLocal() {
    if (localRevision > 0) {
      log.info("The cluster is running: this node's state on disk (revision {}) is replaced by the cluster's",
          localRevision);
    }
    localRevision = 0;
    node.replica().load(Snapshot.empty(0));
    resetHistory(0);
    lastDiskSnapshotRevision = 0;
    lastDiskSnapshotAt = 0;
    return snapshotWriter.executeBlocking(() -> {
      journal.reset();
      disk.clear();
      return null;
    });
  }

  /**
   * A cold start: every node reports the revision its disk restored ({@code seed.<node>} in the cluster's state
   * map). Once every member has reported, or {@code persistence.seedWait} has passed with a state on some disk, the
   * node with the newest state (ties: the smallest node id) publishes it as a snapshot and sets the log's base to
   * its revision; the log then continues from there and every other node loads that snapshot. When no disk holds
   * anything, the base is 0 at once.
   */
  private Future<LogWindow> seed(long since) {
    String me = node.nodeId();
    return vertx.executeBlocking(() -> {
      state.set(SEED_PREFIX + me, localRevision);
      Map<String, Long> reports = new HashMap<>();
      for (Map.Entry<String, Long> e : state.entrySet()) {
        if (e.getKey().startsWith(SEED_PREFIX)) {
          reports.put(e.getKey().substring(SEED_PREFIX.length()), e.getValue());
        }
      }
      return reports;
    }).compose(reports -> {
      long newest = reports.values().stream().mapToLong(Long::longValue).max().orElse(0);
      boolean everyoneReported = reports.size() >= hz.getCluster().getMembers().size();
      boolean waitedEnough = System.currentTimeMillis() - since >= node.config().seedWaitMillis();
      if (newest > 0 && !everyoneReported && !waitedEnough) {
        return retrySeed(since);
      }
      String winner = reports.entrySet().stream().filter(e -> e.getValue() == newest).map(Map.Entry::getKey)
          .sorted().findFirst().orElse(me);
      boolean orphaned = System.currentTimeMillis() - since >= 6 * node.config().seedWaitMillis() + 30_000;
      if (!winner.equals(me) && !orphaned) {
        return retrySeed(since);
      }
      // This node seeds: its state goes to the cluster first, then the base (whoever sets it first wins).
      node.replica().forgetProbedHealth(System.currentTimeMillis());
      sharedSnapshot = null; // same revision, other state
      Future<Long> published = localRevision > 0 ? snapshots.write(() -> node.replica().snapshot())
          : Future.succeededFuture(0L);
      return published.compose(r -> vertx.executeBlocking(() -> state.putIfAbsent(LOG_BASE, localRevision)))
          .compose(previous -> {
            if (previous == null) {
              localSettled = true;
              log.info("Cold start: the log begins after revision {}, this node's state on disk ({} instances)",
                  localRevision, node.replica().size());
            }
            return readWindow().compose(w -> settleHistory(w, since));
          });
    });
  }

  /** Looks again in a moment: someone may have seeded meanwhile, or more members reported. */
  private Future<LogWindow> retrySeed(long since) {
    Promise<LogWindow> later = Promise.promise();
    vertx.setTimer(200, t -> readWindow().compose(w -> settleHistory(w, since)).onComplete(later));
    return later.future();
  }

  /** Loads the newest snapshot that reaches the log's head, asking a ready peer for one when none does. */
  private Future<LogWindow> loadSnapshot(LogWindow window, int attemptsLeft) {
    return vertx.executeBlocking(snapshots::latestBlocking).compose(snap -> {
      if (snap != null && snap.revision() >= window.headRevision()) {
        node.replica().load(snap);
        resetHistory(snap.revision());
        appends.skippedTo(snap.revision() - window.base());
        // The disk's snapshot and journal no longer meet this replica: a new snapshot soon makes them whole.
        lastDiskSnapshotAt = 0;
        node.snapshotsLoaded.increment();
        lastSnapshotRevision = snap.revision();
        log.info("Loaded snapshot at revision {} ({} instances)", snap.revision(), snap.services().size());
        return Future.succeededFuture(window);
      }
      if (attemptsLeft == 0) {
        return Future.failedFuture("no snapshot reaches revision " + (window.headRevision() + 1) + " after "
            + SNAPSHOT_ATTEMPTS + " attempts (is the log's capacity too small for the write rate?)");
      }
      return vertx.eventBus().request(Addresses.SNAPSHOT_REQUEST, null, new DeliveryOptions().setSendTimeout(30_000))
          .compose(
              reply -> readWindow().compose(now -> loadSnapshot(now, attemptsLeft - 1)),
              err -> {
                if (err instanceof ReplyException && ((ReplyException) err).failureType() == ReplyFailure.NO_HANDLERS) {
                  log.warn("The log no longer holds revision {} and no ready node can give a snapshot; starting "
                      + "from revision {}: instances registered before it are lost", node.replica().revision() + 1,
                      window.headRevision() + 1);
                  node.replica().load(Snapshot.empty(window.headRevision()));
                  resetHistory(window.headRevision());
                  return Future.succeededFuture(window);
                }
                return Future.failedFuture(err);
              });
    });
  }

  private void checkReady() {
    if (node.ready() || nextSequence < catchUpTarget) {
      return;
    }
    node.ready(true);
    if (snapshotConsumer == null) {
      snapshotConsumer = vertx.eventBus().consumer(Addresses.SNAPSHOT_REQUEST, this::onSnapshotRequest);
    }
    log.info("Node {} caught up at revision {}", node.nodeId(), node.replica().revision());
    if (node.isLeader()) {
      // Leader already when it caught up: publish from where the previous publisher stopped.
      startPublishing(node.replica().revision() + 1);
    }
    caughtUp.tryComplete();
  }

  /** Fell out of the ring's window: stop serving, reload, catch up again. */
  private void resync(long firstAvailable) {
    log.warn("Node {} fell behind the log (needed revision {}, oldest kept is {}); reloading from a snapshot",
        node.nodeId(), nextSequence + 1 + base, firstAvailable + 1 + base);
    stopTailing();
    catchUpRetrying();
  }

  /**
   * This member is merging into another cluster after a split (or after starting apart from its join members):
   * the log it tailed is about to be replaced by the other side's. Stop serving until that log is loaded.
   */
  private void mergeStarted() {
    log.warn("Node {} is merging into a larger cluster; it stops serving until it has reloaded that cluster's log",
        node.nodeId());
    stopTailing();
  }

  /**
   * Merged: Hazelcast kept the other side's log, snapshots and cursors (Cairn's merge policy discards this side's),
   * so this replica describes a history the cluster does not share. Start again from the cluster's.
   */
  private void merged() {
    stopTailing();
    appends.abandon("this node merged into another cluster after a split; its unconfirmed writes were not kept");
    lastSnapshotRevision = 0;
    nextSequence = 0;
    localSettled = true;
    discardLocal().onComplete(v -> catchUpRetrying());
  }

  /** A snapshot of the replica as it is now; the same object until the replica changes. */
  private Snapshot currentSnapshot() {
    Snapshot s = sharedSnapshot;
    if (s == null || s.revision() != node.replica().revision()) {
      s = node.replica().snapshot();
      sharedSnapshot = s;
    }
    return s;
  }

  /**
   * The replica was replaced: the events before {@code revision} are not this replica's history any more, and
   * watchers on this node must start over from a snapshot.
   */
  private void resetHistory(long revision) {
    sharedSnapshot = null;
    history.reset(revision);
    vertx.eventBus().publish(Addresses.APPLIED, Applied.RESET, LOCAL_ONLY);
  }

  /** Catches up again (after a gap or a merge), every second until it succeeds. */
  private void catchUpRetrying() {
    catchUp().onFailure(err -> {
      log.error("Catching up with the log failed; retrying in 1s", err);
      vertx.setTimer(1000, id -> catchUpRetrying());
    });
  }

  private void stopTailing() {
    tailing = false;
    readGeneration++;
    node.ready(false);
    if (snapshotConsumer != null) {
      snapshotConsumer.unregister();
      snapshotConsumer = null;
    }
    if (leaderPublishing) {
      leaderPublishing = false;
      fillingGap = false;
      heldDuringGapFill.clear();
      publishingGeneration++;
    }
  }

  /**
   * The reachable log ends before this replica's revision: this node is on a side of a split that holds no copy of
   * the log (or the log lost every copy). Keep serving reads from the replica; wait for the split to heal, when
   * the merge reloads everything.
   */
  private void onLogBehind(long generation) {
    if (!logBehind) {
      logBehind = true;
      log.warn("The log this node can reach ends before its replica's revision {}: it is cut off from the "
          + "members that hold the log. Serving reads from the replica until the cluster is whole again",
          node.replica().revision());
    }
    vertx.setTimer(1000, id -> {
      if (generation == readGeneration) {
        readNext();
      }
    });
  }

  /**
   * The log as a node finds it: sequences {@code head..tail} (empty when tail < head), and the revision the log
   * began after ({@code base}: 0, or the state a cold start seeded it with). The item at sequence s is revision
   * s + 1 + base.
   */
  private record LogWindow(long head, long tail, long base, boolean baseKnown) {
    boolean empty() {
      return tail < head;
    }

    /** The revision just before the first item the log still holds. */
    long headRevision() {
      return head + base;
    }
  }

  // ---------------------------------------------------------------- tailing and applying

  private void readNext() {
    if (stopped || !tailing) {
      return;
    }
    long generation = readGeneration;
    CompletionStage<ReadResultSet<byte[]>> read;
    try {
      read = ring.readManyAsync(nextSequence, 1, Math.min(READ_MAX, node.config().logCapacity()), null);
    } catch (RuntimeException e) {
      onRead(generation, null, e);
      return;
    }
    read.whenComplete((rs, err) -> context.runOnContext(v -> onRead(generation, rs, err)));
  }

  private void onRead(long generation, ReadResultSet<byte[]> rs, Throwable err) {
    if (stopped || !tailing || generation != readGeneration) {
      return;
    }
    if (err != null) {
      Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
          ? err.getCause() : err;
      if (cause instanceof HazelcastInstanceNotActiveException) {
        return;
      }
      if (cause instanceof IllegalArgumentException) {
        // Hazelcast refuses a read beyond the tail + 1: the log we reach is shorter than the one we applied.
        onLogBehind(generation);
        return;
      }
      log.warn("Reading the log failed ({}); retrying", cause.toString());
      vertx.setTimer(200, id -> {
        if (generation == readGeneration) {
          readNext();
        }
      });
      return;
    }
    if (logBehind) {
      logBehind = false;
      log.info("The log is reachable again at revision {}", node.replica().revision());
    }
    if (rs.size() > 0 && rs.getSequence(0) > nextSequence) {
      resync(rs.getSequence(0));
      return;
    }
    for (int i = 0; i < rs.size(); i++) {
      applyOne(rs.getSequence(i), rs.get(i));
    }
    nextSequence = rs.getNextSequenceToReadFrom();
    if (!applied.isEmpty()) {
      vertx.eventBus().publish(Addresses.APPLIED, new Applied(List.copyOf(applied), node.replica().revision()),
          LOCAL_ONLY);
      applied.clear();
    }
    flushOutgoing();
    afterBatch();
    checkReady();
    readNext();
  }

  private void applyOne(long sequence, byte[] bytes) {
    long revision = sequence + 1 + base;
    journal.append(revision, bytes);
    // Our own commands come back as bytes we just wrote: take the object we still hold instead of parsing them.
    long requestId = LogCodec.isFrom(bytes, nodeIdBytes) ? LogCodec.requestId(bytes) : -1;
    Command own = requestId >= 0 ? appends.claim(requestId) : null;
    boolean wasLeader = node.isLeader();
    Outcome outcome;
    try {
      outcome = Apply.apply(node.replica(), own != null ? own : LogCodec.decode(bytes), revision);
    } catch (RuntimeException e) {
      // Every node of this version fails on this item the same way, so skipping it keeps replicas equal; a newer
      // node that understands it would differ, which is why this is loud.
      log.error("Skipping revision {}: this node cannot apply it ({}); upgrade every node to the same version",
          revision, e.toString());
      outcome = new Outcome(Outcome.Status.SKIPPED, null, List.of(), revision);
      node.replica().skipTo(revision);
    }
    node.commandsApplied.increment();
    if (!wasLeader && node.isLeader() && node.ready()) {
      startPublishing(revision);
    } else if (wasLeader && !node.isLeader()) {
      leaderPublishing = false;
      fillingGap = false;
      heldDuringGapFill.clear();
      publishingGeneration++;
    }
    history.addAll(outcome.events());
    applied.addAll(outcome.events());
    for (Event e : outcome.events()) {
      if (leaderPublishing) {
        publish(e);
      }
    }
    if (requestId >= 0) {
      appends.applied(requestId, outcome);
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
      lastSnapshotRevision = node.replica().revision();
      writeSnapshot();
    }
  }

  // ---------------------------------------------------------------- events

  /**
   * This node leads from {@code revision} on: publish, in order, the events the previous publisher had not
   * published (from the cursor it kept in the cluster), then carry on live. Live events wait meanwhile.
   */
  private void startPublishing(long revision) {
    leaderPublishing = true;
    fillingGap = true;
    long generation = ++publishingGeneration;
    Future.fromCompletionStage(state.getAsync(PUBLISHED_CURSOR), context).onComplete(ar -> {
      if (generation != publishingGeneration) {
        return; // leadership was lost and regained meanwhile; the newer start fills the gap
      }
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

  /** A joiner needs a snapshot: store one of this replica and answer with its revision once stored. */
  private void onSnapshotRequest(Message<Object> msg) {
    writeSnapshot().onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        msg.fail(500, ar.cause().toString());
      }
    });
  }

  private Future<Long> writeSnapshot() {
    return snapshots.write(() -> node.replica().snapshot())
        .onSuccess(revision -> node.snapshotsWritten.increment());
  }
}
