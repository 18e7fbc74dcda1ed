package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.registry.Apply;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.cairn.registry.Snapshot;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The registry as a Ratis state machine: every committed entry holds the {@link Command}s one node proposed
 * together, applied in order with the pure {@link Apply} to this node's {@link Replica} at the entry's index, which
 * is their revision. Ratis calls {@link #applyTransaction} on one thread, in log order, on every node; so every
 * replica goes through the same states.
 *
 * <p>Snapshots are the replica in {@link LogCodec}'s gzip format, one file per snapshot in Ratis' state-machine
 * storage ({@code <dataDir>/raft/<group>/sm}); Ratis deletes the log they cover and ships them to a node too far
 * behind, which then {@link #reinitialize}s from the newest one.
 *
 * <p>What each apply decided is handed to {@link Listener} on Ratis' thread; the replication verticle takes it
 * from there onto its event loop.
 */
final class RegistryStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(RegistryStateMachine.class);
  /** How a leader's refusal of an entry for storage or quota begins, as the proposing node receives it. */
  static final String INSUFFICIENT_STORAGE = "insufficient_storage: ";

  /** What the state machine tells the node; called on Ratis' threads, so implementations only hand over. */
  interface Listener {
    /**
     * The commands of one entry applied at {@code revision}, handed over together so that the revision reaches
     * watchers whole; {@code requestIds[i]} is this node's number for command i, or -1.
     */
    void applied(long revision, long[] requestIds, Outcome[] outcomes);

    /** The replica was replaced by a snapshot at this revision (a node too far behind). */
    void reset(long revision);

    /** This node leads and has committed an entry of its term: it may act as leader now. */
    void leaderReady();

    /** This node's division learned of a new leader (null: it knows none now, an election is under way). */
    void leaderChanged(RaftPeerId leader);

    /** Ratis could not write this node's log; it writes no more until the division is restarted. */
    void logFailed(Throwable cause);

    void snapshotTaken(long revision);
  }

  private final Replica replica;
  private final EventHistory history;
  private final byte[] origin;
  /** The command this node proposed under a request id, so that its own entries need not be parsed again. */
  private final LongFunction<Command> ownCommands;
  private final Listener listener;
  /** On the leader: why an entry may not be appended, or null (see {@link #startTransaction}). */
  private final Function<ByteBuffer, String> admission;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  /** The last snapshot handed to watchers; dropped whenever a command is applied. */
  private Snapshot shared;
  /** Snapshots are written to disk here, one at a time, off Ratis' applying thread. */
  private final ExecutorService snapshotWriter = Executors
      .newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cairn-snapshot-writer");
        t.setDaemon(true);
        return t;
      });
  private CompletableFuture<Void> writing;
  private final CommitHeartbeat commitHeartbeat;

  /** Where a restarted division's replica already is (null for a first start, which loads the newest snapshot). */
  private final TermIndex appliedBefore;

  RegistryStateMachine(Replica replica, EventHistory history, String nodeId, LongFunction<Command> ownCommands,
                       Listener listener, Function<ByteBuffer, String> admission, TermIndex appliedBefore,
                       Supplier<RaftServer.Division> division, BooleanSupplier writesWaiting) {
    this.replica = replica;
    this.admission = admission;
    this.history = history;
    this.origin = nodeId.getBytes(StandardCharsets.UTF_8);
    this.ownCommands = ownCommands;
    this.listener = listener;
    this.appliedBefore = appliedBefore;
    this.commitHeartbeat = new CommitHeartbeat(division, writesWaiting);
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    getLifeCycle().startAndTransition(() -> {
      if (appliedBefore != null) {
        // The replica in memory is at this index, and the log on disk holds every entry up to it: Ratis applies
        // from the next one.
        setLastAppliedTermIndex(appliedBefore);
      } else {
        load(storage.getLatestSnapshot());
      }
    });
  }

  /** Ratis pauses the state machine before it installs a snapshot from the leader, then reinitializes it. */
  @Override
  public void pause() {
    // Once per snapshot chunk, and again for a retried install: already paused is fine.
    getLifeCycle().transitionIfValid(LifeCycle.State.PAUSING);
    getLifeCycle().transitionIfValid(LifeCycle.State.PAUSED);
  }

  @Override
  public void reinitialize() throws IOException {
    getLifeCycle().startAndTransition(() -> load(storage.loadLatestSnapshot()));
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long revision = entry.getIndex();
    if (appliedAlready(revision)) {
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    List<byte[]> items;
    try {
      items = LogCodec.items(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
    } catch (RuntimeException e) {
      log.error("Skipping revision {}: it is not a Cairn log entry ({})", revision, e.toString());
      items = List.of();
    }
    long[] requestIds = new long[items.size()];
    Outcome[] outcomes = new Outcome[items.size()];
    // One entry is one revision: readers and watchers see it whole or not at all.
    synchronized (this) {
      replica.beginEntry();
      try {
        for (int i = 0; i < items.size(); i++) {
          byte[] item = items.get(i);
          requestIds[i] = LogCodec.isFrom(item, origin) ? LogCodec.requestId(item) : -1;
          if (!replica.firstApplication(LogCodec.origin(item), LogCodec.requestId(item))) {
            // A repeat of a command applied already (see Replica.firstApplication): its caller has its answer.
            outcomes[i] = new Outcome(Outcome.Status.SKIPPED, null, List.of(), revision);
            requestIds[i] = -1;
            replica.skipTo(revision);
            continue;
          }
          Command own = requestIds[i] >= 0 ? ownCommands.apply(requestIds[i]) : null;
          try {
            outcomes[i] = Apply.apply(replica, own != null ? own : LogCodec.decode(item), revision, entry.getTerm());
          } catch (RuntimeException e) {
            // Every node of this version fails on this command alike, so skipping it keeps replicas equal; a newer
            // node that understands it would differ, which is why this is loud.
            log.error("Skipping a command at revision {}: this node cannot apply it ({}); upgrade every node to "
                + "the same version", revision, e.toString());
            outcomes[i] = new Outcome(Outcome.Status.SKIPPED, null, List.of(), revision);
            replica.skipTo(revision);
          }
        }
      } finally {
        replica.endEntry();
      }
      // The revision enters the history whole, so that a watcher reading it never gets half of one.
      List<Event> events = new ArrayList<>();
      for (Outcome o : outcomes) {
        events.addAll(o.events());
      }
      history.addAll(events);
      shared = null;
      updateLastAppliedTermIndex(entry.getTerm(), revision);
    }
    listener.applied(revision, requestIds, outcomes);
    commitHeartbeat.applied(revision);
    return CompletableFuture.completedFuture(Message.EMPTY);
  }

  /** Configuration entries move the applied index too, but never back (see appliedAlready). */
  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    if (!appliedAlready(index)) {
      super.notifyTermIndexUpdated(term, index);
      commitHeartbeat.applied(index);
    }
  }

  /**
   * The replica has this entry already. A division restarted after its log failed (a full disk) carries on from
   * what the replica applied, but Ratis replays from the commit point its log on disk recorded, which lags what it
   * had applied from memory: those entries are skipped, not applied twice.
   */
  private boolean appliedAlready(long index) {
    TermIndex last = getLastAppliedTermIndex();
    return last != null && index <= last.getIndex();
  }

  /** The replica at one revision, shared by every watcher that asks before the next apply. Any thread. */
  synchronized Snapshot snapshotForWatchers() {
    if (shared == null) {
      shared = replica.snapshot();
    }
    return shared;
  }

  /** Linearizable reads: Ratis calls this once this node has applied the read index; the caller reads the replica. */
  @Override
  public CompletableFuture<Message> query(Message request) {
    return CompletableFuture.completedFuture(Message.EMPTY);
  }

  /**
   * Captures the replica (a copy of its immutable entries, between two applies: Ratis calls this on its applying
   * thread) and writes it on a thread of its own, so that encoding and forcing a large registry never holds up the
   * log; returns the index of the newest snapshot already on disk, which is what Ratis may compact up to. The next
   * call (Ratis calls again while the newest snapshot lags) then reports the one just written.
   */
  @Override
  public long takeSnapshot() {
    if (writing != null && writing.isDone()) {
      // One just finished: report it; Ratis asks again once enough has been applied since.
      writing = null;
    } else if (writing == null) {
      TermIndex last;
      Snapshot snapshot;
      synchronized (this) {
        last = getLastAppliedTermIndex();
        snapshot = replica.snapshot();
      }
      if (last != null && last.getIndex() > 0 && last.getIndex() > latestSnapshotIndex()) {
        writing = CompletableFuture.runAsync(() -> write(snapshot, last), snapshotWriter);
      }
    }
    return latestSnapshotIndex();
  }

  private long latestSnapshotIndex() {
    SingleFileSnapshotInfo latest = storage.getLatestSnapshot();
    return latest == null ? -1 : latest.getIndex();
  }

  private void write(Snapshot snapshot, TermIndex last) {
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    File tmp = new File(file.getParentFile(), file.getName() + ".tmp");
    try {
      try (FileChannel out = FileChannel.open(tmp.toPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.wrap(LogCodec.encode(snapshot));
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
        out.force(true);
      }
      Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
      storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
      listener.snapshotTaken(last.getIndex());
    } catch (IOException | RuntimeException e) {
      log.error("Cannot write the snapshot at revision {} into {}", last.getIndex(), file.getParent(), e);
    }
  }

  @Override
  public void close() {
    snapshotWriter.shutdown();
  }

  private void load(SingleFileSnapshotInfo info) throws IOException {
    if (info == null) {
      return;
    }
    File file = info.getFile().getPath().toFile();
    Snapshot snapshot = LogCodec.decodeSnapshot(Files.readAllBytes(file.toPath()));
    synchronized (this) {
      replica.load(snapshot);
      history.reset(snapshot.revision());
      shared = null;
      setLastAppliedTermIndex(info.getTermIndex());
    }
    log.info("Loaded the snapshot at revision {}: {} instances", snapshot.revision(), replica.size());
    listener.reset(snapshot.revision());
  }

  /**
   * On the leader, before an entry is appended: an entry the leader may not take (its disk is short of space, or
   * the registry would pass its quota) is refused whole, so that every node agrees it never happened. The node that
   * proposed it answers 507 insufficient_storage.
   */
  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    TransactionContext context = super.startTransaction(request);
    String refusal = admission.apply(request.getMessage().getContent().asReadOnlyByteBuffer());
    if (refusal != null) {
      context.setException(new IOException(INSUFFICIENT_STORAGE + refusal));
    }
    return context;
  }

  @Override
  public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
    listener.logFailed(cause);
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    listener.leaderChanged(newLeaderId);
  }

  @Override
  public void notifyLeaderReady() {
    listener.leaderReady();
  }
}
