package io.cairn.bench;

import io.cairn.bench.ClosedLoop.Result;
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

import java.time.Duration;
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
    System.setProperty("cairn.it.heap", "2g");
    Vertx vertx = Vertx.vertx();
    // Each register phase on a node of its own: a registry that grew in the phase before would cost the next one
    // larger snapshots.
    AtomicLong restIds = new AtomicLong();
    Result restRegister = onNewNode(vertx, concurrency, false, n -> run("REST register", seconds, concurrency, () -> {
      long id = restIds.incrementAndGet();
      String body = new JsonObject().put("name", "rest-bench").put("address", "10.1.0.1").put("port", (int) (id % 60000) + 1)
          .encode();
      return n.http.request(HttpMethod.PUT, "/v1/services/rest-" + id)
          .compose(req -> req.putHeader("Content-Type", "application/json").send(Buffer.buffer(body)))
          .compose(resp -> resp.body().map(b -> ok(resp.statusCode() < 300)));
    }));
    AtomicLong grpcIds = new AtomicLong();
    Result grpcRegister = onNewNode(vertx, concurrency, false, n -> run("gRPC register", seconds, concurrency, () -> {
      long id = grpcIds.incrementAndGet();
      RegisterRequest request = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setId("grpc-" + id)
          .setName("grpc-bench").setAddress("10.1.0.1").setPort((int) (id % 60000) + 1)).build();
      return n.grpc.request(n.address, RegistryGrpcClient.Register).compose(req -> req.send(request))
          .compose(GrpcClientResponse::last).map(r -> true);
    }));
    Result[] discover = onNewNode(vertx, concurrency, true, n -> {
      AtomicLong restQueries = new AtomicLong();
      Result rest = run("REST discover", seconds, concurrency, () -> {
        String name = "svc-" + (restQueries.incrementAndGet() % 1000);
        return n.http.request(HttpMethod.GET, "/v1/services?name=" + name)
            .compose(req -> req.send())
            .compose(resp -> resp.body().map(b -> ok(resp.statusCode() == 200)));
      });
      AtomicLong grpcQueries = new AtomicLong();
      Result grpc = run("gRPC discover", seconds, concurrency, () -> {
        DiscoverRequest request = DiscoverRequest.newBuilder().setName("svc-" + (grpcQueries.incrementAndGet() % 1000))
            .build();
        return n.grpc.request(n.address, RegistryGrpcClient.Discover).compose(req -> req.send(request))
            .compose(GrpcClientResponse::last).map(r -> r.getInstancesCount() == 10);
      });
      return new Result[] {rest, grpc};
    });
    System.out.printf("grpc/rest: register %.2fx, discover %.2fx (target 1.2x)%n",
        grpcRegister.rps() / restRegister.rps(), discover[1].rps() / discover[0].rps());
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  /** A node and the two clients of it. */
  private record Node(io.vertx.core.http.HttpClient http, GrpcClient grpc, SocketAddress address) {
  }

  @FunctionalInterface
  private interface Phase<T> {
    T run(Node node) throws Exception;
  }

  /** Runs {@code phase} against a new one-node cluster of the fat jar (with 10,000 instances when asked). */
  private static <T> T onNewNode(Vertx vertx, int concurrency, boolean withInstances, Phase<T> phase) throws Exception {
    try (JarCluster cluster = new JarCluster(1, false).closeOnExit()) {
      cluster.startWhole(Duration.ofSeconds(120));
      String base = cluster.node(0).base();
      int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
      io.vertx.core.http.HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(port).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(concurrency));
      // Like REST's connections over the node's two event loops, gRPC gets several HTTP/2 connections: with one,
      // every call would land on a single server event loop.
      GrpcClient grpc = GrpcClient.client(vertx, vertx.createHttpClient(new HttpClientOptions()
          .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
          .setHttp2MultiplexingLimit(Math.max(1, concurrency / 4)), new PoolOptions().setHttp2MaxSize(4)));
      if (withInstances) {
        // 10,000 instances in 1,000 names.
        for (int batch = 0; batch < 10; batch++) {
          JsonArray items = new JsonArray();
          for (int i = 0; i < 1000; i++) {
            int n = batch * 1000 + i;
            items.add(new JsonObject().put("id", "disc-" + n).put("name", "svc-" + (n % 1000))
                .put("address", "10.0." + (n / 250 % 250) + "." + (n % 250)).put("port", 8080).put("version", "1.0.0"));
          }
          Http.post(base + "/v1/services:bulk", items.encode());
        }
      }
      try {
        return phase.run(new Node(http, grpc, SocketAddress.inetSocketAddress(port, "127.0.0.1")));
      } finally {
        http.close();
        grpc.close();
      }
    }
  }

  private static boolean ok(boolean ok) {
    if (!ok) {
      throw new IllegalStateException("request failed");
    }
    return true;
  }

  /** Five seconds of warm-up, then {@code seconds} of measurement with {@code concurrency} calls always in flight. */
  private static Result run(String label, int seconds, int concurrency, Supplier<Future<Boolean>> call)
      throws InterruptedException {
    ClosedLoop.run(5, concurrency, call);
    Result r = ClosedLoop.run(seconds, concurrency, call);
    System.out.printf("%-14s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  failures %d%n", label, r.rps(), r.p50Ms(),
        r.p99Ms(), r.failures());
    return r;
  }
}
