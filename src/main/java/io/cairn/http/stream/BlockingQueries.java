package io.cairn.http.stream;

import io.cairn.Addresses;
import io.cairn.NodeContext;
import io.cairn.api.Caller;
import io.cairn.api.RegistryOperations;
import io.cairn.model.ServiceQuery;
import io.cairn.replication.Applied;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Discovery that waits for a change, as Consul's blocking queries do: {@code GET /v1/services?...&index=R&wait=30s}
 * answers as soon as the query's result differs from what it was at index R, or after the wait (plus a random
 * sixteenth of it, so that many clients do not come back at the same instant) with the same result. The index of
 * a query is {@code Replica.revisionFor}: the last change to the service name it asks for, so changes to other
 * services never wake it; a change to that name that leaves the result as it was does not either.
 */
public final class BlockingQueries {
  public static final long MAX_WAIT_MILLIS = 5 * 60_000;

  private final Vertx vertx;
  private final NodeContext node;
  private final RegistryOperations ops;
  private final List<Pending> pending = new ArrayList<>();

  private final class Pending {
    final String key;
    final ServiceQuery query;
    final Buffer baseline;
    final Promise<RegistryOperations.Discovery> answer = Promise.promise();
    final Caller caller;
    long seen;
    long timer;

    Pending(Caller caller, String key, ServiceQuery query, Buffer baseline, long seen) {
      this.caller = caller;
      this.key = key;
      this.query = query;
      this.baseline = baseline;
      this.seen = seen;
    }
  }

  public BlockingQueries(Vertx vertx, NodeContext node, RegistryOperations ops) {
    this.vertx = vertx;
    this.node = node;
    this.ops = ops;
    vertx.eventBus().<Applied>localConsumer(Addresses.APPLIED, msg -> onApplied(msg.body()));
  }

  /** The revision of the query's last change (at most the replica's revision, which clients pass as index). */
  long indexOf(ServiceQuery query) {
    return node.replica().revisionFor(query);
  }

  /** Answers at once if the query changed after {@code index}; otherwise when it changes, or after the wait. */
  public Future<RegistryOperations.Discovery> await(Caller caller, String key, ServiceQuery query, long index,
                                                    long waitMillis) {
    long current = indexOf(query);
    RegistryOperations.Discovery now = ops.discover(caller, key, query);
    if (current > index) {
      return Future.succeededFuture(now);
    }
    Pending p = new Pending(caller, key, query, now.answer().services(), current);
    // Answered before http.idleTimeout would close the silent connection (with the jitter below, at most 96% of it).
    long wait = Math.min(Math.min(waitMillis, MAX_WAIT_MILLIS), node.config().idleTimeoutMillis() * 9 / 10);
    long jitter = ThreadLocalRandom.current().nextLong(wait / 16 + 1);
    p.timer = vertx.setTimer(Math.max(1, wait + jitter), t -> {
      pending.remove(p);
      try {
        p.answer.tryComplete(ops.discover(p.caller, p.key, p.query));
      } catch (RuntimeException refused) {
        p.answer.tryFail(refused);
      }
    });
    pending.add(p);
    return p.answer.future();
  }

  private void onApplied(Applied applied) {
    if (pending.isEmpty()) {
      return;
    }
    for (var it = pending.iterator(); it.hasNext(); ) {
      Pending p = it.next();
      long index = indexOf(p.query);
      if (index <= p.seen && !applied.isReset()) {
        continue;
      }
      p.seen = index;
      RegistryOperations.Discovery d;
      try {
        d = ops.discover(p.caller, p.key, p.query);
      } catch (RuntimeException refused) {
        // The caller lost the right to read it meanwhile (a policy change).
        it.remove();
        vertx.cancelTimer(p.timer);
        p.answer.tryFail(refused);
        continue;
      }
      if (applied.isReset() || !d.answer().services().equals(p.baseline)) {
        it.remove();
        vertx.cancelTimer(p.timer);
        p.answer.tryComplete(d);
      }
    }
  }
}
