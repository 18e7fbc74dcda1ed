package io.cairn.support;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * gRPC over HTTP/2 without grpc-java (Vert.x, h2c with prior knowledge), for what grpc-java's own rules would hide:
 * a caller that sends {@code grpc-timeout} but does not enforce it, and an instance that never answers and never
 * ends a call, whatever its deadline.
 */
public final class RawGrpc implements AutoCloseable {
  /** An answer: its HTTP status, headers (a trailers-only answer's status is here) and trailers. */
  public record Answer(int status, MultiMap headers, MultiMap trailers) {
  }

  private final Vertx vertx = Vertx.vertx();
  private final HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
      .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
  private final List<MultiMap> held = new CopyOnWriteArrayList<>();
  private final AtomicInteger resets = new AtomicInteger();

  /** Starts an instance on 127.0.0.1 that takes every call and holds it unanswered; its port. */
  public int startHeldInstance() throws Exception {
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
        .setHttp2ClearTextEnabled(true)).requestHandler(request -> {
          held.add(request.headers());
          // Over HTTP/2 the response closes when the caller resets the stream.
          request.response().closeHandler(v -> resets.incrementAndGet());
        });
    return server.listen().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).actualPort();
  }

  /** The headers of each call the held instance took, in order. */
  public List<MultiMap> heldCalls() {
    return held;
  }

  /** How many of the held instance's calls were reset (or lost with their connection). */
  public int heldResets() {
    return resets.get();
  }

  /** A unary call of one message to {@code port}, naming {@code authority}, with {@code headers} besides gRPC's. */
  public Answer call(int port, String authority, String path, String message, Map<String, String> headers)
      throws Exception {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(path).putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    headers.forEach(options::putHeader);
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    // A gRPC message: not compressed (0), its length (4 bytes, big-endian), the bytes.
    Buffer frame = Buffer.buffer().appendByte((byte) 0).appendInt(bytes.length).appendBytes(bytes);
    return client.request(options).compose(request -> {
      request.authority(HostAndPort.create(authority, -1));
      return request.send(frame);
    }).compose((HttpClientResponse response) -> response.body()
        .map(body -> new Answer(response.statusCode(), response.headers(), response.trailers())))
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    vertx.close();
  }
}
