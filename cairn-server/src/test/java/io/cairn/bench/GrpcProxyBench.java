package io.cairn.bench;

import io.cairn.bench.ClosedLoop.Result;
import io.cairn.support.GrpcEchoServer;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Unary gRPC calls ({@link GrpcEchoServer#WHO}) from grpc-java channels to one address, for bench/proxy.sh: directly
 * to an echo server, or through a proxy that routes by the authority given. {@code concurrency} calls always in
 * flight, spread over {@code channels} channels (one HTTP/2 connection each), a warm-up, then the measured run, then
 * one call at a time on one channel (the probe: what a hop adds when nothing queues). Reads the CPU time of the
 * processes named (and its own) from /proc over the measured run.
 *
 * <p>Usage: GrpcProxyBench HOST:PORT AUTHORITY|- WARMUP_S SECONDS CONCURRENCY CHANNELS PROBE_S [PID...]
 *
 * <p>Prints, for the script: {@code answer TEXT} (one call's answer: which echo served it),
 * {@code result CALLS_PER_S P50_MS P99_MS FAILURES CALLS}, {@code cpu PID|self US_PER_CALL} for each process, and
 * {@code probe P50_MS P99_MS} (nan when PROBE_S is 0).
 */
public final class GrpcProxyBench {
  private static final long HZ = Long.getLong("bench.hz", 100);

  private GrpcProxyBench() {
  }

  public static void main(String[] args) throws Exception {
    String host = args[0].substring(0, args[0].lastIndexOf(':'));
    int port = Integer.parseInt(args[0].substring(args[0].lastIndexOf(':') + 1));
    String authority = args[1].equals("-") ? null : args[1];
    int warmup = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int concurrency = Integer.parseInt(args[4]);
    int channelCount = Integer.parseInt(args[5]);
    int probe = Integer.parseInt(args[6]);
    List<String> pids = new ArrayList<>(List.of(args).subList(7, args.length));
    pids.add("self");

    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < channelCount; i++) {
      NettyChannelBuilder b = NettyChannelBuilder.forAddress(host, port).usePlaintext();
      channels.add((authority == null ? b : b.overrideAuthority(authority)).build());
    }
    try {
      System.out.println("answer " + ClientCalls.blockingUnaryCall(channels.get(0), GrpcEchoServer.WHO,
          CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), "bench"));
      AtomicLong turn = new AtomicLong();
      Supplier<Future<Boolean>> call = () -> who(channels.get((int) (turn.incrementAndGet() % channelCount)));
      if (warmup > 0) {
        ClosedLoop.run(warmup, concurrency, call);
      }
      long[] before = ticks(pids);
      Result r = ClosedLoop.run(seconds, concurrency, call);
      long[] after = ticks(pids);
      System.out.printf("result %.0f %.3f %.3f %d %d%n", r.rps(), r.p50Ms(), r.p99Ms(), r.failures(), r.calls());
      for (int i = 0; i < pids.size(); i++) {
        System.out.printf("cpu %s %d%n", pids.get(i),
            r.calls() == 0 ? 0 : (after[i] - before[i]) * 1_000_000 / HZ / r.calls());
      }
      if (probe > 0) {
        Result p = ClosedLoop.run(probe, 1, () -> who(channels.get(0)));
        System.out.printf("probe %.3f %.3f%n", p.p50Ms(), p.p99Ms());
      } else {
        System.out.println("probe nan nan");
      }
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  /** One Who call; succeeds when the call ended OK with an answer. */
  private static Future<Boolean> who(ManagedChannel channel) {
    Promise<Boolean> done = Promise.promise();
    ClientCalls.asyncUnaryCall(channel.newCall(GrpcEchoServer.WHO, CallOptions.DEFAULT), "bench",
        new StreamObserver<String>() {
          @Override
          public void onNext(String answer) {
          }

          @Override
          public void onError(Throwable t) {
            done.tryFail(t);
          }

          @Override
          public void onCompleted() {
            done.tryComplete(true);
          }
        });
    return done.future();
  }

  /** utime + stime of each process, in clock ticks (0 for one that is gone). */
  private static long[] ticks(List<String> pids) {
    long[] t = new long[pids.size()];
    for (int i = 0; i < t.length; i++) {
      try {
        String stat = Files.readString(Path.of("/proc", pids.get(i), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        t[i] = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException | RuntimeException e) {
        t[i] = 0;
      }
    }
    return t;
  }
}
