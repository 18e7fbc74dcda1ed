package io.cairn.http.stream;

import io.cairn.api.EncodedEvents;
import io.cairn.api.EventFilter;
import io.cairn.api.StreamWatcher;
import io.cairn.api.Watcher;
import io.cairn.model.Event;
import io.cairn.registry.Snapshot;
import io.vertx.core.http.HttpServerResponse;

import java.util.List;
import java.util.function.Consumer;

/**
 * A Server-Sent Events stream: {@code id} is the revision (see {@link StreamJson#ids}), {@code event} the event
 * type, {@code data} the event's JSON. A reset is an {@code event: reset} followed by {@code event: snapshot}.
 */
final class SseWatcher extends StreamWatcher<String> {
  private final HttpServerResponse response;

  /** {@code onClose} runs once the client is gone. */
  SseWatcher(HttpServerResponse response, EventFilter filter, Consumer<Watcher> onClose) {
    super("sse", response, filter, onClose);
    this.response = response;
    response.closeHandler(v -> ended());
  }

  /** A batch is written at once: one chunk, however many events. */
  @Override
  protected List<String> eventFrames(List<Event> events, EncodedEvents encoded) {
    String[] ids = StreamJson.ids(events);
    StringBuilder out = new StringBuilder(events.size() * 512);
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      out.append("id: ").append(ids[i]).append('\n')
          .append("event: ").append(e.type().json()).append('\n')
          .append("data: ").append(encoded.json(e)).append("\n\n");
    }
    return List.of(out.toString());
  }

  @Override
  protected String resetFrame(long revision) {
    return "event: reset\ndata: {\"revision\":" + revision
        + ",\"reason\":\"the requested revision is older than this node's event history\"}\n\n";
  }

  @Override
  protected String snapshotFrame(Snapshot narrowed, EventFilter filter) {
    return "id: " + narrowed.revision() + "\nevent: snapshot\ndata: " + StreamJson.snapshot(narrowed).encode() + "\n\n";
  }

  /** A comment, so that EventSource ignores it; a person reading the stream with curl sees how far it is. */
  @Override
  protected String progressFrame(long revision) {
    return ": revision " + revision + "\n\n";
  }

  @Override
  protected String goodbyeFrame(String reconnect) {
    return "event: goodbye\ndata: " + reconnect + "\n\n";
  }

  @Override
  protected void writeFrame(String text) {
    response.write(text);
  }

  /** The response's close handler reports the end, if the connection closes. */
  @Override
  protected void end(String reconnect) {
    response.end();
  }

  /** A comment line: keeps proxies from closing an idle stream. */
  void ping() {
    write(": ping\n\n");
  }
}
