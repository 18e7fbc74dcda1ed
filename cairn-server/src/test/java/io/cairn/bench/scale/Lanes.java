package io.cairn.bench.scale;

import io.vertx.core.Future;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs many asynchronous openings (a connection, a stream) a bounded number at a time, so that opening thousands
 * of them neither floods the nodes' accept queues nor waits for each in turn.
 */
final class Lanes {
  private Lanes() {
  }

  /** What became of a batch of openings. */
  record Outcome(int failed, Throwable firstFailure) {
  }

  /** Runs every task, {@code lanes} at once; waits at most {@code seconds} for the lot. */
  static Outcome run(List<Supplier<Future<?>>> tasks, int lanes, long seconds) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> first = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(tasks.size());
    for (int lane = 0; lane < Math.min(lanes, tasks.size()); lane++) {
      step(tasks, next, failed, first, done);
    }
    if (!done.await(seconds, TimeUnit.SECONDS)) {
      throw new IllegalStateException((tasks.size() - done.getCount()) + " of " + tasks.size()
          + " openings finished after " + seconds + " s");
    }
    return new Outcome(failed.get(), first.get());
  }

  /** Starts the next task on this lane; one that is already over (refused at once) is followed in a loop. */
  private static void step(List<Supplier<Future<?>>> tasks, AtomicInteger next, AtomicInteger failed,
                           AtomicReference<Throwable> first, CountDownLatch done) {
    while (true) {
      int i = next.getAndIncrement();
      if (i >= tasks.size()) {
        return;
      }
      Future<?> f;
      try {
        f = tasks.get(i).get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      if (!f.isComplete()) {
        f.onComplete(ar -> {
          finish(ar.failed() ? ar.cause() : null, failed, first, done);
          step(tasks, next, failed, first, done);
        });
        return;
      }
      finish(f.failed() ? f.cause() : null, failed, first, done);
    }
  }

  private static void finish(Throwable failure, AtomicInteger failed, AtomicReference<Throwable> first,
                             CountDownLatch done) {
    if (failure != null) {
      failed.incrementAndGet();
      first.compareAndSet(null, failure);
    }
    done.countDown();
  }
}
