package io.cairn.model;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every kind of command reads back from the log's binary form exactly as it was written, absent fields included. */
class LogProtoTest {
  private static final Check HTTP_CHECK = new Check("http", "/health", null, null, true, false,
      new TreeMap<>(java.util.Map.of("Authorization", "Bearer x")), 10_000, 2_000, 3, 2, 5_000, 60_000);
  private static final Check GRPC_CHECK = new Check("grpc", null, "https://10.0.0.1:9000", "users.v1.Users", false,
      true, null, 5_000, 1_000, 1, 1, 0, 0);
  private static final CheckOutcome OUTCOME = new CheckOutcome(1_700_000_000_123L, Health.UNHEALTHY,
      "connection refused", 12, "node-2");

  private static ServiceEntry entry(String id, Check check, long ttl) {
    TreeMap<String, String> meta = new TreeMap<>();
    meta.put("team", "payments");
    meta.put("build", "");
    return new ServiceEntry(id, "users", "2.1.0", "10.0.0.7", 8080, List.of("blue", "http"), meta, "eu", "eu-1", 3,
        null, check, ttl, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
  }

  private static ServiceEntry bare(String id) {
    return new ServiceEntry(id, "db", null, "db.local", 5432, List.of(), new TreeMap<>(), null, null, 1, null, null,
        0, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
  }

  private static Route route() {
    return Routes.parse(new JsonObject("""
        {"match": {"pathPrefix": "/api/"}, "service": "users", "retries": 2,
         "split": [{"select": {"version": "^1"}, "weight": 95}, {"select": {"version": "^2"}, "weight": 5}],
         "sticky": {"header": "X-User"}}"""), "users-api");
  }

  private static NodeInfo node() {
    return new NodeInfo("node-2", "second", "m-42", "127.0.0.1", 8081, "127.0.0.1:9091", "127.0.0.1:5702", "eu",
        "eu-1", "1.0.0", List.of("ssd"), 1_700_000_000_000L, NodeInfo.Status.FAILED, 1_700_000_000_500L,
        1_700_000_009_000L);
  }

  static List<Command> everyKind() {
    return List.of(
        Command.register("node-1", 1, 1000, entry("users-1", HTTP_CHECK, 0), false, Command.NO_CAS),
        Command.register("node-1", 2, 1001, entry("users-2", GRPC_CHECK, 0), true, 0),
        Command.register("node-1", 3, 1002, entry("users-3", Check.ttl(30_000), 15_000), false, 17),
        Command.register("node-3", 4, 1003, bare("db-1"), false, Command.NO_CAS),
        Command.onInstance(Command.Type.DEREGISTER, "node-1", 5, 1004, "users-1"),
        Command.onInstance(Command.Type.HEARTBEAT, "node-1", 6, 1005, "users-3"),
        Command.onInstance(Command.Type.ENABLE, "node-1", 7, 1006, "users-2"),
        Command.onInstance(Command.Type.DISABLE, "node-1", 8, 1007, "users-2"),
        Command.onInstance(Command.Type.DRAIN, "node-1", 9, 1008, "users-2"),
        Command.setHealth("node-1", 10, 1009, 4, "users-2", Health.DEGRADED, "operator said so"),
        Command.checkTransition("node-2", 1010, "users-2", Health.UNHEALTHY, "check failed 3 times", OUTCOME),
        Command.housekeeping(Command.Type.DEREGISTER, "node-1", 11, 1011, 4, "users-3", "deregisterAfter"),
        Command.node(Command.Type.NODE_JOINED, "node-1", 12, 1012, 4, node()),
        Command.node(Command.Type.NODE_LEFT, "node-1", 13, 1013, 4, node()),
        Command.node(Command.Type.NODE_FAILED, "node-1", 14, 1014, 4, node()),
        Command.leaderElected("node-1", 15, 1015, 5),
        Command.putRoute("node-1", 16, 1016, route(), 0),
        Command.putRoute("node-1", 17, 1017, route(), Command.NO_CAS),
        Command.deleteRoute("node-1", 18, 1018, "users-api"));
  }

  @Test
  void everyKindOfCommandReadsBackAsWritten() {
    for (Command c : everyKind()) {
      byte[] bytes = LogProto.bytes(c);
      assertThat(LogProto.command(bytes, 0, bytes.length)).as(c.type().name()).isEqualTo(c);
    }
  }

  @Test
  void theCasesAboveCoverEveryCommandType() {
    Set<Command.Type> covered = everyKind().stream().map(Command::type).collect(Collectors.toSet());
    assertThat(covered).isEqualTo(EnumSet.allOf(Command.Type.class));
  }

  @Test
  void anInstanceWithItsStateReadsBackAsWritten() {
    ServiceEntry stated = entry("users-9", HTTP_CHECK, 0)
        .registered("node-1", Health.DEGRADED, false, 1_000, OUTCOME, 1_500, 1_200, 77)
        .withHealth(Health.UNHEALTHY, "node-failed", OUTCOME, 2_000, 78);
    ServiceEntry ttl = entry("users-10", Check.ttl(0), 10_000)
        .registered("node-3", Health.HEALTHY, true, 1_000, null, 1_500, 1_500, 79);

    for (ServiceEntry e : Stream.of(stated, ttl, bare("db-2")).toList()) {
      assertThat(LogProto.fromProto(LogProto.toProto(e))).isEqualTo(e);
    }
    assertThat(LogProto.fromProto(LogProto.toProto(node()))).isEqualTo(node());
  }

  @Test
  void bytesThatAreNotACommandAreRefusedWithAReason() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02};

    assertThatThrownBy(() -> LogProto.command(garbage, 0, garbage.length))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a Cairn log command");
  }
}
