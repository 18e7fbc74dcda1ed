package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.cairn.gateway.TestInstances.instances;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BalancersTest {
  private static final LoadView IDLE = id -> 0;

  private static Map<String, Integer> picks(Balancer b, List<ServiceEntry> candidates, LoadView load, int times) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < times; i++) {
      counts.merge(b.pick(candidates, load, null).id(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void roundRobinIsEvenWithinOneAtEveryPick() {
    Balancer b = Balancers.create(Route.Balance.ROUND_ROBIN, new Random(1));
    List<ServiceEntry> three = instances(1, 1, 1);
    Map<String, Integer> counts = new HashMap<>(Map.of("i0", 0, "i1", 0, "i2", 0));
    for (int pick = 1; pick <= 300; pick++) {
      counts.merge(b.pick(three, IDLE, null).id(), 1, Integer::sum);
      int max = counts.values().stream().max(Integer::compare).orElseThrow();
      int min = counts.values().stream().min(Integer::compare).orElseThrow();
      assertThat(max - min).as("after %d picks", pick).isLessThanOrEqualTo(1);
    }
    assertThat(counts).containsEntry("i0", 100).containsEntry("i1", 100).containsEntry("i2", 100);
  }

  @Test
  void roundRobinVisitsEveryCandidateInTurn() {
    Balancer b = Balancers.create(Route.Balance.ROUND_ROBIN, new Random(1));
    List<ServiceEntry> three = instances(1, 1, 1);
    String first = b.pick(three, IDLE, null).id();
    String second = b.pick(three, IDLE, null).id();
    String third = b.pick(three, IDLE, null).id();
    assertThat(List.of(first, second, third)).containsExactlyInAnyOrder("i0", "i1", "i2");
    assertThat(b.pick(three, IDLE, null).id()).isEqualTo(first);
  }

  @Test
  void weightedFollowsWeights() {
    Balancer b = Balancers.create(Route.Balance.WEIGHTED, new Random(42));
    Map<String, Integer> counts = picks(b, instances(1, 2, 7), IDLE, 100_000);
    assertThat(counts.get("i0") / 100_000.0).isCloseTo(0.1, within(0.01));
    assertThat(counts.get("i1") / 100_000.0).isCloseTo(0.2, within(0.01));
    assertThat(counts.get("i2") / 100_000.0).isCloseTo(0.7, within(0.01));
  }

  @Test
  void weightZeroGetsNothingWhileOthersHaveWeight() {
    Balancer b = Balancers.create(Route.Balance.WEIGHTED, new Random(7));
    Map<String, Integer> counts = picks(b, instances(0, 3, 0, 1), IDLE, 10_000);
    assertThat(counts).containsOnlyKeys("i1", "i3");
    assertThat(counts.get("i1") / 10_000.0).isCloseTo(0.75, within(0.02));
  }

  @Test
  void allWeightsZeroShareInTurn() {
    Balancer b = Balancers.create(Route.Balance.WEIGHTED, new Random(7));
    assertThat(picks(b, instances(0, 0, 0), IDLE, 300))
        .containsEntry("i0", 100).containsEntry("i1", 100).containsEntry("i2", 100);
  }

  @Test
  void leastRequestsPrefersTheIdleOfTwo() {
    Balancer b = Balancers.create(Route.Balance.LEAST_REQUESTS, new Random(3));
    Map<String, Integer> load = Map.of("i0", 5, "i1", 0);
    assertThat(picks(b, instances(1, 1), id -> load.get(id), 1_000)).containsOnlyKeys("i1");
  }

  @Test
  void leastRequestsNeverPicksTheBusiestOfThreeWhenOthersAreIdle() {
    Balancer b = Balancers.create(Route.Balance.LEAST_REQUESTS, new Random(5));
    Map<String, Integer> load = Map.of("i0", 0, "i1", 9, "i2", 0);
    Map<String, Integer> counts = picks(b, instances(1, 1, 1), id -> load.get(id), 3_000);
    assertThat(counts).containsOnlyKeys("i0", "i2");
    // ties break at random, so the two idle ones share
    assertThat(counts.get("i0") / 3_000.0).isCloseTo(0.5, within(0.05));
  }

  @Test
  void leastRequestsWithOneCandidateTakesIt() {
    Balancer b = Balancers.create(Route.Balance.LEAST_REQUESTS, new Random(5));
    assertThat(b.pick(instances(1), id -> 100, null).id()).isEqualTo("i0");
  }

  @Test
  void randomCoversEveryCandidate() {
    Balancer b = Balancers.create(Route.Balance.RANDOM, new Random(11));
    Map<String, Integer> counts = picks(b, instances(1, 1, 1, 1, 1), IDLE, 5_000);
    assertThat(counts).containsOnlyKeys("i0", "i1", "i2", "i3", "i4");
    counts.values().forEach(c -> assertThat(c / 5_000.0).isCloseTo(0.2, within(0.03)));
  }

  @Test
  void everyBalanceHasABalancerWithItsOwnState() {
    for (Route.Balance balance : Route.Balance.values()) {
      assertThat(Balancers.create(balance, new Random(1)).pick(instances(1, 1), IDLE, null)).isNotNull();
    }
    Balancer a = Balancers.create(Route.Balance.ROUND_ROBIN, new Random(1));
    Balancer c = Balancers.create(Route.Balance.ROUND_ROBIN, new Random(1));
    List<ServiceEntry> two = instances(1, 1);
    assertThat(a.pick(two, IDLE, null)).isEqualTo(c.pick(two, IDLE, null));
  }
}
