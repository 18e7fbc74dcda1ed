package io.cairn.bench.zookeeper;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Drives every session with exactly one request in flight, the next one sent when the previous one is answered, for a
 * fixed time (what wrk does with its connections). Only answers that arrive within the time count, and only their
 * latencies are recorded, as with wrk; requests still in flight at the end are waited for but not counted.
 */
final class ClosedLoop {
  /** One request of a session. Returns false when there is no more work; otherwise calls {@code done} once. */
  interface Operation {
    boolean start(int session, long sequence, Answer done) throws Exception;
  }

  /** The answer to one request: whether it succeeded. May be called on any thread. */
  interface Answer {
    void answered(boolean ok);
  }

  /** How many answers arrived in time, how many of them were errors, their latencies in microseconds. */
  record Result(long answers, long errors, Histogram latencyMicros, Duration elapsed) {
    double perSecond() {
      return answers * 1e9 / elapsed.toNanos();
    }
  }

  // A request that fails before it is sent (an exception from Curator's builder) answers itself here, not on the
  // caller's stack, so that a run of such failures cannot grow the stack.
  private static final Executor LATER = ForkJoinPool.commonPool();

  private ClosedLoop() {
  }

  static Result run(int sessions, Duration limit, Operation operation) throws InterruptedException {
    Histogram latencies = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(10), 3);
    AtomicLong answers = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(sessions);
    long start = System.nanoTime();
    long end = start + limit.toNanos();
    AtomicLong lastInTime = new AtomicLong(start);
    for (int s = 0; s < sessions; s++) {
      new Chain(s, operation, end, latencies, answers, errors, lastInTime, finished).next();
    }
    if (!finished.await(limit.toSeconds() + 120, TimeUnit.SECONDS)) {
      throw new IllegalStateException(finished.getCount() + " sessions still waiting for an answer 120 s after the end");
    }
    // A count-bounded run (the preload) ends when its work is done, a timed run at its limit.
    long elapsed = Math.min(end, Math.max(lastInTime.get(), start + 1)) - start;
    return new Result(answers.get(), errors.get(), latencies, Duration.ofNanos(elapsed));
  }

  /** The requests of one session, one after the other. */
  private static final class Chain {
    private final int session;
    private final Operation operation;
    private final long end;
    private final Histogram latencies;
    private final AtomicLong answers;
    private final AtomicLong errors;
    private final AtomicLong lastInTime;
    private final CountDownLatch finished;
    private long sequence;

    Chain(int session, Operation operation, long end, Histogram latencies, AtomicLong answers, AtomicLong errors,
          AtomicLong lastInTime, CountDownLatch finished) {
      this.session = session;
      this.operation = operation;
      this.end = end;
      this.latencies = latencies;
      this.answers = answers;
      this.errors = errors;
      this.lastInTime = lastInTime;
      this.finished = finished;
    }

    void next() {
      long sent = System.nanoTime();
      if (sent >= end) {
        finished.countDown();
        return;
      }
      sequence++;
      AtomicBoolean once = new AtomicBoolean();
      Answer answer = ok -> {
        if (once.compareAndSet(false, true)) {
          answered(sent, ok);
        }
      };
      try {
        if (!operation.start(session, sequence, answer)) {
          finished.countDown();
        }
      } catch (Exception e) {
        LATER.execute(() -> answer.answered(false));
      }
    }

    private void answered(long sent, boolean ok) {
      long now = System.nanoTime();
      if (now <= end) {
        latencies.recordValue(Math.max(1, (now - sent) / 1000));
        answers.incrementAndGet();
        if (!ok) {
          errors.incrementAndGet();
        }
        lastInTime.accumulateAndGet(now, Math::max);
      }
      next();
    }
  }
}
