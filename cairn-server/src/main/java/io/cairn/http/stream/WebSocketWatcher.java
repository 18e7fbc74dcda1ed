package io.cairn.http.stream;

import io.cairn.api.EncodedEvents;
import io.cairn.api.EventFilter;
import io.cairn.api.Watcher;
import io.cairn.model.Event;
import io.cairn.model.ModelJson;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Snapshot;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A WebSocket stream: text frames of JSON. {@code {"type":"snapshot", ...}} first (and after a reset, preceded by
 * {@code {"type":"reset"}}), then one frame per event ({@code {"type":"serviceRegistered", "revision", ...}}). The
 * client may send {@code {"subscribe": {"name": "...", "tag": "..."}}} to narrow what it gets; it then receives a
 * snapshot of what it subscribed to. A client that asked for {@code recent} events gets, in the snapshot that opens
 * its stream, the last ones before it (what led to the picture, for a timeline), which the snapshot already holds.
 */
final class WebSocketWatcher implements Watcher {
  private final ServerWebSocket socket;
  private volatile EventFilter filter;
  private boolean open = true;
  private final EventHistory history;
  /** Events of the history to send with the first snapshot; 0 once sent (or never asked). */
  private int recent;
  private final io.cairn.api.Caller caller;

  /** {@code onClose} runs once the client is gone. */
  WebSocketWatcher(ServerWebSocket socket, io.cairn.api.Caller caller, EventFilter filter, EventHistory history,
                   int recent, java.util.function.Consumer<WebSocketWatcher> onClose) {
    this.socket = socket;
    this.caller = caller;
    this.filter = filter;
    this.history = history;
    this.recent = recent;
    socket.closeHandler(v -> {
      open = false;
      onClose.accept(this);
    });
  }

  io.cairn.api.Caller caller() {
    return caller;
  }

  /** Tells the client why its last message was not followed (a subscription it may not have). */
  void refuse(io.cairn.api.ApiException e) {
    if (open) {
      socket.writeTextMessage(new JsonObject().put("type", "error").mergeIn(e.toJson()).encode());
    }
  }

  void filter(EventFilter newFilter) {
    filter = newFilter;
  }

  @Override
  public boolean wants(Event event) {
    return filter.wants(event);
  }

  @Override
  public void send(List<Event> events, EncodedEvents encoded) {
    for (Event e : events) {
      if (open) {
        socket.writeTextMessage(encoded.json(e));
      }
    }
  }

  @Override
  public void sendSnapshot(Snapshot snapshot, boolean reset) {
    if (!open) {
      return;
    }
    if (reset) {
      socket.writeTextMessage(new JsonObject().put("type", "reset").put("revision", snapshot.revision()).encode());
    }
    // One filter for the picture and its history, even if the client subscribes anew meanwhile.
    EventFilter current = filter;
    JsonObject frame = StreamJson.snapshot(current.narrow(snapshot)).put("type", "snapshot");
    if (recent > 0) {
      JsonArray events = new JsonArray();
      for (Event e : history.latest(snapshot.revision(), recent, current::wants)) {
        events.add(ModelJson.toJson(e));
      }
      frame.put("recent", events);
      recent = 0;
    }
    socket.writeTextMessage(frame.encode());
  }

  @Override
  public void sendProgress(long revision) {
    if (open) {
      socket.writeTextMessage("{\"type\":\"progress\",\"revision\":" + revision + "}");
    }
  }

  void ping() {
    socket.writePing(io.vertx.core.buffer.Buffer.buffer("cairn"));
  }

  void close(String reconnectHint) {
    if (open) {
      socket.writeTextMessage(new JsonObject().put("type", "goodbye").put("reconnect", reconnectHint).encode());
      socket.close((short) 1001, "node shutting down");
      open = false;
    }
  }

  @Override
  public String kind() {
    return "websocket";
  }

  @Override
  public boolean open() {
    return open;
  }

  @Override
  public void whenDrained(Runnable action) {
    Watcher.onceDrained(socket, action);
  }

  @Override
  public boolean behind() {
    return socket.writeQueueFull();
  }
}
