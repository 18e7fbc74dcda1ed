package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.cairn.gateway.TestInstances.instances;
import static org.assertj.core.api.Assertions.assertThat;

class HashRingTest {
  private static final LoadView IDLE = id -> 0;
  private final Balancer hash = Balancers.create(Route.Balance.HASH, new Random(1));

  private String pick(String key, List<ServiceEntry> population) {
    return hash.pick(population, IDLE, new Balancer.Keyed(HashRing.hash(key), population)).id();
  }

  private Map<String, String> placeAll(List<ServiceEntry> population) {
    Map<String, String> placed = new HashMap<>();
    for (int k = 0; k < 1000; k++) {
      placed.put("user-" + k, pick("user-" + k, population));
    }
    return placed;
  }

  @Test
  void theSameKeyReachesTheSameInstanceEveryTime() {
    List<ServiceEntry> five = instances(1, 1, 1, 1, 1);
    String first = pick("user-42", five);
    for (int i = 0; i < 1000; i++) {
      assertThat(pick("user-42", five)).isEqualTo(first);
    }
  }

  @Test
  void removingOneOfFiveMovesOnlyItsKeysAndAddingItBackMovesThemHome() {
    List<ServiceEntry> five = instances(1, 1, 1, 1, 1);
    Map<String, String> before = placeAll(five);
    List<ServiceEntry> four = new ArrayList<>(five);
    four.remove(2);

    Map<String, String> without = placeAll(List.copyOf(four));
    long moved = before.keySet().stream().filter(k -> !before.get(k).equals(without.get(k))).count();
    assertThat(moved).isLessThanOrEqualTo(250);
    // Only the keys of the instance that left move; everyone else's stay.
    assertThat(before.keySet().stream().filter(k -> !before.get(k).equals(without.get(k)))
        .allMatch(k -> before.get(k).equals("i2"))).isTrue();

    assertThat(placeAll(five)).isEqualTo(before);
  }

  @Test
  void keysSpreadRoughlyEvenlyOverFiveInstances() {
    Map<String, Integer> counts = new HashMap<>();
    placeAll(instances(1, 1, 1, 1, 1)).values().forEach(id -> counts.merge(id, 1, Integer::sum));
    assertThat(counts).hasSize(5);
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(120, 280));
  }

  @Test
  void aTriedOrEjectedInstanceSendsItsKeyToTheNextOnTheRingNotAnywhere() {
    List<ServiceEntry> five = instances(1, 1, 1, 1, 1);
    String home = pick("user-7", five);
    List<ServiceEntry> rest = five.stream().filter(e -> !e.id().equals(home)).toList();
    String next = hash.pick(rest, IDLE, new Balancer.Keyed(HashRing.hash("user-7"), five)).id();
    assertThat(next).isNotEqualTo(home);
    // The same ring without the home instance places the key on that same next instance.
    assertThat(pick("user-7", rest)).isEqualTo(next);
  }

  @Test
  void aRequestWithoutAKeyIsBalancedRoundRobin() {
    List<ServiceEntry> three = instances(1, 1, 1);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      counts.merge(hash.pick(three, IDLE, null).id(), 1, Integer::sum);
    }
    assertThat(counts).containsEntry("i0", 100).containsEntry("i1", 100).containsEntry("i2", 100);
  }
}
