package io.cairn.bench;

import io.vertx.core.Future;
import org.HdrHistogram.Histogram;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A closed loop of {@code concurrency} calls always in flight, each started as the one before it on its lane ends,
 * for a fixed time: the load generator of {@link GrpcBench} and {@link GrpcProxyBench}.
 */
final class ClosedLoop {
  private ClosedLoop() {
  }

  /** What a measured loop did; latencies in nanoseconds. */
  record Result(double rps, long calls, long failures, Histogram latency) {
    double p50Ms() {
      return latency.getValueAtPercentile(50) / 1e6;
    }

    double p99Ms() {
      return latency.getValueAtPercentile(99) / 1e6;
    }
  }

  /** Runs the loop for {@code seconds} and measures it (call it once before, unmeasured, to warm up). */
  static Result run(int seconds, int concurrency, Supplier<Future<Boolean>> call) throws InterruptedException {
    Histogram latency = new Histogram(3_600_000_000L, 3);
    AtomicLong failures = new AtomicLong();
    AtomicLong completed = new AtomicLong();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch lanes = new CountDownLatch(concurrency);
    for (int lane = 0; lane < concurrency; lane++) {
      next(call, end, latency, failures, completed, lanes);
    }
    lanes.await();
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new Result(completed.get() / elapsed, completed.get(), failures.get(), latency);
  }

  private static void next(Supplier<Future<Boolean>> call, long end, Histogram latency, AtomicLong failures,
                           AtomicLong completed, CountDownLatch lanes) {
    if (System.nanoTime() >= end) {
      lanes.countDown();
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
      next(call, end, latency, failures, completed, lanes);
    });
  }
}
