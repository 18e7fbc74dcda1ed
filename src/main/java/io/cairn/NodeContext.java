package io.cairn;

import io.cairn.config.CairnConfig;
import io.cairn.registry.Replica;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the verticles of one node share besides the event bus: the configuration, the replica (written only by the
 * replication verticle, read by everyone), whether the node is caught up, and a few counters for /v1/stats.
 */
public final class NodeContext {
  private final CairnConfig config;
  private final String nodeId;
  private final Replica replica = new Replica();
  private final AtomicBoolean ready = new AtomicBoolean();
  private volatile boolean leaving;
  private volatile boolean quorate = true;
  private final long startedAt = System.currentTimeMillis();
  public final LongAdder commandsApplied = new LongAdder();
  public final LongAdder appendCalls = new LongAdder();
  public final LongAdder commandsAppended = new LongAdder();
  public final LongAdder snapshotsLoaded = new LongAdder();
  public final LongAdder snapshotsWritten = new LongAdder();
  public final LongAdder eventsPublished = new LongAdder();
  private volatile String memberId = "";
  private volatile boolean holdsLeaderLock;
  private volatile boolean raftMember;
  private volatile int raftGroupMembers;
  /** Incarnation ids (see NodeInfo.memberId) of the members Hazelcast sees now. */
  private volatile java.util.Set<String> liveMembers = java.util.Set.of();
  /** The check types this node runs and the settings a check leaves out. */
  private final io.cairn.model.CheckDefaults checkDefaults;
  /** The latest run of each instance's check, whichever node ran it (only transitions are in the log). */
  public final java.util.Map<String, io.cairn.model.CheckOutcome> checkResults =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final io.cairn.health.Checkers checkers;
  private final io.cairn.registry.EventHistory eventHistory;
  public final io.cairn.health.CheckStats checkStats = new io.cairn.health.CheckStats();
  /** HTTP requests being served, so that a shutdown can wait for them. */
  public final java.util.concurrent.atomic.AtomicInteger requestsInFlight = new java.util.concurrent.atomic.AtomicInteger();
  /** gRPC streaming calls (Watch, Heartbeat) open on this node, against grpc.maxClients. */
  public final java.util.concurrent.atomic.AtomicInteger grpcStreams = new java.util.concurrent.atomic.AtomicInteger();

  public NodeContext(CairnConfig config) {
    this.config = config;
    this.nodeId = config.nodeId();
    this.checkers = io.cairn.health.Checkers.load(nodeId);
    java.util.Set<String> types = new java.util.HashSet<>(checkers.types());
    types.add(io.cairn.model.Check.TTL);
    this.checkDefaults = config.checkDefaults(types);
    this.eventHistory = new io.cairn.registry.EventHistory(config.eventHistory());
  }

  private volatile long commitRevision;

  /** The cluster log's last revision, as last measured (about once a second). */
  public void commitRevision(long revision) {
    commitRevision = revision;
  }

  public long commitRevision() {
    return commitRevision;
  }

  private volatile String logOwnerMember;

  /** The cluster member (Vert.x node id) whose partition holds the log's primary copy, as last measured. */
  public void logOwnerMember(String memberId) {
    logOwnerMember = memberId;
  }

  /** The node id of the log's owner, when it is a Cairn node this replica knows; null otherwise. */
  public String logOwnerNode() {
    String member = logOwnerMember;
    if (member == null) {
      return null;
    }
    for (io.cairn.model.NodeInfo n : replica.nodes().values()) {
      if (member.equals(n.memberId())) {
        return n.id();
      }
    }
    return null;
  }

  private volatile long diskSnapshotRevision;
  private volatile long diskSnapshotAt;

  /** The newest snapshot this node wrote to disk: its revision, and when (0 before the first). */
  public void diskSnapshot(long revision, long at) {
    diskSnapshotRevision = revision;
    diskSnapshotAt = at;
  }

  public long diskSnapshotRevision() {
    return diskSnapshotRevision;
  }

  public long diskSnapshotAt() {
    return diskSnapshotAt;
  }

  /** The events this node applied lately (written by the replication verticle, read by watchers). */
  public io.cairn.registry.EventHistory eventHistory() {
    return eventHistory;
  }

  /** The base URL of another live node, for a client this node turns away or sends elsewhere; null if none. */
  public String anotherNodeUrl() {
    io.cairn.model.NodeInfo other = anotherNode();
    return other == null ? null : other.baseUrl();
  }

  /** An alive node other than this one (where a client should go when this one leaves), or null. */
  public io.cairn.model.NodeInfo anotherNode() {
    for (io.cairn.model.NodeInfo n : replica.nodes().values()) {
      if (n.alive() && !n.id().equals(nodeId)) {
        return n;
      }
    }
    return null;
  }

  public io.cairn.model.CheckDefaults checkDefaults() {
    return checkDefaults;
  }

  public io.cairn.health.Checkers checkers() {
    return checkers;
  }

  /**
   * The nodes that own health checks now: alive in the replica and members of the cluster as Hazelcast sees it
   * (a node that died but whose failure is not yet recorded owns nothing).
   */
  public java.util.List<String> checkOwners() {
    java.util.Set<String> live = liveMembers;
    java.util.List<String> owners = new java.util.ArrayList<>();
    for (io.cairn.model.NodeInfo n : replica.nodes().values()) {
      if (n.alive() && live.contains(n.memberId())) {
        owners.add(n.id());
      }
    }
    return owners;
  }

  public CairnConfig config() {
    return config;
  }

  public String nodeId() {
    return nodeId;
  }

  public Replica replica() {
    return replica;
  }

  /** True once the replica has caught up with the log; registry requests are refused before. */
  public boolean ready() {
    return ready.get();
  }

  public void ready(boolean value) {
    ready.set(value);
  }

  /** Shutting down: no new writes, leadership handed over. */
  public boolean leaving() {
    return leaving;
  }

  public void leaving(boolean value) {
    leaving = value;
  }

  /**
   * True while this node's side of the cluster has enough members to take writes (cluster.quorum). Kept by the
   * membership verticle from Hazelcast's split-brain protection, the same test the log applies to every append.
   */
  public boolean quorate() {
    return quorate;
  }

  public void quorate(boolean value) {
    quorate = value;
  }

  public long startedAt() {
    return startedAt;
  }

  /** This node's incarnation id: its Vert.x cluster node id, which changes on every start but not on a merge. */
  public String memberId() {
    return memberId;
  }

  public void memberId(String id) {
    this.memberId = id;
  }

  /** The log names this node leader. */
  public boolean isLeader() {
    return nodeId.equals(replica.leader());
  }

  /**
   * Leader, and in a position to act as one: not leaving, and on a side of the cluster with quorum, so that a
   * leader cut off in a minority never decides housekeeping.
   */
  public boolean actsAsLeader() {
    return isLeader() && holdsLeaderLock && quorate && !leaving;
  }

  /** This node holds the CP leader lock (kept by the membership verticle). */
  public boolean holdsLeaderLock() {
    return holdsLeaderLock;
  }

  public void holdsLeaderLock(boolean value) {
    holdsLeaderLock = value;
  }

  /** This node is one of the CP (Raft) members that elect the leader (Raft mode only). */
  public boolean raftMember() {
    return raftMember;
  }

  public void raftMember(boolean value) {
    raftMember = value;
  }

  /** Members of the smallest Raft group, as last measured (Raft mode only). */
  public int raftGroupMembers() {
    return raftGroupMembers;
  }

  public void raftGroupMembers(int value) {
    raftGroupMembers = value;
  }

  public java.util.Set<String> liveMembers() {
    return liveMembers;
  }

  public void liveMembers(java.util.Set<String> members) {
    liveMembers = java.util.Set.copyOf(members);
  }
}
