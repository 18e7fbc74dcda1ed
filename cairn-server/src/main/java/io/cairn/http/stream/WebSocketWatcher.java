package io.cairn.http.stream;

import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.EncodedEvents;
import io.cairn.api.EventFilter;
import io.cairn.api.StreamWatcher;
import io.cairn.api.Watcher;
import io.cairn.model.Event;
import io.cairn.model.ModelJson;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Snapshot;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.function.Consumer;

/**
 * A WebSocket stream: text frames of JSON. {@code {"type":"snapshot", ...}} first (and after a reset, preceded by
 * {@code {"type":"reset"}}), then one frame per event ({@code {"type":"serviceRegistered", "revision", ...}}). The
 * client may send {@code {"subscribe": {"name": "...", "tag": "..."}}} to narrow what it gets; it then receives a
 * snapshot of what it subscribed to. A client that asked for {@code recent} events gets, in the snapshot that opens
 * its stream, the last ones before it (what led to the picture, for a timeline), which the snapshot already holds.
 */
final class WebSocketWatcher extends StreamWatcher<String> {
  private final ServerWebSocket socket;
  private final EventHistory history;
  /** Events of the history to send with the first snapshot; 0 once sent (or never asked). */
  private int recent;
  private final Caller caller;

  /** {@code onClose} runs once the client is gone. */
  WebSocketWatcher(ServerWebSocket socket, Caller caller, EventFilter filter, EventHistory history, int recent,
                   Consumer<Watcher> onClose) {
    super("websocket", socket, filter, onClose);
    this.socket = socket;
    this.caller = caller;
    this.history = history;
    this.recent = recent;
    socket.closeHandler(v -> ended());
  }

  Caller caller() {
    return caller;
  }

  /** Tells the client why its last message was not followed (a subscription it may not have). */
  void refuse(ApiException e) {
    write(new JsonObject().put("type", "error").mergeIn(e.toJson()).encode());
  }

  void filter(EventFilter newFilter) {
    follow(newFilter);
  }

  @Override
  protected List<String> eventFrames(List<Event> events, EncodedEvents encoded) {
    return events.stream().map(encoded::json).toList();
  }

  @Override
  protected String resetFrame(long revision) {
    return new JsonObject().put("type", "reset").put("revision", revision).encode();
  }

  @Override
  protected String snapshotFrame(Snapshot narrowed, EventFilter filter) {
    JsonObject frame = StreamJson.snapshot(narrowed).put("type", "snapshot");
    if (recent > 0) {
      JsonArray events = new JsonArray();
      for (Event e : history.latest(narrowed.revision(), recent, filter::wants)) {
        events.add(ModelJson.toJson(e));
      }
      frame.put("recent", events);
      recent = 0;
    }
    return frame.encode();
  }

  @Override
  protected String progressFrame(long revision) {
    return "{\"type\":\"progress\",\"revision\":" + revision + "}";
  }

  @Override
  protected String goodbyeFrame(String reconnect) {
    return new JsonObject().put("type", "goodbye").put("reconnect", reconnect).encode();
  }

  @Override
  protected void writeFrame(String text) {
    socket.writeTextMessage(text);
  }

  /** The socket's close handler reports the end. */
  @Override
  protected void end(String reconnect) {
    socket.close((short) 1001, "node shutting down");
  }

  void ping() {
    socket.writePing(Buffer.buffer("cairn"));
  }
}
