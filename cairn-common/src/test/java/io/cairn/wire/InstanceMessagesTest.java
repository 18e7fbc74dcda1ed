package io.cairn.wire;

import io.cairn.grpc.v1.Instance;
import io.cairn.model.Check;
import io.cairn.model.CheckOutcome;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class InstanceMessagesTest {

  @Test
  void anEntryReadsBackEqualFromItsMessage() {
    ServiceEntry full = new ServiceEntry("web-1", "web", "2.1.0", "10.0.0.7", 8080, List.of("blue", "canary"),
        new TreeMap<>(Map.of("team", "a")), "eu", "eu-1", 3, "n2",
        new Check("http", "/health", null, null, true, false, new TreeMap<>(Map.of("X-A", "b")), 5_000, 1_000, 3, 2,
            10_000, 60_000),
        0, Health.DEGRADED, true, true, 1_000, new CheckOutcome(2_000, Health.DEGRADED, "slow", 12, "n1"), 0, 1_500,
        "slow answers", 42);
    assertThat(InstanceMessages.entry(InstanceMessages.message(full))).isEqualTo(full);

    ServiceEntry bare = new ServiceEntry("ttl-1", "jobs", null, "10.0.0.8", 9000, List.of(), new TreeMap<>(), null,
        null, 1, null, Check.ttl(0), 10_000, Health.HEALTHY, false, false, 1_000, null, 1_200, 1_000, null, 7);
    assertThat(InstanceMessages.entry(InstanceMessages.message(bare))).isEqualTo(bare);
  }

  @Test
  void aHealthThisClientDoesNotKnowKeepsTheInstanceOutOfRotation() {
    ServiceEntry e = InstanceMessages.entry(Instance.newBuilder().setId("x-1").setName("x").setAddress("h")
        .setPort(1).setHealth("resting").setEnabled(true).build());
    assertThat(e.health()).isEqualTo(Health.UNKNOWN);
    assertThat(e.passing()).isFalse();
  }
}
