package io.cairn.consul;

import io.cairn.api.BlockingQueries;
import io.cairn.api.Caller;
import io.cairn.api.CatalogQueries;
import io.cairn.api.RegistryOperations;
import io.cairn.node.NodeState;
import io.cairn.webapi.Authentication;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * How Consul answers: reads as blocking queries ({@code X-Consul-Index} is the revision of the last change to what
 * the read covers, and {@code index=N&wait=D} waits until the answer differs from what it was), writes with 200 and
 * no body (the Go and Vert.x clients take nothing else), and Consul's headers on every answer.
 */
final class ConsulAnswers {
  private final NodeState node;
  private final CatalogQueries catalog;
  private final RegistryOperations ops;
  private final BlockingQueries blocking;
  private final String datacenter;

  /** An answer with the index it reflects (read before the answer, so that a client never skips a change). */
  private record Read(long index, Buffer body) {
  }

  ConsulAnswers(NodeState node, CatalogQueries catalog, RegistryOperations ops, BlockingQueries blocking,
                String datacenter) {
    this.node = node;
    this.catalog = catalog;
    this.ops = ops;
    this.blocking = blocking;
    this.datacenter = datacenter;
  }

  /**
   * Answers a read as a blocking query. {@code index} is the read's index; {@code read} builds the answer (and
   * refuses what the caller may not read).
   */
  void read(RoutingContext rc, LongSupplier index, Function<Caller, Object> read) {
    Caller caller = Authentication.caller(rc);
    MultiMap params = rc.queryParams();
    ConsulParams.checkQuery(params, datacenter);
    ops.requireReady();
    long since = ConsulParams.index(params);
    long waitMillis = ConsulParams.waitMillis(params);
    String key = ConsulParams.blockingKey(caller, rc.request().path(), params);
    Supplier<Read> answer = () -> {
      long at = Math.max(1, index.getAsLong());
      return new Read(at, Json.encodeToBuffer(read.apply(caller)));
    };
    Future<Void> barrier = params.contains("consistent") ? ops.readBarrier() : Future.succeededFuture();
    barrier.compose(v -> blocking.await(key, current -> since == 0 || Math.max(1, current) != since, waitMillis,
            ConsulParams.MAX_WAIT_MILLIS, index, answer, Read::body, cancel -> rc.response().closeHandler(x -> cancel.run())))
        .onComplete(ar -> {
          if (ar.failed()) {
            ConsulErrors.error(rc, ar.cause());
            return;
          }
          rc.response().putHeader("X-Consul-Index", Long.toString(ar.result().index()));
          answer(rc, 200, ar.result().body());
        });
  }

  /** Answers a write once it is done: 200 without a body, or Consul's error. */
  void write(RoutingContext rc, Future<?> done) {
    done.onComplete(ar -> {
      if (ar.failed()) {
        ConsulErrors.error(rc, ar.cause());
      } else if (!rc.response().ended()) {
        consulHeaders(rc);
        rc.response().setStatusCode(200).putHeader("Content-Type", "application/json").end();
      }
    });
  }

  void answer(RoutingContext rc, int status, Object body) {
    answer(rc, status, Json.encodeToBuffer(body));
  }

  void answer(RoutingContext rc, int status, Buffer body) {
    if (rc.response().ended()) {
      return;
    }
    consulHeaders(rc);
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body);
  }

  /**
   * Consul's headers, on every answer: answers that are not blocking queries carry an index too (the registry's
   * revision), since Consul's clients parse it from any answer.
   */
  private void consulHeaders(RoutingContext rc) {
    if (!rc.response().headers().contains("X-Consul-Index")) {
      rc.response().putHeader("X-Consul-Index", Long.toString(Math.max(1, catalog.revision())));
    }
    rc.response()
        .putHeader("X-Consul-KnownLeader", Boolean.toString(node.current() && catalog.leaderKnown()))
        .putHeader("X-Consul-LastContact", Long.toString(node.lastContactMillis()));
  }
}
