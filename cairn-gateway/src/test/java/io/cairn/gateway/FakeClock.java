package io.cairn.gateway;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

final class FakeClock implements LongSupplier {
  private final AtomicLong now;

  FakeClock(long start) {
    this.now = new AtomicLong(start);
  }

  void advance(long millis) {
    now.addAndGet(millis);
  }

  @Override
  public long getAsLong() {
    return now.get();
  }
}
