package io.cairn.grpc;

import io.cairn.wire.GrpcTrailers;
import io.cairn.api.EncodedEvents;
import io.cairn.api.EventFilter;
import io.cairn.api.Watcher;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.model.Event;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;

import java.util.List;
import java.util.function.Consumer;

/**
 * A gRPC Watch call as the {@code WatchHub} sees it: events as {@link WatchEvent} messages, a snapshot (after a
 * reset) as one message carrying the whole filtered registry, progress notes, and a goodbye before the node leaves.
 */
final class GrpcWatcher implements Watcher {
  private final GrpcServerResponse<WatchRequest, WatchEvent> response;
  private final EventFilter filter;
  private final Runnable onEnd;
  private boolean open = true;

  /** {@code onClose} runs once, when the client cancels or the call ends. */
  GrpcWatcher(GrpcServerRequest<WatchRequest, WatchEvent> call, EventFilter filter, Consumer<GrpcWatcher> onClose) {
    this.response = call.response();
    this.filter = filter;
    Runnable closed = () -> {
      if (open) {
        open = false;
        onClose.accept(this);
      }
    };
    // A cancelled call, a reset stream, a closed connection: each ends up here.
    call.exceptionHandler(e -> closed.run());
    call.errorHandler(e -> closed.run());
    response.exceptionHandler(e -> closed.run());
    this.onEnd = closed;
  }

  @Override
  public boolean wants(Event event) {
    return filter.wants(event);
  }

  @Override
  public void send(List<Event> events, EncodedEvents encoded) {
    for (Event e : events) {
      if (open) {
        response.write(encoded.as(e, ProtoMapping::event));
      }
    }
  }

  @Override
  public void sendSnapshot(Snapshot snapshot, boolean reset) {
    if (!open) {
      return;
    }
    if (reset) {
      response.write(WatchEvent.newBuilder().setType("reset").setRevision(snapshot.revision()).build());
    }
    Snapshot mine = filter.narrow(snapshot);
    WatchEvent.Builder b = WatchEvent.newBuilder().setType("snapshot").setRevision(mine.revision())
        .setTerm(mine.term());
    if (mine.leader() != null) {
      b.setLeader(mine.leader());
    }
    for (ServiceEntry e : mine.services()) {
      b.addInstances(ProtoMapping.instance(e));
    }
    for (NodeInfo n : mine.nodes()) {
      b.addNodes(ProtoMapping.node(n, n.status().json(), n.id().equals(mine.leader()) ? "leader" : "none", 0));
    }
    response.write(b.build());
  }

  @Override
  public void sendProgress(long revision) {
    if (open) {
      response.write(WatchEvent.newBuilder().setType("progress").setRevision(revision).build());
    }
  }

  @Override
  public String kind() {
    return "grpc";
  }

  @Override
  public boolean open() {
    return open;
  }

  @Override
  public boolean behind() {
    return response.writeQueueFull();
  }

  @Override
  public void whenDrained(Runnable action) {
    Watcher.onceDrained(response, action);
  }

  /** The node is leaving: a goodbye naming another node, then UNAVAILABLE, so the client resumes there. */
  void close(String reconnect) {
    if (!open) {
      return;
    }
    response.write(WatchEvent.newBuilder().setType("goodbye").setReconnect(reconnect).build());
    if (!reconnect.isEmpty()) {
      response.trailers().set(GrpcTrailers.RETRY_AT, reconnect);
    }
    GrpcErrors.end(response, GrpcStatus.UNAVAILABLE, "leaving: this node is shutting down"
        + (reconnect.isEmpty() ? "" : "; resume the watch at " + reconnect));
    onEnd.run();
  }
}
