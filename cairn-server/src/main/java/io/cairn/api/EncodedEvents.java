package io.cairn.api;

import io.cairn.model.Event;
import io.cairn.model.ModelJson;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The events of one batch, each encoded at most once per form however many watchers of the loop send it: JSON for
 * SSE and WebSocket, and one other form (gRPC's message) made by the watcher kind that needs it.
 */
public final class EncodedEvents {
  private final Map<Event, String> json = new IdentityHashMap<>();
  private final Map<Event, Object> other = new IdentityHashMap<>();

  public String json(Event e) {
    return json.computeIfAbsent(e, ModelJson::encode);
  }

  /** The event as {@code encode} makes it; every caller of one batch must ask for the same form. */
  @SuppressWarnings("unchecked")
  public <T> T as(Event e, Function<Event, T> encode) {
    return (T) other.computeIfAbsent(e, encode);
  }
}
