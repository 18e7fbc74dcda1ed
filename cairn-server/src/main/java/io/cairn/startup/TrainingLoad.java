package io.cairn.startup;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The requests of a training run: what a node spends its life answering, so that the classes they load go into the
 * start-up archive and, on Java 25, the JIT's profiles of their hot paths into the AOT cache. Mostly registrations
 * (the shape of bench/register.lua, over many ids and names) and discoveries, with the reads, heartbeats, Consul
 * and status requests around them, and deregistrations. A few requests in flight at once, as real clients keep.
 */
final class TrainingLoad {
  private static final int IN_FLIGHT = 8;
  private static final int NAMES = 100;
  private final HttpClient http;
  private final String base;
  /** Answers by status (0: no answer), printed at the end: a read may miss an instance still being registered. */
  private final Map<Integer, Integer> statuses = new TreeMap<>();

  TrainingLoad(HttpClient http, String base) {
    this.http = http;
    this.base = base;
  }

  /** Sends requests for this long (and at least one round of every kind); returns how many. */
  long run(Duration duration) throws InterruptedException {
    Semaphore slots = new Semaphore(IN_FLIGHT);
    long deadline = System.nanoTime() + duration.toNanos();
    long n = 0;
    do {
      slots.acquire();
      send(request(n++)).whenComplete((status, error) -> {
        synchronized (statuses) {
          statuses.merge(error != null ? 0 : status, 1, Integer::sum);
        }
        slots.release();
      });
    } while (n < 20 || System.nanoTime() < deadline);
    boolean drained = slots.tryAcquire(IN_FLIGHT, 30, TimeUnit.SECONDS);
    synchronized (statuses) {
      System.out.println("TrainingLoad: " + n + " requests, answered by status " + statuses
          + (drained ? "" : " (some still unanswered after 30 s)"));
    }
    return n;
  }

  private CompletableFuture<Integer> send(HttpRequest request) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(HttpResponse::statusCode);
  }

  /** Request n of the mix: ten in twenty are registrations, four discoveries, the rest one each. */
  private HttpRequest request(long n) {
    // Registrations take the even requests, so that the reads, heartbeats and deletions below name instances that
    // exist: request n - 1 (an even one) registered t-(n-1), request n - 17 (a multiple of 20) t-(n-17).
    long id = n % 5000;
    long ttl = n / 20 % 10;
    String name = "train-" + (n % NAMES);
    return switch ((int) (n % 20)) {
      case 0, 2, 4, 6, 8, 10, 12, 14, 16 -> put("/v1/services/t-" + id, instance(name, n, ""));
      case 1, 5, 9 -> get("/v1/services?name=" + name);
      case 3 -> get("/v1/services/t-" + (n - 1) % 5000);
      case 7 -> put("/v1/services/ttl-" + ttl, instance(name, n, ",\"ttl\":\"30s\""));
      case 11 -> put("/v1/services/ttl-" + ttl + "/heartbeat", "");
      case 13 -> get("/v1/health/service/" + name + "?passing");
      case 15 -> get(n % 40 == 15 ? "/metrics" : "/v1/status");
      case 17 -> delete("/v1/services/t-" + (n - 17) % 5000);
      case 18 -> get("/v1/services?name=" + name + "&tag=t" + (n % 5));
      default -> get("/health");
    };
  }

  private static String instance(String name, long n, String extra) {
    return "{\"name\":\"" + name + "\",\"address\":\"10.0." + (n % 250) + ".1\",\"port\":" + (1000 + n % 60000)
        + ",\"version\":\"1.2." + (n % 7) + "\",\"tags\":[\"train\",\"t" + (n % 5) + "\"],"
        + "\"metadata\":{\"team\":\"perf\"},\"region\":\"eu\",\"zone\":\"eu-" + (n % 3) + "\"" + extra + "}";
  }

  private HttpRequest get(String path) {
    return builder(path).GET().build();
  }

  private HttpRequest put(String path, String body) {
    return builder(path).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private HttpRequest delete(String path) {
    return builder(path).DELETE().build();
  }

  private HttpRequest.Builder builder(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
  }
}
