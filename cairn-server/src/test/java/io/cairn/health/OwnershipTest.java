package io.cairn.health;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Rendezvous hashing: even spread, and only the checks of a node that goes move. */
class OwnershipTest {
  private static final List<String> THREE = List.of("node-1", "node-2", "node-3");

  @Test
  void tenThousandChecksSpreadEvenlyOverThreeNodes() {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      counts.merge(Ownership.owner("web-" + i, THREE), 1, Integer::sum);
    }
    assertThat(counts).hasSize(3);
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(3_000, 3_700));
  }

  @Test
  void whenANodeGoesOnlyItsChecksMoveAndTheyMoveToEveryOtherNode() {
    List<String> two = List.of("node-1", "node-3");
    Map<String, Integer> movedTo = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      String id = "web-" + i;
      String before = Ownership.owner(id, THREE);
      String after = Ownership.owner(id, two);
      if (!before.equals("node-2")) {
        assertThat(after).as(id + " stays where it was").isEqualTo(before);
      } else {
        movedTo.merge(after, 1, Integer::sum);
      }
    }
    assertThat(movedTo.keySet()).containsExactlyInAnyOrder("node-1", "node-3");
  }

  @Test
  void theOwnerDoesNotDependOnTheOrderNodesAreListedInAndNobodyOwnsWithoutNodes() {
    assertThat(Ownership.owner("db-7", List.of("c", "a", "b"))).isEqualTo(Ownership.owner("db-7", List.of("a", "b", "c")));
    assertThat(Ownership.owner("db-7", List.of())).isNull();
  }

  @Test
  void phasesSpreadOverTheIntervalAndStayWithinIt() {
    int[] buckets = new int[10];
    for (int i = 0; i < 10_000; i++) {
      long phase = Ownership.phase("web-" + i, 10_000);
      assertThat(phase).isBetween(0L, 9_999L);
      buckets[(int) (phase / 1_000)]++;
    }
    for (int b : buckets) {
      assertThat(b).as("checks starting in each second of a 10 s interval").isBetween(850, 1_150);
    }
  }
}
