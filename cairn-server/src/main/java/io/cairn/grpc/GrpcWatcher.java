package io.cairn.grpc;

import io.cairn.api.EncodedEvents;
import io.cairn.api.EventFilter;
import io.cairn.api.StreamWatcher;
import io.cairn.api.Watcher;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.model.Event;
import io.cairn.registry.Snapshot;
import io.cairn.wire.GrpcTrailers;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;

import java.util.List;
import java.util.function.Consumer;

/**
 * A gRPC Watch call as the {@code WatchHub} sees it: events as {@link WatchEvent} messages, a snapshot (after a
 * reset) as one message carrying the whole filtered registry, progress notes, and a goodbye before the node leaves.
 */
final class GrpcWatcher extends StreamWatcher<WatchEvent> {
  private final GrpcServerResponse<WatchRequest, WatchEvent> response;

  /** {@code onClose} runs once, when the client cancels or the call ends. */
  GrpcWatcher(GrpcServerRequest<WatchRequest, WatchEvent> call, EventFilter filter, Consumer<Watcher> onClose) {
    super("grpc", call.response(), filter, onClose);
    this.response = call.response();
    // A cancelled call, a reset stream, a closed connection: each ends up here.
    call.exceptionHandler(e -> ended());
    call.errorHandler(e -> ended());
    response.exceptionHandler(e -> ended());
  }

  @Override
  protected List<WatchEvent> eventFrames(List<Event> events, EncodedEvents encoded) {
    return events.stream().map(e -> encoded.as(e, ProtoMapping::event)).toList();
  }

  @Override
  protected WatchEvent resetFrame(long revision) {
    return WatchEvent.newBuilder().setType("reset").setRevision(revision).build();
  }

  @Override
  protected WatchEvent snapshotFrame(Snapshot narrowed, EventFilter filter) {
    return ProtoMapping.snapshot(narrowed);
  }

  @Override
  protected WatchEvent progressFrame(long revision) {
    return WatchEvent.newBuilder().setType("progress").setRevision(revision).build();
  }

  @Override
  protected WatchEvent goodbyeFrame(String reconnect) {
    return WatchEvent.newBuilder().setType("goodbye").setReconnect(reconnect).build();
  }

  @Override
  protected void writeFrame(WatchEvent message) {
    response.write(message);
  }

  /** UNAVAILABLE after the goodbye, naming where to resume; a call ended by the server reports its end here. */
  @Override
  protected void end(String reconnect) {
    if (!reconnect.isEmpty()) {
      response.trailers().set(GrpcTrailers.RETRY_AT, reconnect);
    }
    GrpcErrors.end(response, GrpcStatus.UNAVAILABLE, "leaving: this node is shutting down"
        + (reconnect.isEmpty() ? "" : "; resume the watch at " + reconnect));
    ended();
  }
}
