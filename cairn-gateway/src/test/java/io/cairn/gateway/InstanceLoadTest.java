package io.cairn.gateway;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class InstanceLoadTest {
  private final FakeClock clock = new FakeClock(1_700_000_000_000L);
  private final InstanceLoad load = new InstanceLoad(clock);

  @Test
  void countsInFlightAndTotal() {
    load.started();
    load.started();
    load.started();
    assertThat(load.inFlight()).isEqualTo(3);
    load.finished(false);
    load.finished(true);
    assertThat(load.inFlight()).isEqualTo(1);
    assertThat(load.requests()).isEqualTo(3);
  }

  @Test
  void nothingRecentWithoutRequests() {
    assertThat(load.recentErrorRate()).isZero();
    assertThat(load.recentRequestsPerSecond()).isZero();
  }

  @Test
  void errorRateOverTheLastTenSeconds() {
    for (int i = 0; i < 8; i++) {
      load.started();
      load.finished(i < 2);
    }
    assertThat(load.recentErrorRate()).isEqualTo(0.25);
    clock.advance(5_000);
    for (int i = 0; i < 2; i++) {
      load.started();
      load.finished(false);
    }
    assertThat(load.recentErrorRate()).isEqualTo(0.2);
    clock.advance(6_000);
    assertThat(load.recentErrorRate()).as("the errors left the window").isZero();
    clock.advance(5_000);
    assertThat(load.recentErrorRate()).isZero();
    assertThat(load.requests()).isEqualTo(10);
  }

  @Test
  void requestsPerSecondOverTheWindow() {
    clock.advance(1_000 - clock.getAsLong() % 1_000);
    for (int second = 0; second < 10; second++) {
      for (int i = 0; i < 50; i++) {
        load.started();
        load.finished(false);
      }
      clock.advance(1_000);
    }
    clock.advance(-1);
    assertThat(load.recentRequestsPerSecond()).isCloseTo(50, within(0.01));
    clock.advance(5_000);
    assertThat(load.recentRequestsPerSecond()).as("half the window since the last request").isCloseTo(25, within(0.01));
  }

  @Test
  void anInFlightRequestIsNotYetRecent() {
    load.started();
    assertThat(load.recentRequestsPerSecond()).isZero();
    assertThat(load.inFlight()).isEqualTo(1);
  }
}
