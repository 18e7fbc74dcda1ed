package io.cairn.replication;

import io.cairn.config.CairnConfig;
import io.cairn.model.Command;
import io.cairn.node.CommandLog;
import io.cairn.node.Standing;
import io.cairn.registry.Apply;
import io.cairn.registry.Fixtures;
import io.cairn.registry.Replica;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a node concludes about itself from its lag, its log and its quota (issue 21), without a cluster. */
class StandingMeterTest {
  @TempDir
  Path dataDir;
  private final Replica replica = new Replica();

  private StandingMeter meter(JsonObject overrides) {
    JsonObject cfg = new JsonObject().put("node", new JsonObject().put("id", "n1").put("dataDir", dataDir.toString()))
        .put("replication", new JsonObject().put("maxLag", new JsonObject().put("revisions", 100).put("time", "5s")));
    return new StandingMeter(CairnConfig.of(cfg.mergeIn(overrides, true)), replica);
  }

  private static java.nio.ByteBuffer entry(byte[]... items) {
    return java.nio.ByteBuffer.wrap(LogCodec.entry(List.of(items)));
  }

  private void register(String id, long revision) {
    Apply.apply(replica, Command.register("n1", 0, 1000, Fixtures.definition(id, "web"), false, Command.NO_CAS),
        revision, 1);
  }

  @Test
  void aNodeBehindTheLeaderForLongerThanMaxLagTimeIsNotCurrentAndCurrentAgainOnceItCaughtUp() {
    StandingMeter meter = meter(new JsonObject());
    meter.announced(3, 0);
    assertThat(meter.measure(4_000).problem()).as("4 s behind, 3 revisions").isNull();
    assertThat(meter.measure(4_000).lagMillis()).isEqualTo(4_000);
    assertThat(meter.measure(6_000).problem()).as("6 s behind").contains("replication.maxLag");
    register("a", 1);
    register("b", 2);
    register("c", 3);
    Standing caughtUp = meter.measure(6_500);
    assertThat(caughtUp.problem()).isNull();
    assertThat(caughtUp.lagRevisions()).isZero();
  }

  @Test
  void aNodeFurtherBehindThanMaxLagRevisionsIsNotCurrentAtOnce() {
    StandingMeter meter = meter(new JsonObject());
    meter.announced(101, 0);
    Standing s = meter.measure(10);
    assertThat(s.lagRevisions()).isEqualTo(101);
    assertThat(s.problem()).contains("101 revisions");
  }

  @Test
  void aFailedLogIsNotCurrentRefusesWritesAndIsRestartedWithABackOffUntilItWritesAgain() {
    StandingMeter meter = meter(new JsonObject());
    java.io.IOException full = new java.io.IOException("No space left on device");
    assertThat(meter.logFailed(new IllegalStateException("Log already failed", full), 0)).isTrue();
    assertThat(meter.logFailed(new IllegalStateException("Log already failed"), 10)).as("said once").isFalse();
    Standing s = meter.measure(20);
    assertThat(s.logFailure()).as("the first cause").isEqualTo("No space left on device");
    assertThat(s.problem()).contains("cannot be written");
    assertThat(meter.refusal(List.of(), List.of()).code()).isEqualTo(CommandLog.INSUFFICIENT_STORAGE);
    assertThat(meter.judge(500, false)).as("before the back-off").isEqualTo(StandingMeter.Action.NONE);
    assertThat(meter.judge(1_000, false)).isEqualTo(StandingMeter.Action.RESTART);
    meter.restarted();
    assertThat(meter.logFailed(full, 1_100)).isTrue();
    assertThat(meter.judge(2_000, false)).as("the back-off doubled").isEqualTo(StandingMeter.Action.NONE);
    assertThat(meter.judge(3_100, false)).isEqualTo(StandingMeter.Action.RESTART);
    meter.restarted();
    assertThat(meter.measure(3_200).problem()).isNull();
  }

  @Test
  void belowMinFreeBytesWritesAreRefusedAndALeaderHandsLeadershipOnAtMostEveryThirtySeconds() {
    StandingMeter meter = meter(new JsonObject().put("storage", new JsonObject().put("minFreeBytes", "1000000GB")));
    StandingMeter.Refusal refusal = meter.refusal(List.of(), List.of());
    assertThat(refusal).isNull(); // not measured yet: nothing known against the node
    assertThat(meter.judge(0, true)).isEqualTo(StandingMeter.Action.HAND_OVER);
    assertThat(meter.refusal(List.of(), List.of()).why()).contains("storage.minFreeBytes");
    assertThat(meter.leaderRefusal(entry())).startsWith("the leader (n1) has ");
    assertThat(meter.judge(1_000, true)).isEqualTo(StandingMeter.Action.NONE);
    assertThat(meter.judge(31_000, true)).isEqualTo(StandingMeter.Action.HAND_OVER);
    assertThat(meter.judge(62_000, false)).as("a follower hands nothing on").isEqualTo(StandingMeter.Action.NONE);
  }

  @Test
  void pastTheQuotaNewInstancesAreRefusedWhileUpdatesAndDeregistrationsGoOnOnTheNodeAndOnTheLeader() {
    StandingMeter meter = meter(new JsonObject().put("registry", new JsonObject().put("maxInstances", 2)));
    register("a", 1);
    register("b", 2);
    meter.measure(0);
    Command fresh = Command.register("n1", 0, 1000, Fixtures.definition("c", "web"), false, Command.NO_CAS);
    Command update = Command.register("n1", 0, 1000, Fixtures.definition("a", "web"), false, Command.NO_CAS);
    Command gone = Command.onInstance(Command.Type.DEREGISTER, "n1", 0, 1000, "b");
    StandingMeter.Refusal refused = meter.refusal(List.of(fresh), List.of(LogCodec.body(fresh)));
    assertThat(refused.code()).isEqualTo(CommandLog.INSUFFICIENT_STORAGE);
    assertThat(refused.why()).contains("registry.maxInstances is 2");
    assertThat(meter.refusal(List.of(update, gone), List.of(LogCodec.body(update), LogCodec.body(gone)))).isNull();
    byte[] origin = "n2".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(meter.leaderRefusal(entry(LogCodec.item(1, origin, LogCodec.body(fresh)))))
        .contains("registry.maxInstances");
    assertThat(meter.leaderRefusal(entry(LogCodec.item(1, origin, LogCodec.body(update))))).isNull();
  }
}
