package io.cairn.replication;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node under heavy churn of a small registry snapshots once the commands applied since its last snapshot outnumber
 * the registry several times over, without waiting for snapshot.interval: the tail of the log it would replay after a
 * restart stays short, so it serves again within seconds of starting.
 */
class SnapshotTailTest {
  /** Snapshots by time or by entry count would not come within the test: an hour, and more entries than it writes. */
  private static final JsonObject RARE_SNAPSHOTS = new JsonObject()
      .put("snapshot", new JsonObject().put("interval", "1h").put("everyRevisions", 100_000));
  private static final int INSTANCES = 1_000;

  private final TestNodes cluster = new TestNodes(1);

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void fiftyThousandCommandsOnAThousandInstancesBringASnapshotLongBeforeTheInterval() {
    TestNodes.Node node = cluster.start(0, RARE_SNAPSHOTS);
    JsonArray fleet = new JsonArray();
    for (int i = 0; i < INSTANCES; i++) {
      fleet.add(new JsonObject().put("id", "churn-" + i).put("name", "churn-" + i % 50)
          .put("address", "10.0." + i / 250 + "." + i % 250).put("port", 8080));
    }
    // 40 re-registrations of the same thousand: 40,000 commands, short of the 50,000 the tail may reach.
    reRegister(node, fleet, 40);
    assertThat(snapshotsWritten(node)).as("snapshots with a tail of 40,000 commands").isZero();
    reRegister(node, fleet, 12);
    await("a snapshot once 52,000 commands followed the last").atMost(Duration.ofSeconds(60))
        .until(() -> snapshotsWritten(node) >= 1);
    JsonObject stats = Http.get(node.base() + "/v1/stats").json();
    assertThat(stats.getJsonObject("replica").getInteger("services")).isEqualTo(INSTANCES);
    assertThat(stats.getJsonObject("persistence").getLong("snapshotRevision")).isPositive();
  }

  private static void reRegister(TestNodes.Node node, JsonArray fleet, int rounds) {
    for (int round = 0; round < rounds; round++) {
      assertThat(Http.post(node.base() + "/v1/services:bulk", fleet.encode()).status()).isEqualTo(200);
    }
  }

  private static long snapshotsWritten(TestNodes.Node node) {
    return Http.get(node.base() + "/v1/stats").json().getJsonObject("replica").getLong("snapshotsWritten");
  }
}
