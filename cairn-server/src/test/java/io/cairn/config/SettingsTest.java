package io.cairn.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {

  @Test
  void aBadValueInANestedSectionNamesItsDottedKey() {
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("cluster",
        new JsonObject().put("raft", new JsonObject().put("voters", "many")))))
        .hasMessage("cluster.raft.voters must be a whole number, not 'many'");
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("replication",
        new JsonObject().put("maxLag", new JsonObject().put("time", "soon")))))
        .hasMessageStartingWith("replication.maxLag.time: ");
  }

  @Test
  void aRecordBuiltDirectlyIsValidatedLikeOneReadFromTheConfiguration() {
    assertThatThrownBy(() -> new RaftSettings(9080, 1, 4, 30_000, 600))
        .hasMessage("cluster.raft.voters must be 1, 3 or 5");
    assertThatThrownBy(() -> new SnapshotSettings(60_000, 100_000, 3, 1024))
        .hasMessage("snapshot.logSegmentSize must be at least 16KB");
  }

  @Test
  void valuesThatDefaultToOthersAreResolvedWhenTheConfigurationIsRead() {
    CairnConfig cfg = CairnConfig.of(new JsonObject().put("http", new JsonObject().put("port", 8100)));
    assertThat(cfg.grpc().port()).isEqualTo(8100);
    assertThat(cfg.raft().port()).isEqualTo(9100);
    assertThat(cfg.node().id()).endsWith("-8100").isEqualTo(cfg.node().name());
    assertThat(cfg.security().auditFile()).isEqualTo(cfg.node().dataDir().resolve("audit.log").toString());
    assertThat(cfg.http().instances()).isPositive();
  }
}
