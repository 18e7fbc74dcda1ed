package io.cairn.node;

/** Every event-bus address Cairn uses, in one place. "Local" addresses never leave the node. */
public final class Addresses {
  /** The registry API as a service proxy ({@code io.cairn.client.RegistryService}); one consumer per node. */
  public static final String REGISTRY = "cairn.registry";
  /** Every registry event, published once by the node that leads at that revision, in revision order. */
  public static final String EVENTS = "cairn.events";
  /** Local: append commands to the log and answer once this node's replica applied them. */
  public static final String APPEND = "cairn.replication.append";
  /** Batches of ids that heartbeated, published to every node so any future leader knows them too. */
  public static final String HEARTBEATS = "cairn.health.heartbeats";
  /** Local: one heartbeat of a healthy TTL instance, to be batched. */
  public static final String HEARTBEAT_LOCAL = "cairn.health.heartbeat";
  /** Local: what this node just applied ({@code Applied}: events and revision, or a reset), for its watchers. */
  public static final String APPLIED = "cairn.replication.applied";
  /** Local: answers with a {@code Snapshot} of this node's replica, taken between two applies. */
  public static final String REPLICA_SNAPSHOT = "cairn.replication.replica-snapshot";
  /** Local: answers with a {@code Buffer}: the replica as a snapshot file (a backup; io.cairn.wire.SnapshotFile). */
  public static final String REPLICA_SNAPSHOT_FILE = "cairn.replication.replica-snapshot-file";
  /** Batches of check results, published by each check's owner so that every node shows the latest run. */
  public static final String CHECK_RESULTS = "cairn.health.results";
  /** Prefix of a node's own address (+ node id): run one instance's check now, on its owner. */
  public static final String CHECK_RUN = "cairn.health.run.";
  /** Prefix of a node's own address (+ node id): run every check it owns (optionally of one service name) now. */
  public static final String CHECK_RUN_ALL = "cairn.health.run-all.";
  /** Local: a linearizable read barrier (Raft ReadIndex); answers once this node's replica may be read. */
  public static final String READ_INDEX = "cairn.replication.read-index";
  /** Local: a leader about to leave hands Raft leadership to another voter; answers when done (or not leading). */
  public static final String STEP_DOWN = "cairn.replication.step-down";
  /** Local: leave the cluster gracefully (append nodeLeft, wait until applied). */
  public static final String LEAVE = "cairn.node.leave";

  /** Prefix of a node's own address (+ its member id): answers with its Raft identity, which admits it. */
  public static final String PEER = "cairn.replication.peer.";
  /** The revision up to which the leader published events, told to every node so that the next leader goes on. */
  public static final String EVENTS_PUBLISHED = "cairn.replication.events-published";

  /** Prefix of a bridge's address (+ bridge id): the node running it publishes its {@code BridgeStatus} there. */
  public static final String BRIDGE_STATUS = "cairn.bridge.status.";

  /** Local: the TLS certificate files changed on disk; every listener reloads them. */
  public static final String TLS_CHANGED = "cairn.security.tls-changed";

  private Addresses() {
  }
}
