package io.cairn.bench.scale;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes at a steady rate, open loop, through one node (the Raft leader): each write re-registers one of the live
 * instances ({@code PUT /v1/services/live-N-k}) with a new metadata value, so that it is a change every watcher and
 * blocking query of its name must hear of, while the registry keeps its size. Writes go round the names, so every
 * name changes at the same pace. On its own Vert.x instance, so that the clients that follow the names cannot delay
 * its pacing; a write that would exceed {@link #MAX_IN_FLIGHT} is not sent, and counted.
 */
final class PacedWriter {
  static final int MAX_IN_FLIGHT = 256;
  private static final long TICK_MILLIS = 5;

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http;
  private final int names;
  private final int perName;
  private final Propagation propagation;
  private final Histogram latency = new Histogram(3_600_000_000L, 3);
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  private volatile boolean measuring;
  private long issued;
  private long timer = -1;

  PacedWriter(String host, int port, int names, int perName, Propagation propagation) {
    this.http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(host).setDefaultPort(port)
        .setKeepAlive(true).setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(64));
    this.names = names;
    this.perName = perName;
    this.propagation = propagation;
  }

  /** The live instance {@code n}: of name live-(n % names), the (n / names)-th of that name. */
  static JsonObject liveInstance(int n, int names, long sequence) {
    int name = n % names;
    int k = n / names;
    return new JsonObject().put("id", "live-" + name + "-" + k).put("name", "live-" + name)
        .put("address", "10.200." + (n >> 8 & 255) + "." + (n & 255)).put("port", 8080).put("version", "1.0.0")
        .put("tags", new JsonArray().add("live")).put("metadata", new JsonObject().put("team", "perf")
            .put("seq", Long.toString(sequence))).put("region", "eu").put("zone", "eu-" + (n % 3));
  }

  /** Starts writing {@code perSecond} writes a second; answers count toward the propagation only once measuring. */
  void start(int perSecond) {
    long startedAt = System.nanoTime();
    vertx.runOnContext(v -> timer = vertx.setPeriodic(TICK_MILLIS, id -> {
      long due = (long) ((System.nanoTime() - startedAt) / 1e9 * perSecond) - issued;
      for (long i = 0; i < due; i++) {
        issued++;
        if (inFlight.get() >= MAX_IN_FLIGHT) {
          skipped.incrementAndGet();
        } else {
          write(issued);
        }
      }
    }));
  }

  /** From now on, answers are measured (the warm-up is over). */
  void measure() {
    latency.reset();
    answered.set(0);
    failed.set(0);
    skipped.set(0);
    measuring = true;
  }

  void stop() {
    measuring = false;
    vertx.runOnContext(v -> vertx.cancelTimer(timer));
  }

  private void write(long sequence) {
    int n = (int) (sequence % ((long) names * perName));
    int name = n % names;
    JsonObject instance = liveInstance(n, names, sequence);
    String body = instance.encode();
    boolean counted = measuring;
    long sent = System.nanoTime();
    inFlight.incrementAndGet();
    http.request(HttpMethod.PUT, "/v1/services/" + instance.getString("id"))
        .compose(req -> req.putHeader("Content-Type", "application/json").send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("status " + resp.statusCode() + ": " + b);
          }
          return new JsonObject(b).getLong("revision");
        }))
        .onComplete(ar -> {
          long now = System.nanoTime();
          inFlight.decrementAndGet();
          if (!counted) {
            return;
          }
          if (ar.failed()) {
            failed.incrementAndGet();
            return;
          }
          answered.incrementAndGet();
          synchronized (latency) {
            latency.recordValue((now - sent) / 1000);
          }
          propagation.answered(name, ar.result(), now);
        });
  }

  long answered() {
    return answered.get();
  }

  long failed() {
    return failed.get();
  }

  long skipped() {
    return skipped.get();
  }

  /** Time from sending a write to its answer, in microseconds (a copy). */
  Histogram latency() {
    synchronized (latency) {
      return latency.copy();
    }
  }

  void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }
}
