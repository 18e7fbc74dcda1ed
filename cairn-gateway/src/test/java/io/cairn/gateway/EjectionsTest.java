package io.cairn.gateway;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EjectionsTest {
  private static final long T0 = 1_700_000_000_000L;
  private final FakeClock clock = new FakeClock(T0);
  private final Ejections ejections = new Ejections(OutlierSettings.DEFAULTS, clock);

  private boolean connectFailures(String id, int times, int inService) {
    boolean ejected = false;
    for (int i = 0; i < times; i++) {
      ejected = ejections.onConnectFailure(id, inService);
    }
    return ejected;
  }

  @Test
  void threeConnectFailuresInARowEject() {
    assertThat(ejections.onConnectFailure("a", 4)).isFalse();
    assertThat(ejections.onConnectFailure("a", 4)).isFalse();
    assertThat(ejections.isEjected("a")).isFalse();
    assertThat(ejections.onConnectFailure("a", 4)).isTrue();
    assertThat(ejections.isEjected("a")).isTrue();
    assertThat(ejections.ejectedUntil("a")).isEqualTo(T0 + 30_000);
    assertThat(ejections.ejectedCount()).isEqualTo(1);
    assertThat(ejections.onConnectFailure("a", 4)).as("already ejected").isFalse();
  }

  @Test
  void fiveServerErrorsInARowEject() {
    for (int i = 0; i < 4; i++) {
      assertThat(ejections.onServerError("a", 4)).isFalse();
    }
    assertThat(ejections.onServerError("a", 4)).isTrue();
    assertThat(ejections.isEjected("a")).isTrue();
  }

  @Test
  void aSuccessInBetweenStartsTheRunAgain() {
    connectFailures("a", 2, 4);
    ejections.onSuccess("a");
    assertThat(connectFailures("a", 2, 4)).isFalse();
    for (int i = 0; i < 4; i++) {
      ejections.onServerError("a", 4);
    }
    ejections.onSuccess("a");
    assertThat(ejections.onServerError("a", 4)).isFalse();
    assertThat(ejections.isEjected("a")).isFalse();
    ejections.onSuccess("never-seen");
    assertThat(ejections.isEjected("never-seen")).isFalse();
  }

  @Test
  void anEjectionEndsByTheClock() {
    connectFailures("a", 3, 4);
    clock.advance(29_999);
    assertThat(ejections.isEjected("a")).isTrue();
    clock.advance(1);
    assertThat(ejections.isEjected("a")).isFalse();
    assertThat(ejections.ejectedUntil("a")).isZero();
    assertThat(ejections.ejectedCount()).isZero();
  }

  @Test
  void backOffDoublesUpToTheMaximum() {
    long[] expected = {30_000, 60_000, 120_000, 240_000, 300_000, 300_000};
    for (long duration : expected) {
      long now = clock.getAsLong();
      assertThat(connectFailures("a", 3, 4)).isTrue();
      assertThat(ejections.ejectedUntil("a") - now).isEqualTo(duration);
      clock.advance(duration);
      assertThat(ejections.isEjected("a")).isFalse();
      // back in rotation, and failing again soon after
      clock.advance(1_000);
    }
  }

  @Test
  void aLongQuietSpellStartsTheBackOffAgain() {
    connectFailures("a", 3, 4);
    clock.advance(30_000);
    connectFailures("a", 3, 4);
    assertThat(ejections.ejectedUntil("a") - clock.getAsLong()).isEqualTo(60_000);
    clock.advance(60_000 + 299_999);
    connectFailures("a", 3, 4);
    assertThat(ejections.ejectedUntil("a") - clock.getAsLong()).as("not quite max since").isEqualTo(120_000);
    clock.advance(120_000 + 300_000);
    connectFailures("a", 3, 4);
    assertThat(ejections.ejectedUntil("a") - clock.getAsLong()).isEqualTo(30_000);
  }

  @Test
  void neverMoreThanMaxEjectionPercent() {
    assertThat(connectFailures("a", 3, 4)).isTrue();
    clock.advance(10_000);
    assertThat(connectFailures("b", 3, 4)).isTrue();
    assertThat(connectFailures("c", 3, 4)).as("a third of four at 50 %").isFalse();
    assertThat(ejections.isEjected("c")).isFalse();
    assertThat(ejections.ejectedCount()).isEqualTo(2);
    // c keeps failing; once a returns, the next failure of c ejects it
    clock.advance(20_000);
    assertThat(ejections.isEjected("a")).isFalse();
    assertThat(ejections.onConnectFailure("c", 4)).isTrue();
    assertThat(ejections.ejectedCount()).isEqualTo(2);
    assertThat(ejections.isEjected("b")).isTrue();
  }

  @Test
  void concurrentEjectionsTogetherStayWithinThePercent() throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int t = 0; t < 16; t++) {
      String id = "i" + t;
      Thread thread = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        connectFailures(id, 3, 16);
      });
      thread.start();
      threads.add(thread);
    }
    go.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(ejections.ejectedCount()).isEqualTo(8);
  }

  @Test
  void aLoneInstanceIsNeverEjected() {
    assertThat(connectFailures("a", 10, 1)).isFalse();
    assertThat(ejections.isEjected("a")).isFalse();
    Ejections all = new Ejections(new OutlierSettings(5, 3, 30_000, 300_000, 100), clock);
    for (int i = 0; i < 3; i++) {
      all.onConnectFailure("a", 1);
    }
    assertThat(all.isEjected("a")).as("100 % allows the one").isTrue();
  }

  @Test
  void retainForgetsInstancesNoLongerRegistered() {
    connectFailures("a", 3, 4);
    connectFailures("b", 2, 4);
    ejections.retain(Set.of("b", "c"));
    assertThat(ejections.isEjected("a")).isFalse();
    assertThat(ejections.ejectedCount()).isZero();
    assertThat(ejections.onConnectFailure("b", 4)).as("b's run was kept").isTrue();
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> new OutlierSettings(0, 3, 30_000, 300_000, 50))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OutlierSettings(5, 3, 30_000, 10_000, 50))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OutlierSettings(5, 3, 30_000, 300_000, 101))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
