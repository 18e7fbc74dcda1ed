package io.cairn.http.stream;

import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.EventFilter;
import io.cairn.api.Queries;
import io.cairn.api.RegistryOperations;
import io.cairn.api.WatchHub;
import io.cairn.config.HttpSettings;
import io.cairn.model.ValidationException;
import io.cairn.node.NodeState;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Replica;
import io.cairn.webapi.Authentication;
import io.cairn.webapi.Responses;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.HashSet;
import java.util.Set;

/**
 * {@code GET /v1/events} (Server-Sent Events) and {@code GET /v1/ws} (WebSocket) on one gateway event loop, both fed
 * by its {@link WatchHub}. Every {@code keepAliveMillis} (at most 10 s, and half of http.idleTimeout) each stream
 * gets a keep-alive, so that neither the idle timeout nor a proxy closes a quiet stream; when the node starts leaving,
 * every stream is closed with the address of another node to reconnect to.
 */
public final class EventStreams {
  /** Bytes a slow WebSocket client may have queued before it counts as behind (and later gets a snapshot). */
  static final int WS_QUEUE_BYTES = 1 << 20;
  /** Most history events a WebSocket's opening snapshot carries ({@code recent}). */
  static final int MAX_RECENT = 1000;

  private final HttpSettings http;
  private final NodeState node;
  private final Replica replica;
  private final EventHistory history;
  private final RegistryOperations ops;
  private final WatchHub hub;
  private final Set<SseWatcher> sse = new HashSet<>();
  private final Set<WebSocketWatcher> sockets = new HashSet<>();

  public EventStreams(Vertx vertx, HttpSettings http, NodeState node, Replica replica, EventHistory history,
                      RegistryOperations ops, WatchHub hub) {
    this.http = http;
    this.node = node;
    this.replica = replica;
    this.history = history;
    this.ops = ops;
    this.hub = hub;
    vertx.setPeriodic(http.keepAliveMillis(), id -> ping());
    hub.onLeaving(this::closeForLeaving);
  }

  public void mount(Router router) {
    router.get("/v1/events").handler(this::events);
    router.get("/v1/ws").handler(this::webSocket);
  }

  private void events(RoutingContext rc) {
    Queries.onlyParams(rc.queryParams(), "since", "name", "tag", "token");
    ops.requireReady();
    Caller caller = Authentication.caller(rc);
    EventFilter filter = EventFilter.of(rc.queryParams().get("name"), rc.queryParams().get("tag"), ops.access(), caller);
    String resumeFrom = rc.request().getHeader("Last-Event-ID");
    if (resumeFrom == null || resumeFrom.isBlank()) {
      resumeFrom = rc.queryParams().get("since");
    }
    ResumePoint from = ResumePoint.parse(resumeFrom);
    ops.access().openStream(caller);
    HttpServerResponse response = rc.response().setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache")
        .putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY)
        .putHeader(Responses.REVISION_HEADER, Long.toString(replica.revision()));
    response.write("retry: 2000\n\n");
    SseWatcher watcher = new SseWatcher(response, filter, closed -> {
      sse.remove(closed);
      hub.remove(closed);
      ops.access().closeStream(caller);
    });
    sse.add(watcher);
    if (from == null) {
      hub.watchFromNow(watcher);
    } else {
      hub.watchFrom(watcher, from.after(), from.index());
    }
  }

  private void webSocket(RoutingContext rc) {
    Queries.onlyParams(rc.queryParams(), "since", "name", "tag", "recent", "token");
    ops.requireReady();
    Caller caller = Authentication.caller(rc);
    EventFilter filter = EventFilter.of(rc.queryParams().get("name"), rc.queryParams().get("tag"), ops.access(), caller);
    ResumePoint from = ResumePoint.parse(rc.queryParams().get("since"));
    int recent = recent(rc.queryParams());
    ops.access().openStream(caller);
    rc.request().toWebSocket().onFailure(err -> ops.access().closeStream(caller)).onSuccess(socket -> {
      socket.setWriteQueueMaxSize(WS_QUEUE_BYTES);
      WebSocketWatcher watcher = new WebSocketWatcher(socket, caller, filter, history, recent, closed -> {
        sockets.remove(closed);
        hub.remove(closed);
        ops.access().closeStream(caller);
      });
      sockets.add(watcher);
      socket.textMessageHandler(text -> subscribe(watcher, text));
      if (from == null) {
        hub.watchWithSnapshot(watcher);
      } else {
        // A client that reconnects (the topology page after its node went away) resumes where it was.
        hub.watchFrom(watcher, from.after(), from.index());
      }
    });
  }

  /** How many of the history's events the opening snapshot carries: {@code recent=N}, 0 to 1000, given once. */
  private static int recent(MultiMap params) {
    if (!params.contains("recent")) {
      return 0;
    }
    try {
      long n = Queries.nonNegative(params, "recent");
      if (n <= MAX_RECENT) {
        return (int) n;
      }
    } catch (ValidationException notANumber) {
      // refused below, with what the parameter takes
    }
    throw new ApiException(400, "invalid_recent", "recent is a number of events from 0 to " + MAX_RECENT, "recent");
  }

  /**
   * Where a client resumes: after revision {@code after}, or after event {@code index} of it ("R:k", the SSE id of
   * an event that is not its revision's last).
   */
  private record ResumePoint(long after, int index) {
    static ResumePoint parse(String text) {
      if (text == null || text.isBlank()) {
        return null;
      }
      String[] parts = text.trim().split(":", 2);
      try {
        ResumePoint p = new ResumePoint(Long.parseLong(parts[0]), parts.length > 1 ? Integer.parseInt(parts[1]) : -1);
        if (p.after >= 0 && (parts.length == 1 || p.index >= 0)) {
          return p;
        }
      } catch (NumberFormatException ignored) {
        // refused below
      }
      throw new ApiException(400, "invalid_since", "since (or Last-Event-ID) is a revision, e.g. 1234, or R:k", "since");
    }
  }

  /** {@code {"subscribe": {"name": "...", "tag": "..."}}}: narrow the stream, and get a snapshot of the new view. */
  private void subscribe(WebSocketWatcher watcher, String text) {
    try {
      JsonObject message = new JsonObject(text);
      JsonObject subscribe = message.getJsonObject("subscribe");
      if (subscribe == null) {
        return;
      }
      watcher.filter(EventFilter.of(subscribe.getString("name"), subscribe.getString("tag"), ops.access(),
          watcher.caller()));
      hub.resend(watcher, false);
    } catch (ApiException e) {
      watcher.refuse(e);
    } catch (DecodeException | ClassCastException ignored) {
      // Not a subscription this stream understands; it keeps what it had.
    }
  }

  private void ping() {
    sse.forEach(SseWatcher::ping);
    sockets.forEach(w -> {
      if (w.open()) {
        w.ping();
      }
    });
  }

  /** A node that is leaving closes its streams, naming another node, so that clients resume there at once. */
  private void closeForLeaving() {
    String other = node.anotherNodeUrl();
    String hint = other == null ? "" : other;
    for (SseWatcher w : Set.copyOf(sse)) {
      w.close(hint);
    }
    for (WebSocketWatcher w : Set.copyOf(sockets)) {
      w.close(hint);
    }
  }
}
