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
  private volatile long lastQuorateAt;
  private final CairnConfig config;
  private final String nodeId;
  private final Replica replica = new Replica();
  private final AtomicBoolean ready = new AtomicBoolean();
  private volatile boolean leaving;
  private final long startedAt = System.currentTimeMillis();
  public final LongAdder commandsApplied = new LongAdder();
  public final LongAdder appendCalls = new LongAdder();
  public final LongAdder commandsAppended = new LongAdder();
  public final LongAdder snapshotsLoaded = new LongAdder();
  public final LongAdder snapshotsWritten = new LongAdder();
  public final LongAdder eventsPublished = new LongAdder();
  /** What this node's replica applied: serviceRegistered, serviceDeregistered and leaderElected events. */
  public final LongAdder registrationsApplied = new LongAdder();
  public final LongAdder deregistrationsApplied = new LongAdder();
  public final LongAdder leaderElectionsApplied = new LongAdder();
  /** Open watches by kind (sse, websocket, grpc), over every gateway loop of this node. */
  public final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> watchers = java.util.Map.of(
      "sse", new java.util.concurrent.atomic.AtomicInteger(),
      "websocket", new java.util.concurrent.atomic.AtomicInteger(),
      "grpc", new java.util.concurrent.atomic.AtomicInteger());
  /** Connected agents: open gRPC Heartbeat streams (an agent's KeepAlive) on this node. */
  public final java.util.concurrent.atomic.AtomicInteger agents = new java.util.concurrent.atomic.AtomicInteger();
  private volatile String memberId = "";
  private volatile io.cairn.replication.RaftStatus raft = io.cairn.replication.RaftStatus.NONE;
  private volatile io.cairn.replication.Standing standing = io.cairn.replication.Standing.UNMEASURED;
  /** What each other node says is wrong with it (not current: a failed log, lagging), by node id; absent: nothing. */
  private volatile java.util.Map<String, String> peerProblems = java.util.Map.of();
  /** Incarnation ids (see NodeInfo.memberId) of the admitted members Hazelcast lists now. */
  private volatile java.util.Set<String> liveMembers = java.util.Set.of();
  /** Incarnation ids of the members that proved they are nodes of this cluster (replication's PeerDirectory). */
  private volatile java.util.Set<String> admittedMembers = java.util.Set.of();
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

  private final io.cairn.security.Security security;
  private final io.cairn.api.Access access;

  public NodeContext(CairnConfig config) {
    this.config = config;
    this.nodeId = config.nodeId();
    this.security = new io.cairn.security.Security(config);
    this.access = new io.cairn.api.Access(config, security);
    this.checkers = io.cairn.health.Checkers.load(nodeId, config.checkTargets());
    java.util.Set<String> types = new java.util.HashSet<>(checkers.types());
    types.add(io.cairn.model.Check.TTL);
    this.checkDefaults = config.checkDefaults(types);
    this.eventHistory = new io.cairn.registry.EventHistory(config.eventHistory());
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

  /** The tokens and ACL policy in force, kept current by the security verticle. */
  public io.cairn.security.Security security() {
    return security;
  }

  /** Who callers are and what they may do: every transport asks it. */
  public io.cairn.api.Access access() {
    return access;
  }

  /** The events this node applied lately (written by the replication verticle, read by watchers). */
  public io.cairn.registry.EventHistory eventHistory() {
    return eventHistory;
  }

  /** The base URL of another live node, for a client this node turns away or sends elsewhere; null if none. */
  public String anotherNodeUrl() {
    io.cairn.model.NodeInfo other = anotherNode();
    return other == null ? null : other.baseUrl(config.tlsEnabled());
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

  private static final io.micrometer.core.instrument.MeterRegistry NO_METRICS =
      new io.micrometer.core.instrument.composite.CompositeMeterRegistry();

  /** This node's metrics registry (Prometheus, on /metrics), or one that keeps nothing when metrics are off. */
  public io.micrometer.core.instrument.MeterRegistry meters() {
    io.micrometer.core.instrument.MeterRegistry registry =
        io.vertx.micrometer.backends.BackendRegistries.getNow(CairnNode.metricsRegistryName(config));
    return registry == null ? NO_METRICS : registry;
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
   * Leader, and in a position to act as one: Raft's leader of the term the log names, in touch with a majority,
   * and not leaving. A deposed leader's commands would be refused anyway (Apply checks their term against their
   * log entry's); this keeps it from proposing them.
   */
  public boolean actsAsLeader() {
    io.cairn.replication.RaftStatus r = raft;
    return isLeader() && r.isLeader() && r.quorate() && replica.term() == r.term() && !leaving;
  }

  /** This node's part in the Raft group, as last measured. */
  public io.cairn.replication.RaftStatus raft() {
    return raft;
  }

  public void raft(io.cairn.replication.RaftStatus status) {
    raft = status;
    if (current()) {
      lastQuorateAt = System.currentTimeMillis();
    }
  }

  /** This node's storage, lag and quota, as last measured (once a second). */
  public io.cairn.replication.Standing standing() {
    return standing;
  }

  public void standing(io.cairn.replication.Standing s) {
    standing = s;
  }

  public java.util.Map<String, String> peerProblems() {
    return peerProblems;
  }

  public void peerProblems(java.util.Map<String, String> problems) {
    peerProblems = java.util.Map.copyOf(problems);
  }

  /**
   * What this node serves is current: it is in touch with a leader that a majority follows, it can write its log,
   * and it is not further behind than replication.maxLag. Otherwise reads are marked stale and /health says why.
   */
  public boolean current() {
    return raft.quorate() && standing.problem() == null;
  }

  /** Why what this node serves may not be current (cut off, a failed log, lagging), or null. */
  public String notCurrentBecause() {
    if (!raft.quorate()) {
      return "it is not in touch with a Raft leader that a majority follows";
    }
    return standing.problem();
  }

  /** Milliseconds since this node last knew itself current ({@link #current}); 0 while it is. */
  public long lastContactMillis() {
    return current() ? 0 : System.currentTimeMillis() - (lastQuorateAt > 0 ? lastQuorateAt : startedAt());
  }

  /**
   * True while this node can take writes: it is in touch with a Raft leader that is in touch with a majority. On
   * the minority side of a split, writes answer 503 no-quorum and reads are marked stale.
   */
  public boolean quorate() {
    return raft.quorate();
  }


  public java.util.Set<String> liveMembers() {
    return liveMembers;
  }

  public void liveMembers(java.util.Set<String> members) {
    liveMembers = java.util.Set.copyOf(members);
  }

  /** The members admitted as nodes of this cluster (written by replication, which asks them over the event bus). */
  public java.util.Set<String> admittedMembers() {
    return admittedMembers;
  }

  public void admittedMembers(java.util.Set<String> members) {
    admittedMembers = java.util.Set.copyOf(members);
  }
}
