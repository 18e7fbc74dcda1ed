package io.cairn.api;

import io.cairn.model.Event;
import io.cairn.registry.Snapshot;

import java.util.List;

/**
 * One open change stream (an SSE response, a WebSocket, a gRPC Watch call) as the {@link WatchHub} sees it. Called
 * on the hub's event loop only. {@link StreamWatcher} is what the transports' watchers share.
 */
public interface Watcher {

  /** The kind of stream, a label of cairn_watchers: sse, websocket or grpc. */
  String kind();

  /** Whether this watcher wants the event (its name and tag filter). */
  boolean wants(Event event);

  /** Events of whole revisions, oldest first, already filtered; {@code encoded} encodes each once per batch. */
  void send(List<Event> events, EncodedEvents encoded);

  /** Start over: the registry at one revision (a reset, or the first frame), then events after it. */
  void sendSnapshot(Snapshot snapshot, boolean reset);

  /**
   * Every event up to {@code revision} that this watcher wants has been sent: revisions without such events move
   * the client's revision too (what it shows as "up to date with").
   */
  void sendProgress(long revision);

  /** False once the client is gone. */
  boolean open();

  /** True while the client does not keep up (its write queue is full): the hub stops sending until it drains. */
  boolean behind();

  /** Calls {@code action} once, when a full write queue has drained. */
  void whenDrained(Runnable action);
}
