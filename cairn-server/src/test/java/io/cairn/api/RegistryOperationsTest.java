package io.cairn.api;

import io.cairn.model.Command;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.cairn.api.ApiFixture.await;
import static io.cairn.api.ApiFixture.instance;
import static io.cairn.api.ApiFixture.refusal;
import static io.cairn.api.ApiFixture.refused;
import static org.assertj.core.api.Assertions.assertThat;

class RegistryOperationsTest {
  private ApiFixture api = new ApiFixture();

  @AfterEach
  void close() {
    api.close();
  }

  @Test
  void aRegistrationIsAnsweredWithTheRevisionThatHoldsItAndReadBack() {
    api.leading();

    RegistryOperations.Written w = await(api.ops.register(Caller.NODE, instance("web-1", "web"), null, true,
        Command.NO_CAS));

    assertThat(w.status()).isEqualTo(201);
    assertThat(w.entry().id()).isEqualTo("web-1");
    assertThat(w.revision()).isEqualTo(api.replica.revision());
    assertThat(api.ops.get(Caller.NODE, "web-1").revision()).isEqualTo(w.revision());
  }

  @Test
  void aNodeThatHasNotCaughtUpRefusesWritesBeforeTheLog() {
    ApiException e = refusal(() -> api.ops.register(Caller.NODE, instance("web-1", "web"), null, true, Command.NO_CAS));

    assertThat(e.status()).isEqualTo(503);
    assertThat(e.code()).isEqualTo("not_ready");
    assertThat(api.log.appends).isZero();
  }

  @Test
  void aSecondCreateOfOneIdIsAConflictThatCostsNoRevision() {
    api.leading();
    await(api.ops.register(Caller.NODE, instance("web-1", "web"), null, true, Command.NO_CAS));
    long revision = api.replica.revision();

    ApiException e = refusal(() -> api.ops.register(Caller.NODE, instance("web-1", "web"), null, true, Command.NO_CAS));

    assertThat(e.status()).isEqualTo(409);
    assertThat(e.code()).isEqualTo("already_exists");
    assertThat(api.replica.revision()).isEqualTo(revision);
    assertThat(api.log.appends).isEqualTo(1);
  }

  @Test
  void aBulkRegistrationIsOneRevisionAndAnswersEachItemInOrder() {
    api.leading();
    JsonArray items = new JsonArray()
        .add(instance("web-1", "web"))
        .add("not an instance")
        .add(new JsonObject().put("id", "nameless-1").put("address", "127.0.0.1").put("port", 80))
        .add(instance("db-1", "db"));

    Bulk bulk = await(api.ops.registerAll(Caller.NODE, items));

    assertThat(api.log.appends).isEqualTo(1);
    assertThat(bulk.revision()).isEqualTo(api.replica.revision());
    assertThat(bulk.results()).extracting(Bulk.Item::index).containsExactly(0, 1, 2, 3);
    assertThat(bulk.results()).extracting(Bulk.Item::status).containsExactly(201, 400, 400, 201);
    Bulk.Item registered = bulk.results().get(0);
    assertThat(registered.id()).isEqualTo("web-1");
    assertThat(registered.revision()).isEqualTo(bulk.revision());
    assertThat(registered.error()).isNull();
    Bulk.Item notAnObject = bulk.results().get(1);
    assertThat(notAnObject.error().code()).isEqualTo("invalid_type");
    assertThat(notAnObject.error().field()).isEqualTo("services[1]");
    assertThat(notAnObject.id()).isNull();
    assertThat(bulk.results().get(2).error().field()).isEqualTo("name");
    assertThat(api.replica.get("db-1")).isNotNull();
  }

  @Test
  void aBulkOfRefusalsOnlyWritesNothing() {
    api.leading();
    long revision = api.replica.revision();

    Bulk bulk = await(api.ops.registerAll(Caller.NODE, new JsonArray().add(1).add("two")));

    assertThat(api.log.appends).isZero();
    assertThat(bulk.revision()).isEqualTo(revision);
    assertThat(bulk.results()).allSatisfy(item -> assertThat(item.status()).isEqualTo(400));
  }

  @Test
  void aBulkLargerThanTheLimitIsRefusedWhole() {
    api.close();
    api = new ApiFixture(new JsonObject().put("registry", new JsonObject().put("maxBulk", 2))).leading();
    JsonArray items = new JsonArray().add(instance("a-1", "a")).add(instance("b-1", "b")).add(instance("c-1", "c"));

    ApiException e = refused(() -> api.ops.registerAll(Caller.NODE, items));

    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo("too_many_instances");
    assertThat(api.log.appends).isZero();
  }

  @Test
  void aCallerWithoutRightsIsRefusedAndNothingIsWritten() {
    api.close();
    api = ApiFixture.secured().leading();
    Caller stranger = Caller.anonymous("10.0.0.9");

    ApiException single = refusal(() -> api.ops.register(stranger, instance("web-1", "web"), null, true,
        Command.NO_CAS));
    Bulk bulk = await(api.ops.registerAll(stranger, new JsonArray().add(instance("web-2", "web"))));

    assertThat(single.status()).isEqualTo(403);
    assertThat(bulk.results()).singleElement().satisfies(item -> {
      assertThat(item.status()).isEqualTo(403);
      assertThat(item.error().code()).isEqualTo("forbidden");
    });
    assertThat(api.log.appends).isZero();
    assertThat(api.replica.size()).isZero();
  }

  @Test
  void aDiscoveryByNameSeesOnlyThatName() {
    api.leading();
    await(api.ops.registerAll(Caller.NODE, new JsonArray().add(instance("web-1", "web")).add(instance("db-1", "db"))));

    RegistryOperations.Discovery d = api.ops.discover(Caller.NODE, "name=web", Queries.fromJson(
        new JsonObject().put("name", "web").put("status", "any")));

    assertThat(d.revision()).isEqualTo(api.replica.revision());
    assertThat(d.answer().entries()).extracting(e -> e.id()).containsExactly("web-1");
  }
}
