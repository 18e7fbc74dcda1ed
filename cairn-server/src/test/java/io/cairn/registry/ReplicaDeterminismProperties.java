package io.cairn.registry;

import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.replication.LogCodec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one rule of replication: the same log gives the same replica and the same events everywhere. One replica
 * applies commands as they were made, another applies them after the log's byte encoding, a third loads a
 * snapshot taken part-way and replays the rest.
 */
class ReplicaDeterminismProperties {

  @Property(tries = 300)
  void theSameLogGivesTheSameStateAndEventsOnEveryReplica(
      @ForAll("logs") @Size(max = 120) List<Command> log,
      @ForAll @IntRange(min = 0, max = 120) int snapshotAt) {
    Replica direct = new Replica();
    Replica decoded = new Replica();
    List<Event> directEvents = new ArrayList<>();
    List<Event> decodedEvents = new ArrayList<>();
    Replica restored = null;
    int cut = Math.min(snapshotAt, log.size());
    for (int i = 0; i < log.size(); i++) {
      long revision = i + 1;
      if (i == cut) {
        restored = new Replica();
        restored.load(LogCodec.decodeSnapshot(LogCodec.encode(decoded.snapshot())));
      }
      directEvents.addAll(Apply.apply(direct, log.get(i), revision).events());
      decodedEvents.addAll(Apply.apply(decoded, throughTheLog(log.get(i)), revision).events());
      if (restored != null) {
        Apply.apply(restored, throughTheLog(log.get(i)), revision);
      }
    }
    if (restored == null) {
      restored = new Replica();
      restored.load(LogCodec.decodeSnapshot(LogCodec.encode(decoded.snapshot())));
    }
    assertThat(decoded.digest()).isEqualTo(direct.digest());
    assertThat(decodedEvents).isEqualTo(directEvents);
    assertThat(restored.digest()).isEqualTo(direct.digest());
    assertThat(restored.size()).isEqualTo(direct.size());
  }

  @Provide
  Arbitrary<List<Command>> logs() {
    return command().list().ofMaxSize(120);
  }

  private Arbitrary<Command> command() {
    Arbitrary<String> ids = Arbitraries.of("a", "b", "c", "d", "e");
    Arbitrary<String> names = Arbitraries.of("web", "db", "cache");
    Arbitrary<String> origins = Arbitraries.of("n1", "n2", "n3");
    Arbitrary<Long> times = Arbitraries.longs().between(1, 1_000_000);
    Arbitrary<Long> terms = Arbitraries.longs().between(0, 4);
    Arbitrary<Command> register = Combinators.combine(ids, names, origins, times, Arbitraries.of(true, false),
            Arbitraries.longs().between(-1, 30), Arbitraries.of(0L, 2000L),
            Arbitraries.<List<String>>of(List.of(), List.of("x"), List.of("x", "y")))
        .as((id, name, origin, at, create, cas, ttl, tags) -> Command.register(origin, 0, at,
            Fixtures.definition(id, name, "1." + (at % 3) + ".0", tags, Map.of("k", name), "eu", "z" + (at % 2), ttl),
            create, cas));
    Arbitrary<Command> onInstance = Combinators.combine(
            Arbitraries.of(Command.Type.DEREGISTER, Command.Type.HEARTBEAT, Command.Type.ENABLE, Command.Type.DISABLE,
                Command.Type.DRAIN), origins, times, ids)
        .as((type, origin, at, id) -> Command.onInstance(type, origin, 0, at, id));
    Arbitrary<Command> health = Combinators.combine(origins, times, terms, ids, Arbitraries.of(Health.class))
        .as((origin, at, term, id, h) -> Command.setHealth(origin, 0, at, term, id, h, "probe"));
    Arbitrary<Command> housekeepingDeregister = Combinators.combine(origins, times, terms, ids)
        .as((origin, at, term, id) -> Command.housekeeping(Command.Type.DEREGISTER, origin, 0, at, term, id, "gone"));
    Arbitrary<Command> elect = Combinators.combine(origins, times, terms)
        .as((origin, at, term) -> Command.leaderElected(origin, 0, at, term));
    Arbitrary<Command> nodes = Combinators.combine(
            Arbitraries.of(Command.Type.NODE_JOINED, Command.Type.NODE_LEFT, Command.Type.NODE_FAILED), origins, times,
            terms, origins, Arbitraries.of("m1", "m2"))
        .as((type, origin, at, term, id, member) -> Command.node(type, origin, 0, at,
            type == Command.Type.NODE_FAILED ? term : 0,
            Fixtures.node(id, member, "127.0.0.1", 8080, "127.0.0.1:5701")));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, register),
        net.jqwik.api.Tuple.of(4, onInstance),
        net.jqwik.api.Tuple.of(2, health),
        net.jqwik.api.Tuple.of(1, housekeepingDeregister),
        net.jqwik.api.Tuple.of(1, elect),
        net.jqwik.api.Tuple.of(1, nodes));
  }

  /** The command as another node reads it: encoded as an item of a Raft entry, and decoded again. */
  private static Command throughTheLog(Command command) {
    byte[] item = LogCodec.item(command.requestId(),
        command.origin().getBytes(java.nio.charset.StandardCharsets.UTF_8), LogCodec.body(command));
    byte[] entry = LogCodec.entry(List.of(item));
    return LogCodec.decode(LogCodec.items(java.nio.ByteBuffer.wrap(entry)).get(0));
  }
}
