package io.cairn.support;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A Vert.x instance and one event-loop context of it, for testing a class that must be called on one context (as
 * a verticle calls it): the test's thread runs each step there and waits for its future.
 */
public final class OnContext implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();

  public Vertx vertx() {
    return vertx;
  }

  /** Runs {@code step} on the context and answers its result; throws its failure as it is. */
  public <T> T await(Supplier<Future<T>> step) {
    try {
      return within60s(start(step));
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  /** Runs {@code step} on the context and answers how it failed; fails when it succeeded. */
  public Throwable failure(Supplier<Future<?>> step) {
    try {
      Object result = within60s(start(step));
      throw new AssertionError("expected a failure, got " + result);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  private static <T> T within60s(CompletableFuture<T> answer) throws ExecutionException {
    try {
      return answer.get(60, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer within 60 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code action} on the context. */
  public void run(Runnable action) {
    context.runOnContext(v -> action.run());
  }

  private <T> CompletableFuture<T> start(Supplier<? extends Future<? extends T>> step) {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        step.get().onComplete(ar -> {
          if (ar.succeeded()) {
            result.complete(ar.result());
          } else {
            result.completeExceptionally(ar.cause());
          }
        });
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }
}
