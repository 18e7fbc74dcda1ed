package io.cairn.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 client for requests to a Cairn proxy by {@code Host}: Vert.x's, with keep-alive and a pool of 64
 * connections, because the JDK's HttpClient does not let a caller choose the Host header. Requests connect to
 * 127.0.0.1:PORT and say {@code Host: NAME:PORT} (or {@code Host: NAME} when asked for port 80).
 */
public final class ProxyClient implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(64));

  /**
   * What came back: status (-1 when the request failed: {@code error} says why), lower-case headers, the body, and
   * when it was sent and answered ({@link System#nanoTime}).
   */
  public record Reply(int status, Map<String, String> headers, String body, long startNanos, long endNanos,
                      String error) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public JsonObject json() {
      return new JsonObject(body);
    }

    public String upstream() {
      return header("X-Upstream-Id");
    }

    public boolean ok() {
      return status == 200;
    }

    @Override
    public String toString() {
      return error != null ? "failed: " + error : status + " " + headers + " " + (body.length() > 300
          ? body.substring(0, 300) + "..." : body);
    }
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Sends a request to the proxy on 127.0.0.1:{@code proxyPort} with {@code Host: host}; never fails: see Reply. */
  public CompletableFuture<Reply> send(int proxyPort, String host, int hostPort, String method, String path,
                                       Map<String, String> headers, String body) {
    long start = System.nanoTime();
    RequestOptions options = new RequestOptions().setServer(SocketAddress.inetSocketAddress(proxyPort, "127.0.0.1"))
        .setHost(host).setPort(hostPort).setMethod(HttpMethod.valueOf(method)).setURI(path)
        .setConnectTimeout(10_000).setIdleTimeout(60_000);
    headers.forEach(options::putHeader);
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    client.request(options)
        .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> {
          Map<String, String> h = new TreeMap<>();
          resp.headers().forEach(e -> h.merge(e.getKey().toLowerCase(Locale.ROOT), e.getValue(),
              (x, y) -> x + ", " + y));
          return new Reply(resp.statusCode(), h, b.toString(), start, System.nanoTime(), null);
        }))
        .onComplete(ar -> reply.complete(ar.succeeded() ? ar.result()
            : new Reply(-1, Map.of(), "", start, System.nanoTime(), String.valueOf(ar.cause()))));
    return reply;
  }

  public CompletableFuture<Reply> get(int proxyPort, String host, String path) {
    return send(proxyPort, host, proxyPort, "GET", path, Map.of(), null);
  }

  /** A GET, waited for (up to 60 s). */
  public Reply getNow(int proxyPort, String host, String path) {
    return await(get(proxyPort, host, path));
  }

  public static Reply await(CompletableFuture<Reply> f) {
    try {
      return f.get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer within 90 s", e);
    }
  }

  @Override
  public void close() {
    try {
      client.close().await(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing the Vert.x instance closes it too
    }
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }
}
