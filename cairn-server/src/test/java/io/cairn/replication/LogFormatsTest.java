package io.cairn.replication;

import io.cairn.model.Check;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshot files and log entries: the binary forms read back whole, and what the release before them wrote (JSON,
 * files in src/test/resources/release-7fe0074 made by that release's LogCodec) still loads: a node upgraded in
 * place starts from its snapshot and replays its log.
 */
class LogFormatsTest {

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = LogFormatsTest.class.getResourceAsStream("/release-7fe0074/" + name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void aSnapshotWrittenByTheReleaseBeforeTheBinaryLogLoads() throws IOException {
    byte[] file = resource("snapshot");

    Snapshot s = LogCodec.decodeSnapshot(file);

    assertThat(LogCodec.snapshotRevision(file)).isEqualTo(43);
    assertThat(s.revision()).isEqualTo(43);
    assertThat(s.term()).isEqualTo(3);
    assertThat(s.leader()).isEqualTo("node-1");
    assertThat(s.leaderSince()).isEqualTo(700);
    assertThat(s.lastRequests()).isEqualTo(Map.of("node-1", 17L, "node-2", 5L));
    assertThat(s.services()).extracting(ServiceEntry::id).containsExactly("users-1", "worker-1");
    ServiceEntry users = s.services().get(0);
    assertThat(users.health()).isEqualTo(Health.UNHEALTHY);
    assertThat(users.healthReason()).isEqualTo("check failed");
    assertThat(users.check().headers()).containsEntry("X-Probe", "cairn");
    assertThat(users.lastCheck().output()).isEqualTo("connection refused");
    assertThat(users.metadata()).containsEntry("team", "payments");
    ServiceEntry worker = s.services().get(1);
    assertThat(worker.ttlMillis()).isEqualTo(15_000);
    assertThat(worker.check()).isEqualTo(Check.ttl(0));
    assertThat(worker.enabled()).isFalse();
    assertThat(worker.draining()).isTrue();
    assertThat(worker.version()).isNull();
    assertThat(s.nodes()).singleElement().satisfies(n -> assertThat(n.grpcAddress()).isEqualTo("127.0.0.1:9090"));
    assertThat(s.routes()).singleElement().satisfies(r -> assertThat(r.service()).isEqualTo("users"));
  }

  @Test
  void theOldSnapshotWrittenAgainInTheBinaryFormReadsBackTheSame() throws IOException {
    Snapshot old = LogCodec.decodeSnapshot(resource("snapshot"));

    byte[] binary = LogCodec.encode(old);
    Snapshot back = LogCodec.decodeSnapshot(binary);

    assertThat(binary[8]).as("binary snapshots are marked after their revision").isEqualTo((byte) 'C');
    assertThat(LogCodec.snapshotRevision(binary)).isEqualTo(43);
    assertThat(back).isEqualTo(old);
  }

  @Test
  void aLogEntryWrittenByTheReleaseBeforeTheBinaryLogReplays() throws IOException {
    List<byte[]> items = LogCodec.items(ByteBuffer.wrap(resource("log-entry")));

    List<Command> commands = items.stream().map(LogCodec::decode).toList();

    assertThat(commands).extracting(Command::type)
        .containsExactly(Command.Type.REGISTER, Command.Type.SET_HEALTH, Command.Type.DEREGISTER);
    assertThat(commands.get(0).service().ttlMillis()).isEqualTo(15_000);
    assertThat(commands.get(0).service().metadata()).containsEntry("team", "payments");
    assertThat(commands.get(0).cas()).isEqualTo(Command.NO_CAS);
    assertThat(commands.get(1).health()).isEqualTo(Health.DEGRADED);
    assertThat(commands.get(1).term()).isEqualTo(3);
    assertThat(commands.get(2).origin()).isEqualTo("node-2");
    assertThat(LogCodec.requestId(items.get(2))).isEqualTo(9);
  }

  @Test
  void aBinaryLogItemDecodesToTheCommandItWasMadeFrom() {
    Command c = Command.setHealth("node-1", 8, 1_001, 3, "users-1", Health.DEGRADED, "operator");

    byte[] item = LogCodec.item(8, "node-1".getBytes(StandardCharsets.UTF_8), LogCodec.body(c));

    assertThat(LogCodec.decode(item)).isEqualTo(c);
  }

  @Test
  void anEmptyRegistryRoundTrips() {
    Snapshot empty = new Snapshot(0, 0, null, 0, List.of(), List.of(), List.of(), Map.of());

    assertThat(LogCodec.decodeSnapshot(LogCodec.encode(empty))).isEqualTo(empty);
  }
}
