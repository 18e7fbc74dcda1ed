package io.cairn.replication;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** Ratis' asynchronous server calls declare an IOException they may throw before returning a future: one shape. */
final class RaftCalls {
  private RaftCalls() {
  }

  interface Call<T> {
    CompletableFuture<T> start() throws IOException;
  }

  static <T> CompletableFuture<T> call(Call<T> call) {
    try {
      return call.start();
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
