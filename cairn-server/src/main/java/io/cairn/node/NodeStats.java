package io.cairn.node;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * The counters one node keeps for /v1/stats and /metrics: what it appended and applied, its snapshots, the events it
 * published, and what is open on it now (watches, agents, gRPC streams, HTTP requests). Each counter is counted by
 * the room that does the thing and only read by the others.
 */
public final class NodeStats {
  /** The kinds of watch: those a caller can open, and a mirroring bridge's own (on the node that runs it). */
  public static final Set<String> WATCH_KINDS = Set.of("sse", "websocket", "grpc", "bridge");

  private final LongAdder commandsApplied = new LongAdder();
  private final LongAdder appendCalls = new LongAdder();
  private final LongAdder commandsAppended = new LongAdder();
  private final LongAdder snapshotsLoaded = new LongAdder();
  private final LongAdder snapshotsWritten = new LongAdder();
  private final LongAdder eventsPublished = new LongAdder();
  private final LongAdder registrationsApplied = new LongAdder();
  private final LongAdder deregistrationsApplied = new LongAdder();
  private final LongAdder leaderElectionsApplied = new LongAdder();
  private final Map<String, AtomicInteger> watchers = WATCH_KINDS.stream()
      .collect(Collectors.toUnmodifiableMap(kind -> kind, kind -> new AtomicInteger()));
  private final AtomicInteger agents = new AtomicInteger();
  private final AtomicInteger grpcStreams = new AtomicInteger();
  private final AtomicInteger requestsInFlight = new AtomicInteger();

  /** A writer's request of {@code commands} commands was taken for the log. */
  public void commandsSubmitted(int commands) {
    commandsAppended.add(commands);
  }

  /** One batch of requests went to the Raft log as one entry. */
  public void entryProposed() {
    appendCalls.increment();
  }

  public void commandApplied() {
    commandsApplied.increment();
  }

  public void registrationApplied() {
    registrationsApplied.increment();
  }

  public void deregistrationApplied() {
    deregistrationsApplied.increment();
  }

  public void leaderElectionApplied() {
    leaderElectionsApplied.increment();
  }

  public void snapshotLoaded() {
    snapshotsLoaded.increment();
  }

  public void snapshotWritten() {
    snapshotsWritten.increment();
  }

  public void eventPublished() {
    eventsPublished.increment();
  }

  public void watchOpened(String kind) {
    watchers.get(kind).incrementAndGet();
  }

  public void watchClosed(String kind) {
    watchers.get(kind).decrementAndGet();
  }

  /** An agent's Heartbeat stream opened (an agent's KeepAlive). */
  public void agentConnected() {
    agents.incrementAndGet();
  }

  public void agentDisconnected() {
    agents.decrementAndGet();
  }

  /** Counts a gRPC streaming call (Watch, Heartbeat) in, unless {@code max} are open already. */
  public boolean grpcStreamOpened(int max) {
    if (grpcStreams.incrementAndGet() > max) {
      grpcStreams.decrementAndGet();
      return false;
    }
    return true;
  }

  public void grpcStreamClosed() {
    grpcStreams.decrementAndGet();
  }

  /** An HTTP request began being served (a shutdown waits for those in flight). */
  public void requestStarted() {
    requestsInFlight.incrementAndGet();
  }

  public void requestEnded() {
    requestsInFlight.decrementAndGet();
  }

  public long commandsApplied() {
    return commandsApplied.sum();
  }

  public long appendCalls() {
    return appendCalls.sum();
  }

  public long commandsAppended() {
    return commandsAppended.sum();
  }

  public long snapshotsLoaded() {
    return snapshotsLoaded.sum();
  }

  public long snapshotsWritten() {
    return snapshotsWritten.sum();
  }

  public long eventsPublished() {
    return eventsPublished.sum();
  }

  public long registrationsApplied() {
    return registrationsApplied.sum();
  }

  public long deregistrationsApplied() {
    return deregistrationsApplied.sum();
  }

  public long leaderElectionsApplied() {
    return leaderElectionsApplied.sum();
  }

  /** Open watches of one kind, over every gateway loop of this node. */
  public int watchers(String kind) {
    return watchers.get(kind).get();
  }

  public int agents() {
    return agents.get();
  }

  public int requestsInFlight() {
    return requestsInFlight.get();
  }
}
