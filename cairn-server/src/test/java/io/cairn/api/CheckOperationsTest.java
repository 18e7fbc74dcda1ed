package io.cairn.api;

import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.node.Addresses;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static io.cairn.api.ApiFixture.await;
import static io.cairn.api.ApiFixture.instance;
import static io.cairn.api.ApiFixture.refusal;
import static org.assertj.core.api.Assertions.assertThat;

class CheckOperationsTest {
  private ApiFixture api = new ApiFixture().leading();

  @AfterEach
  void close() {
    api.close();
  }

  private void register(JsonObject instance) {
    await(api.ops.register(Caller.NODE, instance, null, true, Command.NO_CAS));
  }

  private static JsonObject checked(String id, String name) {
    return instance(id, name).put("check", new JsonObject().put("type", "http").put("path", "/health"));
  }

  @Test
  void anInstanceWithoutACheckThatCairnRunsCannotBeRunOnDemand() {
    register(instance("web-1", "web"));

    ApiException e = refusal(() -> api.checks.runOne(Caller.NODE, "web-1"));

    assertThat(e.status()).isEqualTo(409);
    assertThat(e.code()).isEqualTo("no_check");
  }

  @Test
  void aCheckRunsOnItsOwnerAndComesBackWithTheInstancesHealth() {
    api.joined(ApiFixture.NODE_ID, "m1");
    api.writers.membership().liveMembers(Set.of("m1"));
    register(checked("web-1", "web"));
    // The owner's health room, as it answers between nodes.
    api.vertx.eventBus().<String>consumer(Addresses.CHECK_RUN + ApiFixture.NODE_ID, msg -> msg.reply(new JsonObject()
        .put("id", msg.body())
        .put("result", new JsonObject().put("at", 42L).put("status", "healthy").put("output", "200 OK")
            .put("durationMillis", 3L).put("node", ApiFixture.NODE_ID))
        .put("health", "healthy")));

    CheckOperations.CheckRun run = await(api.checks.runOne(Caller.NODE, "web-1"));

    assertThat(run.id()).isEqualTo("web-1");
    assertThat(run.error()).isNull();
    assertThat(run.health()).isEqualTo("healthy");
    assertThat(run.result().at()).isEqualTo(42L);
    assertThat(run.result().status()).isEqualTo(Health.HEALTHY);
    assertThat(run.result().output()).isEqualTo("200 OK");
    assertThat(run.result().node()).isEqualTo(ApiFixture.NODE_ID);
  }

  @Test
  void runningEveryCheckAddsUpWhatEachOwnerRanAndNamesOneThatCouldNotBeAsked() {
    api.joined("n1", "m1");
    api.joined("n2", "m2");
    api.writers.membership().liveMembers(Set.of("m1", "m2"));
    api.vertx.eventBus().<String>consumer(Addresses.CHECK_RUN_ALL + "n1", msg -> msg.reply(new JsonObject()
        .put("node", "n1").put("ran", 3).put("healthy", 2L).put("degraded", 0L).put("unhealthy", 1L)));

    CheckOperations.ChecksRun run = await(api.checks.runAll(Caller.NODE, null));

    assertThat(run.ran()).isEqualTo(3);
    assertThat(run.healthy()).isEqualTo(2);
    assertThat(run.unhealthy()).isEqualTo(1);
    assertThat(run.nodes()).extracting(CheckOperations.NodeRuns::node).containsExactlyInAnyOrder("n1", "n2");
    assertThat(run.nodes()).filteredOn(n -> n.node().equals("n1")).singleElement()
        .satisfies(n -> assertThat(n.error()).isNull());
    assertThat(run.nodes()).filteredOn(n -> n.node().equals("n2")).singleElement().satisfies(n -> {
      assertThat(n.error()).isNotBlank();
      assertThat(n.ran()).isZero();
    });
  }

  @Test
  void aCallerWithoutRightsMayNotRunChecks() {
    api.close();
    api = ApiFixture.secured().leading();
    Caller stranger = Caller.anonymous("10.0.0.9");
    register(checked("web-1", "web"));

    assertThat(refusal(() -> api.checks.runOne(stranger, "web-1")).status()).isEqualTo(403);
    assertThat(refusal(() -> api.checks.runAll(stranger, "web")).status()).isEqualTo(403);
  }

  @Test
  void anInstanceWithoutANewerRunShowsItsOwnLastCheck() {
    register(checked("web-1", "web"));

    CheckOperations.Checked checked = api.checks.withLatestCheck(api.ops.get(Caller.NODE, "web-1"));

    assertThat(checked.entry().id()).isEqualTo("web-1");
    assertThat(checked.newerRun()).isNull();
  }
}
