package io.cairn.registry;

import io.cairn.model.Check;
import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.cairn.registry.Fixtures.definition;
import static io.cairn.registry.Fixtures.on;
import static io.cairn.registry.Fixtures.register;
import static org.assertj.core.api.Assertions.assertThat;

class ApplyTest {
  private final Replica replica = new Replica();
  private long revision;

  private Outcome apply(Command c) {
    return Apply.apply(replica, c, ++revision);
  }

  @Test
  void registrationCreatesAHealthyInstanceStampedWithItsRevisionAndNode() {
    Outcome o = apply(register("a", "web", 1000));
    assertThat(o.status()).isEqualTo(Outcome.Status.CREATED);
    ServiceEntry e = replica.get("a");
    assertThat(e.health()).isEqualTo(Health.HEALTHY);
    assertThat(e.revision()).isEqualTo(1);
    assertThat(e.node()).isEqualTo(Fixtures.NODE);
    assertThat(e.registeredAt()).isEqualTo(1000);
    assertThat(o.events()).extracting(Event::type).containsExactly(Event.Type.SERVICE_REGISTERED);
    assertThat(replica.revision()).isEqualTo(1);
  }

  @Test
  void anInstanceWithAProbeStartsUnknown() {
    ServiceEntry def = definition("a", "web");
    def = new ServiceEntry(def.id(), def.name(), def.version(), def.address(), def.port(), def.tags(), def.metadata(),
        null, null, 1, null, new Check("http", "/health", null, null, false, false, null, 10_000, 2_000, 3, 2,
        0, 0), 0, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
    apply(Command.register("n1", 0, 1, def, false, Command.NO_CAS));
    assertThat(replica.get("a").health()).isEqualTo(Health.UNKNOWN);
  }

  @Test
  void createOnlyRegistrationOfAnExistingIdIsRefusedAndChangesNothing() {
    apply(register("a", "web", 1));
    Outcome o = apply(Command.register("n1", 0, 2, definition("a", "other"), true, Command.NO_CAS));
    assertThat(o.status()).isEqualTo(Outcome.Status.EXISTS);
    assertThat(o.events()).isEmpty();
    assertThat(replica.get("a").name()).isEqualTo("web");
    assertThat(replica.query(io.cairn.model.ServiceQuery.byName("other"))).isEmpty();
  }

  @Test
  void replacingKeepsHealthAndRotationWhenTheDefinitionIsTheSame() {
    apply(register("a", "web", 1));
    apply(on(Command.Type.DISABLE, "a", 2));
    Outcome o = apply(register("a", "web", 3));
    assertThat(o.status()).isEqualTo(Outcome.Status.UPDATED);
    assertThat(o.events()).extracting(Event::type).containsExactly(Event.Type.SERVICE_UPDATED);
    assertThat(replica.get("a").enabled()).isFalse();
    assertThat(replica.get("a").registeredAt()).isEqualTo(1);
  }

  @Test
  void compareAndSetFailsWhenTheInstanceChangedAfterTheGivenRevision() {
    apply(register("a", "web", 1));                       // revision 1
    apply(on(Command.Type.DRAIN, "a", 2));                 // revision 2
    Outcome stale = apply(Command.register("n1", 0, 3, definition("a", "web"), false, 1));
    assertThat(stale.status()).isEqualTo(Outcome.Status.CAS_FAILED);
    assertThat(replica.get("a").draining()).isTrue();
    Outcome fresh = apply(Command.register("n1", 0, 4, definition("a", "web"), false, 2));
    assertThat(fresh.status()).isEqualTo(Outcome.Status.UPDATED);
    assertThat(replica.get("a").draining()).isFalse();
  }

  @Test
  void compareAndSetZeroMeansOnlyIfAbsent() {
    assertThat(apply(Command.register("n1", 0, 1, definition("a", "web"), false, 0)).status()).isEqualTo(Outcome.Status.CREATED);
    assertThat(apply(Command.register("n1", 0, 2, definition("a", "web"), false, 0)).status()).isEqualTo(Outcome.Status.CAS_FAILED);
  }

  @Test
  void deregisteringRemovesTheInstanceFromEveryIndex() {
    apply(Command.register("n1", 0, 1, definition("a", "web", "1.0.0", List.of("t"), Map.of(), null, null, 0), false, -1));
    Outcome o = apply(on(Command.Type.DEREGISTER, "a", 2));
    assertThat(o.events()).extracting(Event::type).containsExactly(Event.Type.SERVICE_DEREGISTERED);
    assertThat(replica.get("a")).isNull();
    assertThat(replica.size()).isZero();
    assertThat(replica.nameCount()).isZero();
    assertThat(apply(on(Command.Type.DEREGISTER, "a", 3)).status()).isEqualTo(Outcome.Status.NOT_FOUND);
  }

  @Test
  void enableDisableDrainEmitEventsOnlyWhenSomethingChanges() {
    apply(register("a", "web", 1));
    assertThat(apply(on(Command.Type.ENABLE, "a", 2)).events()).isEmpty();
    assertThat(apply(on(Command.Type.DISABLE, "a", 3)).events()).extracting(Event::type).containsExactly(Event.Type.SERVICE_DISABLED);
    assertThat(apply(on(Command.Type.DRAIN, "a", 4)).events()).extracting(Event::type).containsExactly(Event.Type.SERVICE_DRAINING);
    ServiceEntry e = replica.get("a");
    assertThat(e.enabled()).isFalse();
    assertThat(e.draining()).isTrue();
    assertThat(e.passing()).isFalse();
    apply(on(Command.Type.ENABLE, "a", 5));
    assertThat(replica.get("a").passing()).isTrue();
  }

  @Test
  void aHeartbeatRevivesAnUnhealthyTtlInstance() {
    apply(Command.register("n1", 0, 1, definition("a", "web", null, List.of(), Map.of(), null, null, 5000), false, -1));
    apply(Command.leaderElected("n1", 0, 1, 1));
    apply(Command.setHealth("n1", 0, 7000, 1, "a", Health.UNHEALTHY, "ttl"));
    assertThat(replica.get("a").health()).isEqualTo(Health.UNHEALTHY);
    Outcome o = apply(on(Command.Type.HEARTBEAT, "a", 8000));
    assertThat(o.events()).extracting(Event::type).containsExactly(Event.Type.SERVICE_HEALTH_CHANGED);
    assertThat(replica.get("a").health()).isEqualTo(Health.HEALTHY);
    assertThat(replica.get("a").lastHeartbeat()).isEqualTo(8000);
  }

  @Test
  void aHeartbeatForAnInstanceWithoutTtlIsRefused() {
    apply(register("a", "web", 1));
    assertThat(apply(on(Command.Type.HEARTBEAT, "a", 2)).status()).isEqualTo(Outcome.Status.NOT_TTL);
  }

  @Test
  void housekeepingFromAStaleTermOrAnotherNodeIsIgnored() {
    apply(register("a", "web", 1));
    apply(Command.leaderElected("n1", 0, 2, 1));
    apply(Command.leaderElected("n2", 0, 3, 2));
    Outcome staleTerm = apply(Command.setHealth("n1", 0, 4, 1, "a", Health.UNHEALTHY, "ttl"));
    Outcome notLeader = apply(Command.setHealth("n1", 0, 5, 2, "a", Health.UNHEALTHY, "ttl"));
    assertThat(staleTerm.status()).isEqualTo(Outcome.Status.STALE_TERM);
    assertThat(notLeader.status()).isEqualTo(Outcome.Status.STALE_TERM);
    assertThat(replica.get("a").health()).isEqualTo(Health.HEALTHY);
    Outcome current = apply(Command.setHealth("n2", 0, 6, 2, "a", Health.UNHEALTHY, "ttl"));
    assertThat(current.status()).isEqualTo(Outcome.Status.UPDATED);
  }

  @Test
  void aFailureReportForAnEarlierIncarnationDoesNotMarkARestartedNodeFailed() {
    NodeInfo first = Fixtures.node("n2", "member-1", "h", 8081, "h:5702");
    NodeInfo second = Fixtures.node("n2", "member-2", "h", 8081, "h:5702");
    apply(Command.node(Command.Type.NODE_JOINED, "n1", 0, 1, 0, first));
    apply(Command.leaderElected("n1", 0, 2, 1));
    apply(Command.node(Command.Type.NODE_JOINED, "n2", 0, 3, 0, second));
    Outcome o = apply(Command.node(Command.Type.NODE_FAILED, "n1", 0, 4, 1, first));
    assertThat(o.events()).isEmpty();
    assertThat(replica.node("n2").alive()).isTrue();
    Outcome real = apply(Command.node(Command.Type.NODE_FAILED, "n1", 0, 5, 1, second));
    assertThat(real.events()).extracting(Event::type).containsExactly(Event.Type.NODE_FAILED);
    assertThat(replica.node("n2").status()).isEqualTo(NodeInfo.Status.FAILED);
  }

  /** n1 joins and leads with {@code term}; {@code member} joins. */
  private void leaderN1WithTermAndMember(long term, NodeInfo member) {
    apply(Command.node(Command.Type.NODE_JOINED, "n1", 0, 1, 0, Fixtures.node("n1", "m1", "h", 8080, "h:5701")));
    apply(Command.leaderElected("n1", 0, 2, term));
    apply(Command.node(Command.Type.NODE_JOINED, member.id(), 0, 3, 0, member));
  }

  @Test
  void aFailedNodesInstancesTurnUnhealthyWithReasonNodeFailedExceptTtlOnes() {
    NodeInfo n2 = Fixtures.node("n2", "member-1", "h", 8081, "h:5702");
    leaderN1WithTermAndMember(7, n2);
    apply(Command.register("n2", 0, 4, definition("plain", "web"), false, Command.NO_CAS));
    apply(Command.register("n2", 0, 4, Fixtures.definition("ttl", "web", "1.0.0", List.of(), Map.of(), null, null, 5000),
        false, Command.NO_CAS));
    apply(Command.register("n1", 0, 4, definition("elsewhere", "web"), false, Command.NO_CAS));

    Outcome failed = apply(Command.node(Command.Type.NODE_FAILED, "n1", 0, 10, 7, n2));

    assertThat(failed.events()).extracting(Event::type)
        .containsExactly(Event.Type.NODE_FAILED, Event.Type.SERVICE_HEALTH_CHANGED);
    assertThat(replica.get("plain").health()).isEqualTo(Health.UNHEALTHY);
    assertThat(replica.get("plain").healthReason()).isEqualTo(Apply.NODE_FAILED_REASON);
    assertThat(replica.get("ttl").health()).isEqualTo(Health.HEALTHY);
    assertThat(replica.get("elsewhere").health()).isEqualTo(Health.HEALTHY);
  }

  @Test
  void aFailedNodeThatJoinsAgainGetsItsInstancesBackAsOnRegistration() {
    NodeInfo before = Fixtures.node("n2", "member-1", "h", 8081, "h:5702");
    leaderN1WithTermAndMember(3, before);
    apply(Command.register("n2", 0, 4, definition("plain", "web"), false, Command.NO_CAS));
    apply(Command.node(Command.Type.NODE_FAILED, "n1", 0, 10, 3, before));

    Outcome back = apply(Command.node(Command.Type.NODE_JOINED, "n2", 0, 20, 0,
        Fixtures.node("n2", "member-2", "h", 8081, "h:5702")));

    assertThat(back.events()).extracting(Event::type)
        .containsExactly(Event.Type.NODE_JOINED, Event.Type.SERVICE_HEALTH_CHANGED);
    assertThat(replica.get("plain").health()).isEqualTo(Health.HEALTHY);
    assertThat(replica.get("plain").healthReason()).isNull();
    assertThat(replica.get("plain").passing()).isTrue();
  }

  @Test
  void onlyTheFirstElectionForATermTakesEffectAndALowerTermNeverDoesAndTheElectionTimeIsKept() {
    assertThat(apply(Command.leaderElected("n1", 0, 100, 41)).status()).isEqualTo(Outcome.Status.UPDATED);
    assertThat(apply(Command.leaderElected("n2", 0, 200, 41)).status()).isEqualTo(Outcome.Status.STALE_TERM);
    assertThat(apply(Command.leaderElected("n2", 0, 300, 12)).status()).isEqualTo(Outcome.Status.STALE_TERM);
    assertThat(replica.leader()).isEqualTo("n1");
    assertThat(replica.term()).isEqualTo(41);
    assertThat(replica.leaderSince()).isEqualTo(100);
  }

  @Test
  void theLeaderLeavingClearsTheLeaderButKeepsTheTerm() {
    NodeInfo n1 = Fixtures.node("n1", "m1", "h", 8080, "h:5701");
    apply(Command.node(Command.Type.NODE_JOINED, "n1", 0, 1, 0, n1));
    apply(Command.leaderElected("n1", 0, 2, 1));
    apply(Command.node(Command.Type.NODE_LEFT, "n1", 0, 3, 0, n1));
    assertThat(replica.leader()).isNull();
    assertThat(replica.term()).isEqualTo(1);
    assertThat(apply(Command.leaderElected("n2", 0, 4, 2)).status()).isEqualTo(Outcome.Status.UPDATED);
  }

  @Test
  void theLeaderOfATermRecordsItAgainOnceItsRecordWasClearedButNobodyElseCan() {
    NodeInfo n1 = Fixtures.node("n1", "m1", "h", 8080, "h:5701");
    apply(Command.node(Command.Type.NODE_JOINED, "n1", 0, 1, 0, n1));
    apply(Command.leaderElected("n1", 0, 2, 7));
    apply(Command.node(Command.Type.NODE_FAILED, "n2", 0, 3, 0, n1));
    assertThat(replica.leader()).isNull();
    assertThat(apply(Command.leaderElected("n1", 0, 4, 7)).status()).isEqualTo(Outcome.Status.UPDATED);
    assertThat(replica.leader()).isEqualTo("n1");
    assertThat(apply(Command.leaderElected("n2", 0, 5, 7)).status()).isEqualTo(Outcome.Status.STALE_TERM);
  }

  @Test
  void housekeepingCountsOnlyInALogEntryOfTheTermItWasDecidedIn() {
    apply(Command.leaderElected("n1", 0, 1, 5));
    apply(Fixtures.register("a", "web", 2));
    Command expiry = Command.setHealth("n1", 0, 3, 5, "a", Health.UNHEALTHY, "ttl");
    // Decided by n1 as leader of term 5, but carried into the log by the leader of term 6: a deposed leader's call.
    assertThat(Apply.apply(replica, expiry, ++revision, 6).status()).isEqualTo(Outcome.Status.STALE_TERM);
    assertThat(replica.get("a").health()).isEqualTo(Health.HEALTHY);
    assertThat(Apply.apply(replica, expiry, ++revision, 5).status()).isEqualTo(Outcome.Status.UPDATED);
  }

  @Test
  void everyCommandAdvancesTheRevisionEvenWhenRejected() {
    apply(on(Command.Type.DEREGISTER, "missing", 1));
    assertThat(replica.revision()).isEqualTo(1);
  }
}
