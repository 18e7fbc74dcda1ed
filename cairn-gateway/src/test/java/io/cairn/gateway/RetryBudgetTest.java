package io.cairn.gateway;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryBudgetTest {
  private final FakeClock clock = new FakeClock(1_700_000_000_000L);

  private static int acquired(RetryBudget budget, int attempts) {
    int granted = 0;
    for (int i = 0; i < attempts; i++) {
      if (budget.tryAcquire()) {
        granted++;
      }
    }
    return granted;
  }

  @Test
  void aShareOfTheRequests() {
    RetryBudget budget = new RetryBudget(0.2, 3, 10_000, clock);
    for (int i = 0; i < 100; i++) {
      budget.onRequest();
    }
    for (int i = 0; i < 20; i++) {
      assertThat(budget.tryAcquire()).as("retry %d", i + 1).isTrue();
    }
    assertThat(budget.tryAcquire()).isFalse();
    assertThat(budget.tryAcquire()).isFalse();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    assertThat(acquired(budget, 5)).as("105 requests allow 21").isEqualTo(1);
  }

  @Test
  void aQuietRouteMayStillRetryItsMinimum() {
    RetryBudget budget = new RetryBudget(0.2, 3, 10_000, clock);
    budget.onRequest();
    assertThat(acquired(budget, 10)).isEqualTo(3);
  }

  @Test
  void theWindowSlides() {
    RetryBudget budget = new RetryBudget(0.2, 0, 10_000, clock);
    for (int i = 0; i < 50; i++) {
      budget.onRequest();
    }
    assertThat(acquired(budget, 20)).isEqualTo(10);
    clock.advance(5_000);
    for (int i = 0; i < 50; i++) {
      budget.onRequest();
    }
    assertThat(acquired(budget, 20)).as("100 requests and 10 retries in the window").isEqualTo(10);
    clock.advance(5_000);
    // the first 50 requests and 10 retries left the window; 50 requests and 10 retries remain
    assertThat(acquired(budget, 20)).isZero();
    clock.advance(5_000);
    assertThat(acquired(budget, 20)).as("nothing left in the window, no minimum").isZero();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    assertThat(acquired(budget, 20)).isEqualTo(1);
  }

  @Test
  void noRetriesWithoutRequestsOrMinimum() {
    assertThat(acquired(new RetryBudget(0.2, 0, 10_000, clock), 5)).isZero();
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> new RetryBudget(-0.1, 0, 10_000, clock)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryBudget(Double.NaN, 0, 10_000, clock)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryBudget(0.2, -1, 10_000, clock)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryBudget(0.2, 0, 5, clock)).isInstanceOf(IllegalArgumentException.class);
  }
}
