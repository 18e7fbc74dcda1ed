package io.cairn.bench;

import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegistryGrpcClient;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * gRPC against REST for the same operations on one node of the fat jar, driven by the same Java load generator
 * (Vert.x clients, a closed loop of {@code concurrency} calls in flight): Register of distinct instances, and
 * Discover of one name among 10,000 instances. Prints throughput and p50/p99 for each, and the ratio.
 *
 * <p>Usage: GrpcBench [seconds per phase, default 10] [concurrency, default 32]
 */
public final class GrpcBench {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    try (JarCluster cluster = new JarCluster(1, false).closeOnExit()) {
      System.setProperty("cairn.it.heap", "2g");
      cluster.startWhole(Duration.ofSeconds(120));
      String base = cluster.node(0).base();
      int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
      Vertx vertx = Vertx.vertx();
      io.vertx.core.http.HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(port).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(concurrency));
      GrpcClient grpc = GrpcClient.client(vertx);
      SocketAddress node = SocketAddress.inetSocketAddress(port, "127.0.0.1");

      // 10,000 instances in 1,000 names for the discovery phases.
      for (int batch = 0; batch < 10; batch++) {
        JsonArray items = new JsonArray();
        for (int i = 0; i < 1000; i++) {
          int n = batch * 1000 + i;
          items.add(new JsonObject().put("id", "disc-" + n).put("name", "svc-" + (n % 1000))
              .put("address", "10.0." + (n / 250 % 250) + "." + (n % 250)).put("port", 8080).put("version", "1.0.0"));
        }
        Http.post(base + "/v1/services:bulk", items.encode());
      }

      AtomicLong restIds = new AtomicLong();
      Result restRegister = run("REST register", seconds, concurrency, () -> {
        long n = restIds.incrementAndGet();
        String body = new JsonObject().put("name", "rest-bench").put("address", "10.1.0.1").put("port", (int) (n % 60000) + 1)
            .encode();
        return http.request(HttpMethod.PUT, "/v1/services/rest-" + n)
            .compose(req -> req.putHeader("Content-Type", "application/json").send(Buffer.buffer(body)))
            .compose(resp -> resp.body().map(b -> ok(resp.statusCode() < 300)));
      });
      AtomicLong grpcIds = new AtomicLong();
      Result grpcRegister = run("gRPC register", seconds, concurrency, () -> {
        long n = grpcIds.incrementAndGet();
        RegisterRequest request = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setId("grpc-" + n)
            .setName("grpc-bench").setAddress("10.1.0.1").setPort((int) (n % 60000) + 1)).build();
        return grpc.request(node, RegistryGrpcClient.Register).compose(req -> req.send(request))
            .compose(GrpcClientResponse::last).map(r -> true);
      });
      AtomicLong restQueries = new AtomicLong();
      Result restDiscover = run("REST discover", seconds, concurrency, () -> {
        String name = "svc-" + (restQueries.incrementAndGet() % 1000);
        return http.request(HttpMethod.GET, "/v1/services?name=" + name)
            .compose(req -> req.send())
            .compose(resp -> resp.body().map(b -> ok(resp.statusCode() == 200)));
      });
      AtomicLong grpcQueries = new AtomicLong();
      Result grpcDiscover = run("gRPC discover", seconds, concurrency, () -> {
        DiscoverRequest request = DiscoverRequest.newBuilder().setName("svc-" + (grpcQueries.incrementAndGet() % 1000))
            .build();
        return grpc.request(node, RegistryGrpcClient.Discover).compose(req -> req.send(request))
            .compose(GrpcClientResponse::last).map(r -> r.getInstancesCount() == 10);
      });
      System.out.printf("grpc/rest: register %.2fx, discover %.2fx (target 1.2x)%n",
          grpcRegister.rps / restRegister.rps, grpcDiscover.rps / restDiscover.rps);
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  private static boolean ok(boolean ok) {
    if (!ok) {
      throw new IllegalStateException("request failed");
    }
    return true;
  }

  private record Result(double rps) {
  }

  /** Two seconds of warm-up, then {@code seconds} of measurement with {@code concurrency} calls always in flight. */
  private static Result run(String label, int seconds, int concurrency, Supplier<Future<Boolean>> call)
      throws InterruptedException {
    loop(2, concurrency, call, new Histogram(3_600_000_000L, 3), new AtomicLong());
    Histogram latency = new Histogram(3_600_000_000L, 3);
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    long done = loop(seconds, concurrency, call, latency, failures);
    double elapsed = (System.nanoTime() - start) / 1e9;
    double rps = done / elapsed;
    System.out.printf("%-14s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  failures %d%n", label, rps,
        latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6, failures.get());
    return new Result(rps);
  }

  private static long loop(int seconds, int concurrency, Supplier<Future<Boolean>> call, Histogram latency,
                           AtomicLong failures) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong completed = new AtomicLong();
    CountDownLatch workers = new CountDownLatch(concurrency);
    for (int w = 0; w < concurrency; w++) {
      next(call, end, latency, failures, completed, workers);
    }
    workers.await();
    return completed.get();
  }

  private static void next(Supplier<Future<Boolean>> call, long end, Histogram latency, AtomicLong failures,
                           AtomicLong completed, CountDownLatch workers) {
    if (System.nanoTime() >= end) {
      workers.countDown();
      return;
    }
    long sent = System.nanoTime();
    call.get().onComplete(ar -> {
      synchronized (latency) {
        latency.recordValue(System.nanoTime() - sent);
      }
      if (ar.succeeded()) {
        completed.incrementAndGet();
      } else {
        failures.incrementAndGet();
      }
      next(call, end, latency, failures, completed, workers);
    });
  }
}
