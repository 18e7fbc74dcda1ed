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
  private final long startedAt = System.currentTimeMillis();
  public final LongAdder commandsApplied = new LongAdder();
  public final LongAdder appendCalls = new LongAdder();
  public final LongAdder commandsAppended = new LongAdder();
  public final LongAdder snapshotsLoaded = new LongAdder();
  public final LongAdder snapshotsWritten = new LongAdder();
  public final LongAdder eventsPublished = new LongAdder();
  private volatile String memberId = "";

  public NodeContext(CairnConfig config) {
    this.config = config;
    this.nodeId = config.nodeId();
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

  public long startedAt() {
    return startedAt;
  }

  /** This node's Hazelcast member UUID. */
  public String memberId() {
    return memberId;
  }

  public void memberId(String id) {
    this.memberId = id;
  }

  public boolean isLeader() {
    return nodeId.equals(replica.leader());
  }
}
