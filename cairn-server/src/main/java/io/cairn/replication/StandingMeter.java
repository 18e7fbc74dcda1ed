package io.cairn.replication;

import io.cairn.config.CairnConfig;
import io.cairn.model.Command;
import io.cairn.model.ModelJson;
import io.cairn.model.ServiceEntry;
import io.cairn.node.CommandLog;
import io.cairn.node.Standing;
import io.cairn.registry.Replica;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

/**
 * Measures this node's {@link Standing} once a second (free space, a failed log write, its lag behind the leader,
 * the registry against its quota) and paces the restarts that bring a failed log back. Runs on the replication
 * verticle's loop; {@link #standing} is read from any thread.
 */
final class StandingMeter {
  private static final Logger log = LoggerFactory.getLogger(StandingMeter.class);
  /** Instances encoded to estimate the registry's size: their mean size times the count. */
  private static final int SAMPLE = 64;
  /** Free space a restarted log needs at the least: Ratis preallocates up to 1 MB for a new segment. */
  private static final long RESTART_NEEDS_BYTES = 2L << 20;
  private static final long RESTART_BACKOFF_MAX_MILLIS = 30_000;
  /** Announcements kept while behind: enough for their times to tell the lag, however long it lasts. */
  private static final int ANNOUNCED_MAX = 1000;

  private final CairnConfig cfg;
  private final String nodeId;
  private final Replica replica;
  private final File dataDir;
  private final long maxBytes;
  private String logFailure;
  private long restartBackoffMillis;
  private long nextRestartAt;
  /** The highest revision a leader said it published. */
  private long leaderRevision;
  /** Revisions leaders published that this node had not applied then, with when each was heard: oldest first. */
  private final ArrayDeque<long[]> announced = new ArrayDeque<>();
  private volatile Standing standing = Standing.UNMEASURED;
  /** What was last said to be wrong (log, lag, space; null: nothing), and when. */
  private String problemKind;
  private long problemToldAt;
  /** When this node, leading short of space, last handed leadership on (never, at first). */
  private long lowSpaceHandoverAt = Long.MIN_VALUE / 2;

  StandingMeter(CairnConfig cfg, Replica replica) {
    this.cfg = cfg;
    this.nodeId = cfg.node().id();
    this.replica = replica;
    this.dataDir = cfg.node().dataDir().toAbsolutePath().toFile();
    this.maxBytes = cfg.registry().maxBytes();
  }

  Standing standing() {
    return standing;
  }

  /**
   * Ratis could not write the log: sticky until the division is restarted ({@link #restarted}). True the first
   * time since then.
   */
  boolean logFailed(Throwable cause, long now) {
    boolean first = logFailure == null;
    if (first && restartBackoffMillis == 0) {
      restartBackoffMillis = 1000;
    }
    if (first) {
      nextRestartAt = now + restartBackoffMillis;
    }
    if (first) {
      // The first cause (No space left on device); later writes fail only with "Log already failed".
      Throwable root = cause;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      logFailure = String.valueOf(root.getMessage() != null ? root.getMessage() : root);
    }
    return first;
  }

  /**
   * Time to restart the failed log's division: when there is room for a new segment again, with a back-off that
   * doubles to 30 s while it keeps failing.
   */
  private boolean restartDue(long now) {
    if (logFailure == null || now < nextRestartAt || standing.freeBytes() < RESTART_NEEDS_BYTES) {
      return false;
    }
    restartBackoffMillis = Math.min(RESTART_BACKOFF_MAX_MILLIS, Math.max(1000, restartBackoffMillis * 2));
    nextRestartAt = now + restartBackoffMillis;
    return true;
  }

  /**
   * The division was restarted: its log writes again until Ratis says otherwise. The back-off is kept until the
   * node has been current for a while, so that a disk still full costs a restart every 30 s, not every second.
   */
  void restarted() {
    logFailure = null;
  }

  /** A leader published every revision up to {@code revision}. */
  void announced(long revision, long now) {
    if (revision <= leaderRevision) {
      return;
    }
    leaderRevision = revision;
    if (revision > replica.revision() && announced.size() < ANNOUNCED_MAX) {
      announced.addLast(new long[] {revision, now});
    }
  }

  /** What the node's standing calls for. */
  enum Action {
    NONE,
    /** Restart the division whose log failed: there is room again, and the back-off has passed. */
    RESTART,
    /** This leader is short of space: hand leadership to another voter (at most every 30 s). */
    HAND_OVER
  }

  /**
   * Measures, says once a minute what is wrong while it lasts (and once when it is over), and tells what to do. A
   * leader whose log failed has already restarted its division (stepping down); a follower's is restarted once
   * there is room for a new segment.
   */
  Action judge(long now, boolean leads) {
    Standing s = measure(now);
    String kind = s.logFailure() != null ? "log" : s.problem() != null ? "lag" : s.storageRefusal() != null ? "space"
        : null;
    if (kind == null) {
      if (problemKind != null) {
        log.info("Node {} is current and takes writes again", nodeId);
      }
      problemKind = null;
    } else if (!kind.equals(problemKind) || now - problemToldAt >= 60_000) {
      problemToldAt = now;
      problemKind = kind;
      log.warn("Node {} {}", nodeId, s.problem() != null ? "is not current: " + s.problem()
          : "refuses writes: it " + s.storageRefusal());
    }
    if (restartDue(now)) {
      return Action.RESTART;
    }
    if (leads && s.freeBytes() < s.minFreeBytes() && now - lowSpaceHandoverAt > 30_000) {
      lowSpaceHandoverAt = now;
      return Action.HAND_OVER;
    }
    return Action.NONE;
  }

  Standing measure(long now) {
    long applied = replica.revision();
    while (!announced.isEmpty() && announced.peekFirst()[0] <= applied) {
      announced.pollFirst();
    }
    long lagMillis = announced.isEmpty() ? 0 : now - announced.peekFirst()[1];
    long lagRevisions = Math.max(0, leaderRevision - applied);
    int instances = replica.size();
    if (logFailure == null && now - nextRestartAt > RESTART_BACKOFF_MAX_MILLIS) {
      restartBackoffMillis = 0;
    }
    standing = new Standing(dataDir.getUsableSpace(), cfg.storage().minFreeBytes(), logFailure, lagRevisions, lagMillis,
        cfg.replication().maxLagRevisions(), cfg.replication().maxLagMillis(), instances, meanEntryBytes(), cfg.registry().maxInstances(),
        maxBytes);
    return standing;
  }

  /**
   * Why a write that arrives at this node is refused (null: it is not): the node cannot write its log or is short
   * of space (507), is behind the leader (503), or the registrations would take the registry past its quota (507).
   */
  Refusal refusal(List<Command> commands, List<byte[]> bodies) {
    Standing s = standing;
    String storage = s.storageRefusal();
    if (storage != null) {
      return new Refusal(CommandLog.INSUFFICIENT_STORAGE, "this node " + storage + "; write to another node");
    }
    String behind = s.problem();
    if (behind != null) {
      return new Refusal(503, "this node is not current: " + behind + "; write to another node");
    }
    String quota = quotaRefusal(s, commands, bodies.stream().mapToLong(b -> b.length).toArray());
    return quota == null ? null : new Refusal(CommandLog.INSUFFICIENT_STORAGE, quota);
  }

  record Refusal(int code, String why) {
  }

  /**
   * The same rules on the leader, for an entry any node proposed (on Ratis' thread, before every append): refused
   * when the leader cannot write or is short of space, or when the entry's new instances would pass the quota. The
   * count and size are read from the entry's header; only an entry that could pass the quota is parsed.
   */
  String leaderRefusal(ByteBuffer entry) {
    Standing s = standing;
    String storage = s.storageRefusal();
    if (storage != null) {
      return "the leader (" + nodeId + ") " + storage;
    }
    if (s.quotaRefusal(replica.size(), entry.getInt(entry.position()), entry.remaining()) == null) {
      return null;
    }
    List<byte[]> items = LogCodec.items(entry.duplicate());
    return quotaRefusal(s, items.stream().map(LogCodec::decode).toList(),
        items.stream().mapToLong(i -> i.length).toArray());
  }

  /** Why the registrations among {@code commands} (of these sizes) of instances the registry lacks pass the quota. */
  private String quotaRefusal(Standing s, List<Command> commands, long[] sizes) {
    int fresh = 0;
    long freshBytes = 0;
    for (int i = 0; i < commands.size(); i++) {
      Command c = commands.get(i);
      if (c.type() == Command.Type.REGISTER && replica.get(c.id()) == null) {
        fresh++;
        freshBytes += sizes[i];
      }
    }
    return s.quotaRefusal(replica.size(), fresh, freshBytes);
  }

  /** The mean encoded size of a sample of the registry's instances (0 when empty). */
  private long meanEntryBytes() {
    long bytes = 0;
    int n = 0;
    for (Iterator<ServiceEntry> it = replica.entries().iterator(); it.hasNext() && n < SAMPLE; n++) {
      bytes += ModelJson.toJson(it.next()).encode().length();
    }
    return n == 0 ? 0 : bytes / n;
  }
}
