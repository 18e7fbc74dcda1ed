package io.cairn.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A Server-Sent Events client for tests, as a browser's EventSource behaves: it keeps the events it read
 * ({@code {id, event, data}}), and when its stream ends or breaks it reconnects (to the URL the supplier gives
 * then, so a test can send it to another node) with {@code Last-Event-ID}.
 */
public final class SseStream implements AutoCloseable {
  public final List<JsonObject> events = new CopyOnWriteArrayList<>();
  /** Base URLs it connected to, in order. */
  public final List<String> connections = new CopyOnWriteArrayList<>();
  private final Vertx vertx;
  private final HttpClient client;
  private final Supplier<String> url;
  private final boolean reconnect;
  private volatile HttpClientResponse response;
  private volatile boolean closed;
  private volatile String lastId;
  private JsonObject current = new JsonObject();

  private SseStream(Vertx vertx, Supplier<String> url, String lastEventId, boolean reconnect) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient();
    this.url = url;
    this.lastId = lastEventId;
    this.reconnect = reconnect;
  }

  /** One stream, no reconnection; waits until it is open. */
  public static SseStream open(Vertx vertx, String url, String lastEventId) {
    SseStream s = new SseStream(vertx, () -> url, lastEventId, false);
    TestNodes.await(s.connect().toCompletionStage().toCompletableFuture(), 10);
    return s;
  }

  /** A stream that reconnects, with Last-Event-ID, to whatever {@code url} says each time. */
  public static SseStream reconnecting(Vertx vertx, Supplier<String> url, String lastEventId) {
    SseStream s = new SseStream(vertx, url, lastEventId, true);
    s.connectOrRetry();
    return s;
  }

  private io.vertx.core.Future<HttpClientResponse> connect() {
    String target = url.get();
    RequestOptions options = new RequestOptions().setAbsoluteURI(target).putHeader("Accept", "text/event-stream");
    if (lastId != null) {
      options.putHeader("Last-Event-ID", lastId);
    }
    return client.request(options).compose(req -> req.send()).onSuccess(resp -> {
      if (resp.statusCode() != 200) {
        resp.request().connection().close();
        return;
      }
      connections.add(target);
      response = resp;
      resp.handler(RecordParser.newDelimited("\n", line -> onLine(line.toString())));
      resp.endHandler(v -> reconnectLater());
      resp.exceptionHandler(e -> reconnectLater());
    });
  }

  private void connectOrRetry() {
    if (closed) {
      return;
    }
    connect().onComplete(ar -> {
      if (ar.failed() || ar.result().statusCode() != 200) {
        reconnectLater();
      }
    });
  }

  private void reconnectLater() {
    if (reconnect && !closed) {
      current = new JsonObject();
      vertx.setTimer(100, t -> connectOrRetry());
    }
  }

  private void onLine(String line) {
    if (line.isEmpty()) {
      if (current.containsKey("event")) {
        events.add(current);
        if (current.containsKey("id")) {
          lastId = current.getString("id");
        }
      }
      current = new JsonObject();
    } else if (line.startsWith("id: ")) {
      current.put("id", line.substring(4));
    } else if (line.startsWith("event: ")) {
      current.put("event", line.substring(7));
    } else if (line.startsWith("data: ")) {
      current.put("data", new JsonObject(line.substring(6)));
    }
  }

  /** The ids of the events of a type's service, in the order received. */
  public List<String> serviceIds(String type) {
    List<String> ids = new ArrayList<>();
    for (JsonObject e : events) {
      if (type.equals(e.getString("event"))) {
        ids.add(e.getJsonObject("data").getJsonObject("service").getString("id"));
      }
    }
    return ids;
  }

  public String lastId() {
    return lastId;
  }

  @Override
  public void close() {
    closed = true;
    HttpClientResponse r = response;
    if (r != null) {
      r.request().connection().close();
    }
    client.close();
  }
}
