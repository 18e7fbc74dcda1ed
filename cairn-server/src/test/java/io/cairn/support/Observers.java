package io.cairn.support;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** grpc-java stream observers for tests: what arrives goes into a list, how the call ended into a reference. */
public final class Observers {
  private Observers() {
  }

  public static <T> StreamObserver<T> collect(List<T> into, AtomicReference<Status> ended) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {
        ended.set(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        ended.set(Status.OK);
      }
    };
  }
}
