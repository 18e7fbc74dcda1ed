package io.cairn.bridge.redis;

import io.cairn.bridge.Change;
import io.cairn.model.Event;
import io.cairn.model.Health;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Fixtures;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.cairn.bridge.redis.HashPlan.Kind.DELETE;
import static io.cairn.bridge.redis.HashPlan.Kind.DROP;
import static io.cairn.bridge.redis.HashPlan.Kind.PUBLISH;
import static io.cairn.bridge.redis.HashPlan.Kind.SET;
import static org.assertj.core.api.Assertions.assertThat;

class HashPlanTest {
  private final HashPlan plan = new HashPlan(7);

  static ServiceEntry instance(String id, String name, long revision) {
    return Fixtures.definition(id, name).registered("n1", Health.HEALTHY, true, 1_000, null, 1_000, 1_000, revision);
  }

  static Change change(Event.Type type, ServiceEntry s) {
    return new Change(Event.service(type, s.revision(), 2_000, s), Long.toString(s.revision()));
  }

  private static List<String> shape(List<HashPlan.Op> ops) {
    return ops.stream().map(op -> op.kind().code() + " " + op.name() + " " + op.id()).toList();
  }

  @Test
  void eachServiceEventSetsItsInstanceInItsNamesHashThenPublishesTheEventAsSseSendsIt() {
    ServiceEntry web = instance("web-1", "web", 5);
    List<HashPlan.Op> ops = plan.ops(List.of(change(Event.Type.SERVICE_REGISTERED, web)));

    assertThat(shape(ops)).containsExactly("S web web-1", "P  ");
    assertThat(ops.get(1).value()).isEqualTo(ModelJson.encode(Event.service(Event.Type.SERVICE_REGISTERED, 5, 2_000, web)));
  }

  @Test
  void theStoredValueIsTheInstanceAsRestShowsItWithTheWritersTerm() {
    ServiceEntry web = instance("web-1", "web", 5);

    assertThat(new JsonObject(plan.value(web))).isEqualTo(ModelJson.toJson(web).put("term", 7));
    assertThat(HashPlan.withoutTerm(plan.value(web))).isEqualTo(new String(ModelJson.bytes(web)));
  }

  @Test
  void anIdRegisteredAgainUnderAnotherNameLeavesTheOldNamesHash() {
    plan.ops(List.of(change(Event.Type.SERVICE_REGISTERED, instance("a-1", "old", 5))));

    List<HashPlan.Op> ops = plan.ops(List.of(change(Event.Type.SERVICE_UPDATED, instance("a-1", "new", 6))));

    assertThat(shape(ops)).containsExactly("D old a-1", "S new a-1", "P  ");
  }

  @Test
  void aDeregistrationDeletesTheFieldAndOnlyPublishesForAnIdNeverStored() {
    ServiceEntry web = instance("web-1", "web", 5);
    plan.ops(List.of(change(Event.Type.SERVICE_REGISTERED, web)));

    assertThat(shape(plan.ops(List.of(change(Event.Type.SERVICE_DEREGISTERED, web))))).containsExactly("D web web-1", "P  ");
    assertThat(shape(plan.ops(List.of(change(Event.Type.SERVICE_DEREGISTERED, web))))).containsExactly("P  ");
  }

  @Test
  void nodeEventsArePublishedOnly() {
    NodeInfo n = NodeInfo.announce("n2", "n2", "m2", "127.0.0.1", 8081, "127.0.0.1:8081", "127.0.0.1:5702", "", "",
        "dev", List.of(), 0);
    List<HashPlan.Op> ops = plan.ops(List.of(new Change(Event.node(Event.Type.NODE_JOINED, 9, 2_000, n), "9")));

    assertThat(ops).extracting(HashPlan.Op::kind).containsExactly(PUBLISH);
  }

  @Test
  void aReconcileWritesWhatDiffersIgnoringTheTermAndDeletesStrayFieldsAndHashes() {
    ServiceEntry same = instance("web-1", "web", 5);
    ServiceEntry changed = instance("web-2", "web", 6);
    Map<String, Map<String, ServiceEntry>> wanted = plan.wanted(List.of(same, changed));
    String storedByAnOlderTerm = new HashPlan(3).value(same);
    Map<String, String> stored = Map.of("web-1", storedByAnOlderTerm, "web-2", new HashPlan(3).value(instance("web-2", "web", 4)),
        "web-9", "{}");

    assertThat(shape(plan.reconcile("web", wanted.get("web"), stored, true))).containsExactlyInAnyOrder(
        "D web web-9", "S web web-2");
    assertThat(plan.reconcile("gone", Map.of(), Map.of("x", "{}"), true)).extracting(HashPlan.Op::kind)
        .containsExactly(DROP);
    assertThat(plan.reconcile("gone", Map.of(), Map.of(), false)).isEmpty();
  }

  @Test
  void aNameMissingFromTheSetHasEveryInstanceWrittenAgain() {
    ServiceEntry web = instance("web-1", "web", 5);
    Map<String, Map<String, ServiceEntry>> wanted = plan.wanted(List.of(web));

    assertThat(plan.reconcile("web", wanted.get("web"), Map.of("web-1", plan.value(web)), false))
        .extracting(HashPlan.Op::kind).containsExactly(SET);
  }

  @Test
  void aReconcileRemembersWhereEachIdIsStored() {
    plan.wanted(List.of(instance("a-1", "old", 5)));

    assertThat(plan.ops(List.of(change(Event.Type.SERVICE_UPDATED, instance("a-1", "new", 6)))))
        .extracting(HashPlan.Op::kind).containsExactly(DELETE, SET, PUBLISH);
  }
}
