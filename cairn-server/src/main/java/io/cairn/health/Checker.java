package io.cairn.health;

import io.cairn.model.Check;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Runs one type of health check. Cairn has {@code http}, {@code tcp} and {@code grpc}; a plugin adds a type by
 * implementing this interface and listing its class in {@code META-INF/services/io.cairn.health.Checker} in a jar
 * on the node's class path. Registrations may then name its {@link #type()} in {@code check.type}, on every node
 * that has the plugin (a node without it refuses such registrations).
 *
 * <p>A checker runs on the health-check verticle's event loop: it must not block. It completes with a result,
 * also when the target fails ({@link CheckResult#unhealthy}); a failed future counts as unhealthy with the
 * failure's message as output. Cairn enforces {@code check.timeout} around every run as well.
 */
public interface Checker {

  /** The check type, as registrations name it in {@code check.type}. */
  String type();

  /** Called once on each node, before the first check, with the node's Vert.x instance. */
  default void init(Vertx vertx) {
  }

  /** Probes {@code instance} as {@code check} says. */
  Future<CheckResult> check(ServiceEntry instance, Check check);
}
