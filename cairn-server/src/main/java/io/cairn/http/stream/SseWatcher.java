package io.cairn.http.stream;

import io.cairn.api.EncodedEvents;
import io.cairn.api.EventFilter;
import io.cairn.api.Watcher;
import io.cairn.model.Event;
import io.cairn.registry.Snapshot;
import io.vertx.core.http.HttpServerResponse;

import java.util.List;

/**
 * A Server-Sent Events stream: {@code id} is the revision (see {@link StreamJson#ids}), {@code event} the event
 * type, {@code data} the event's JSON. A reset is an {@code event: reset} followed by {@code event: snapshot}.
 */
final class SseWatcher implements Watcher {
  private final HttpServerResponse response;
  private final EventFilter filter;
  private boolean open = true;

  /** {@code onClose} runs once the client is gone. */
  SseWatcher(HttpServerResponse response, EventFilter filter, java.util.function.Consumer<SseWatcher> onClose) {
    this.response = response;
    this.filter = filter;
    response.closeHandler(v -> {
      open = false;
      onClose.accept(this);
    });
  }

  @Override
  public boolean wants(Event event) {
    return filter.wants(event);
  }

  @Override
  public void send(List<Event> events, EncodedEvents encoded) {
    String[] ids = StreamJson.ids(events);
    StringBuilder out = new StringBuilder(events.size() * 512);
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      out.append("id: ").append(ids[i]).append('\n')
          .append("event: ").append(e.type().json()).append('\n')
          .append("data: ").append(encoded.json(e)).append("\n\n");
    }
    write(out.toString());
  }

  @Override
  public void sendSnapshot(Snapshot snapshot, boolean reset) {
    StringBuilder out = new StringBuilder();
    if (reset) {
      out.append("event: reset\ndata: {\"revision\":").append(snapshot.revision())
          .append(",\"reason\":\"the requested revision is older than this node's event history\"}\n\n");
    }
    out.append("id: ").append(snapshot.revision()).append('\n').append("event: snapshot\n")
        .append("data: ").append(StreamJson.snapshot(filter.narrow(snapshot)).encode()).append("\n\n");
    write(out.toString());
  }

  /** A comment, so that EventSource ignores it; a person reading the stream with curl sees how far it is. */
  @Override
  public void sendProgress(long revision) {
    write(": revision " + revision + "\n\n");
  }

  /** A comment line: keeps proxies from closing an idle stream. */
  void ping() {
    write(": ping\n\n");
  }

  /** Tells the client to reconnect elsewhere (this node is shutting down), then ends the stream. */
  void close(String reconnectHint) {
    if (open) {
      write("event: goodbye\ndata: " + reconnectHint + "\n\n");
      response.end();
      open = false;
    }
  }

  private void write(String text) {
    if (open) {
      response.write(text);
    }
  }

  @Override
  public String kind() {
    return "sse";
  }

  @Override
  public boolean open() {
    return open;
  }

  @Override
  public void whenDrained(Runnable action) {
    Watcher.onceDrained(response, action);
  }

  @Override
  public boolean behind() {
    return response.writeQueueFull();
  }
}
