package io.cairn.api;

import io.cairn.config.HttpSettings;
import io.cairn.node.Addresses;
import io.cairn.node.bus.Applied;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Reads that wait for a change, as Consul's blocking queries do (Cairn's {@code GET /v1/services?index=R&wait=30s}
 * and the Consul API's reads): a read answers as soon as its result differs from what it was at index R, or after
 * the wait (plus a random sixteenth of it, so that many clients do not come back at the same instant) with the same
 * result. A read's index is the revision of the last change that can touch it (for discovery by name,
 * {@code Replica.revisionFor}: changes to other services never wake it); a change that leaves the result as it was
 * does not wake it either. One per HTTP verticle instance: it runs on that instance's event loop.
 */
public final class BlockingQueries {
  private final Vertx vertx;
  private final HttpSettings http;
  private final List<Pending<?>> pending = new ArrayList<>();

  /** One waiting read. */
  private final class Pending<T> {
    /** Reads with the same key read the same (the same question by the same caller): one read serves them all. */
    final String key;
    final LongSupplier index;
    final Supplier<T> read;
    final Function<T, Buffer> content;
    final Buffer baseline;
    final Promise<T> answer = Promise.promise();
    long seen;
    long timer;

    Pending(String key, LongSupplier index, Supplier<T> read, Function<T, Buffer> content, Buffer baseline, long seen) {
      this.key = key;
      this.index = index;
      this.read = read;
      this.content = content;
      this.baseline = baseline;
      this.seen = seen;
    }

    /** Re-reads after a change (or takes what a read with the same key read in this round); true once answered. */
    @SuppressWarnings("unchecked")
    boolean recheck(boolean reset, Map<String, Object> readThisRound) {
      long now = index.getAsLong();
      if (now <= seen && !reset) {
        return false;
      }
      seen = now;
      Object read = readThisRound.computeIfAbsent(key, k -> {
        try {
          return this.read.get();
        } catch (RuntimeException refused) {
          return refused;
        }
      });
      if (read instanceof RuntimeException) {
        // The caller lost the right to read it meanwhile (a policy change).
        answer.tryFail((RuntimeException) read);
        return true;
      }
      T result = (T) read;
      if (reset || !content.apply(result).equals(baseline)) {
        answer.tryComplete(result);
        return true;
      }
      return false;
    }

    void expire() {
      try {
        answer.tryComplete(read.get());
      } catch (RuntimeException refused) {
        answer.tryFail(refused);
      }
    }
  }

  public BlockingQueries(Vertx vertx, HttpSettings http) {
    this.vertx = vertx;
    this.http = http;
    vertx.eventBus().<Applied>localConsumer(Addresses.APPLIED, msg -> onApplied(msg.body()));
  }

  /**
   * Answers at once when {@code changed} says the client's index is behind (each API has its rule); otherwise when
   * the result changes, or after the wait.
   *
   * @param key       what the read asks and who asks it: waiting reads with the same key share each re-read
   * @param index     the read's index now, and after each change
   * @param read      the read (may throw an {@link ApiException}, e.g. a refusal)
   * @param content   what of a result counts as a change
   * @param maxMillis the longest wait this API allows
   * @param onClientGone takes what to do when the client goes away before the answer
   */
  public <T> Future<T> await(String key, LongPredicate changed, long waitMillis, long maxMillis,
                             LongSupplier index, Supplier<T> read, Function<T, Buffer> content,
                             Consumer<Runnable> onClientGone) {
    long current = index.getAsLong();
    T now = read.get();
    if (changed.test(current)) {
      return Future.succeededFuture(now);
    }
    Pending<T> p = new Pending<>(key, index, read, content, content.apply(now), current);
    // A client that went away is forgotten at once, not re-read at every change until its wait is over.
    onClientGone.accept(() -> {
      if (pending.remove(p)) {
        vertx.cancelTimer(p.timer);
        p.answer.tryFail(new ApiException(503, "gone", "the client went away"));
      }
    });
    // Answered before http.idleTimeout would close the silent connection (with the jitter below, at most 96% of it).
    long wait = Math.min(Math.min(waitMillis, maxMillis), http.idleTimeoutMillis() * 9 / 10);
    long jitter = ThreadLocalRandom.current().nextLong(wait / 16 + 1);
    p.timer = vertx.setTimer(Math.max(1, wait + jitter), t -> {
      pending.remove(p);
      p.expire();
    });
    pending.add(p);
    return p.answer.future();
  }

  private void onApplied(Applied applied) {
    if (pending.isEmpty()) {
      return;
    }
    Map<String, Object> readThisRound = new HashMap<>();
    // Over a copy: an answer can end its request at once, and a client gone meanwhile removes its own wait.
    for (Pending<?> p : List.copyOf(pending)) {
      if (p.recheck(applied.isReset(), readThisRound)) {
        pending.remove(p);
        vertx.cancelTimer(p.timer);
      }
    }
  }
}
