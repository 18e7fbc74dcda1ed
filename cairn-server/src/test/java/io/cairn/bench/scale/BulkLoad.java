package io.cairn.bench.scale;

import io.cairn.support.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Registers instances through {@code POST /v1/services:bulk}, 1,000 per request ({@code registry.maxBulk}), a few
 * requests in flight, and fails on any refused item.
 */
final class BulkLoad {
  static final int PER_REQUEST = 1000;
  private static final int RETRIES = 30;
  private static final long RETRY_MILLIS = 1000;

  private BulkLoad() {
  }

  /**
   * The benchmark's usual instance (bench/register.lua's shape): one of 1,000 names, a version, two tags, metadata,
   * region and zone.
   */
  static JsonObject benchInstance(int n) {
    return new JsonObject().put("id", "scale-" + n).put("name", "svc-" + (n % 1000))
        .put("address", "10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255)).put("port", 1000 + n % 60000)
        .put("version", "1.2." + (n % 7)).put("tags", new JsonArray().add("bench").add("t" + (n % 5)))
        .put("metadata", new JsonObject().put("team", "perf")).put("region", "eu").put("zone", "eu-" + (n % 3));
  }

  /**
   * Registers instances 0 .. count-1 made by {@code instance} through {@code base}, {@code parallel} requests at once;
   * returns the highest revision the answers carried.
   */
  static long register(String base, int count, int parallel, IntFunction<JsonObject> instance) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      List<Future<Long>> answers = new ArrayList<>();
      for (int start = 0; start < count; start += PER_REQUEST) {
        int from = start;
        answers.add(pool.submit(() -> post(base, from, Math.min(count, from + PER_REQUEST), instance)));
      }
      long revision = 0;
      for (Future<Long> a : answers) {
        revision = Math.max(revision, a.get());
      }
      return revision;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * One request, retried while the cluster cannot take it (503: an election after a long pause of the leader on a
   * loaded machine, say); registering an instance again replaces it with itself, so a retry is harmless.
   */
  private static long post(String base, int from, int to, IntFunction<JsonObject> instance) throws InterruptedException {
    JsonArray items = new JsonArray();
    for (int n = from; n < to; n++) {
      items.add(instance.apply(n));
    }
    String body = items.encode();
    Http.Response r = null;
    for (int attempt = 0; attempt < RETRIES && (r == null || r.status() == 503); attempt++) {
      if (r != null) {
        Thread.sleep(RETRY_MILLIS);
      }
      try {
        r = Http.post(base + "/v1/services:bulk", body);
      } catch (UncheckedIOException dropped) {
        r = null;
        Thread.sleep(RETRY_MILLIS);
      }
    }
    if (r == null || r.status() != 200) {
      throw new IllegalStateException("bulk registration refused" + (r == null ? ": no answer"
          : " (" + r.status() + "): " + r.body()));
    }
    JsonObject answer = r.json();
    for (Object o : answer.getJsonArray("results")) {
      int status = ((JsonObject) o).getInteger("status");
      if (status >= 300) {
        throw new IllegalStateException("bulk item refused: " + o);
      }
    }
    return answer.getLong("revision");
  }
}
