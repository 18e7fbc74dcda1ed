package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Fixtures;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.cairn.registry.Snapshot;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An entry the log holds twice is applied once (issue 21): a proposal resent to a new leader that had it uncommitted
 * is appended again by Ratis, and every replica skips the repeat alike, a replica loaded from a snapshot too.
 */
class RepeatedEntriesTest {
  private final List<Outcome.Status> statuses = new ArrayList<>();

  private RegistryStateMachine machine(Replica replica) {
    return new RegistryStateMachine(replica, new EventHistory(100), "n1", id -> null,
        new RegistryStateMachine.Listener() {
          @Override
          public void applied(long revision, long[] requestIds, Outcome[] outcomes) {
            for (Outcome o : outcomes) {
              statuses.add(o.status());
            }
          }

          @Override
          public void reset(long revision) {
          }

          @Override
          public void leaderReady() {
          }

          @Override
          public void leaderChanged(RaftPeerId leader) {
          }

          @Override
          public void logFailed(Throwable cause) {
          }

          @Override
          public void snapshotTaken(long revision) {
          }
        }, entry -> null, null, () -> null, () -> false);
  }

  private static byte[] item(String origin, long requestId, Command command) {
    return LogCodec.item(requestId, origin.getBytes(StandardCharsets.UTF_8), LogCodec.body(command));
  }

  private static void apply(RegistryStateMachine m, long index, byte[]... items) {
    LogEntryProto entry = LogEntryProto.newBuilder().setIndex(index).setTerm(1)
        .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
            .setLogData(ByteString.copyFrom(LogCodec.entry(List.of(items))))).build();
    m.applyTransaction(TransactionContext.newBuilder().setStateMachine(m).setLogEntry(entry).build()).join();
  }

  private static Command register(String id) {
    return Command.register("n2", 0, 1000, Fixtures.definition(id, "web"), false, Command.NO_CAS);
  }

  @Test
  void aCommandTheLogHoldsTwiceIsAppliedOnceOnEveryReplicaEvenFromASnapshot() {
    Replica replica = new Replica();
    RegistryStateMachine m = machine(replica);
    apply(m, 1, item("n2", 100, register("a")));
    // Someone else deregisters a in between; the repeat of the registration must not bring it back.
    apply(m, 2, item("n3", 7, Command.onInstance(Command.Type.DEREGISTER, "n3", 0, 1000, "a")));
    apply(m, 3, item("n2", 100, register("a")), item("n2", 101, register("b")));
    assertThat(replica.get("a")).as("a, deregistered, not brought back by the repeat").isNull();
    assertThat(replica.get("b")).isNotNull();
    assertThat(replica.revision()).isEqualTo(3);
    assertThat(statuses.get(2)).isEqualTo(Outcome.Status.SKIPPED);

    // A replica that starts from a snapshot taken now skips the same repeats.
    Snapshot snapshot = LogCodec.decodeSnapshot(LogCodec.encode(replica.snapshot()));
    assertThat(snapshot.lastRequests()).containsEntry("n2", 101L).containsEntry("n3", 7L);
    Replica loaded = new Replica();
    loaded.load(snapshot);
    RegistryStateMachine fromSnapshot = machine(loaded);
    apply(m, 4, item("n2", 101, register("b")), item("n2", 102, register("c")));
    apply(fromSnapshot, 4, item("n2", 101, register("b")), item("n2", 102, register("c")));
    assertThat(loaded.digest()).isEqualTo(replica.digest());
    assertThat(replica.get("b").revision()).as("b as registered at 3, not again at 4").isEqualTo(3);
    assertThat(replica.lastRequest("n2")).isEqualTo(102);
  }
}
