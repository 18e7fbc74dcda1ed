package io.cairn.gateway;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SlidingWindowTest {
  @Test
  void countsOverTheLastBucketsAndForgetsOlderOnes() {
    SlidingWindow w = new SlidingWindow(10, 1_000);
    long t = 1_700_000_000_000L;
    w.add(t);
    w.add(t + 500);
    w.add(t + 3_000);
    assertThat(w.sum(t + 3_000)).isEqualTo(3);
    assertThat(w.sum(t + 9_999)).isEqualTo(3);
    assertThat(w.sum(t + 10_000)).isEqualTo(1);
    assertThat(w.sum(t + 13_000)).isZero();
  }

  @Test
  void aReusedSlotStartsFromZero() {
    SlidingWindow w = new SlidingWindow(2, 100);
    w.add(0);
    w.add(10);
    w.add(200);
    assertThat(w.sum(200)).isEqualTo(1);
  }

  @Test
  void undoTakesBackOnlyFromTheSameBucket() {
    SlidingWindow w = new SlidingWindow(2, 100);
    int bucket = w.add(50);
    w.undo(bucket);
    assertThat(w.sum(50)).isZero();
    w.undo(bucket);
    assertThat(w.sum(50)).isZero();
    int old = w.add(60);
    w.add(260);
    w.undo(old);
    assertThat(w.sum(260)).isEqualTo(1);
  }

  @Test
  void coversTheFullBucketsAndTheCurrentOnesElapsedPart() {
    SlidingWindow w = new SlidingWindow(10, 1_000);
    assertThat(w.coveredMillis(20_499)).isEqualTo(9_500);
  }

  @Test
  void concurrentAddsAreAllCounted() throws InterruptedException {
    SlidingWindow w = new SlidingWindow(10, 1_000);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 100_000; i++) {
          w.add(5_000);
        }
      });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(w.sum(5_000)).isEqualTo(400_000);
  }
}
