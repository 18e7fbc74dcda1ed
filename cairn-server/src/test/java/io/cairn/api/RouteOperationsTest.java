package io.cairn.api;

import io.cairn.model.Command;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ValidationException;
import io.cairn.security.PolicyInForce;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.cairn.api.ApiFixture.await;
import static io.cairn.api.ApiFixture.refusal;
import static io.cairn.api.ApiFixture.refused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouteOperationsTest {
  private final ApiFixture api = new ApiFixture().leading();
  private final Route configured = Routes.parse(new JsonObject().put("service", "legacy")
      .put("match", new JsonObject().put("pathPrefix", "/old/")), "old");
  private final RouteOperations routes = new RouteOperations(api.node, api.replica, api.access, api.log, api.ops,
      List.of(configured));

  @AfterEach
  void close() {
    api.close();
  }

  private static JsonObject doc(String service, String prefix) {
    return new JsonObject().put("service", service).put("match", new JsonObject().put("pathPrefix", prefix));
  }

  @Test
  void aWrittenRouteIsInForceBesideTheConfiguredOnesAndReadBack() {
    RouteOperations.Written w = await(routes.put(Caller.NODE, "api", doc("users", "/api/"), Command.NO_CAS));

    assertThat(w.status()).isEqualTo(201);
    assertThat(w.revision()).isEqualTo(api.replica.revision());
    assertThat(w.route().revision()).isEqualTo(w.revision());
    assertThat(routes.inForce()).extracting(Route::id).containsExactlyInAnyOrder("api", "old");
    assertThat(routes.get(Caller.NODE, "api").source()).isEqualTo("log");
    assertThat(routes.get(Caller.NODE, "old").source()).isEqualTo("config");
    assertThat(routes.list(Caller.NODE)).extracting(s -> s.route().id()).containsExactly("api", "old");
    assertThat(routes.inForce()).isSameAs(routes.inForce());
  }

  @Test
  void aRouteWrittenUnderAConfiguredIdReplacesItUntilDeleted() {
    await(routes.put(Caller.NODE, "old", doc("users", "/old/"), Command.NO_CAS));
    assertThat(routes.inForce()).singleElement().satisfies(r -> assertThat(r.service()).isEqualTo("users"));

    await(routes.delete(Caller.NODE, "old"));

    assertThat(routes.inForce()).singleElement().satisfies(r -> assertThat(r.service()).isEqualTo("legacy"));
    ApiException e = refused(() -> routes.delete(Caller.NODE, "old"));
    assertThat(e.status()).isEqualTo(409);
    assertThat(e.code()).isEqualTo("configured_route");
  }

  @Test
  void unknownRoutesAndBadDocumentsAreRefusedBeforeTheLog() {
    int appends = api.log.appends;

    assertThat(refused(() -> routes.get(Caller.NODE, "nope")).status()).isEqualTo(404);
    assertThat(refused(() -> routes.delete(Caller.NODE, "nope")).status()).isEqualTo(404);
    assertThatThrownBy(() -> routes.put(Caller.NODE, "api", new JsonObject().put("service", "users")
        .put("balance", "fastest"), Command.NO_CAS)).isInstanceOf(ValidationException.class);
    assertThat(api.log.appends).isEqualTo(appends);
  }

  @Test
  void compareAndSetRefusesAStaleWrite() {
    RouteOperations.Written first = await(routes.put(Caller.NODE, "api", doc("users", "/api/"), 0));
    await(routes.put(Caller.NODE, "api", doc("orders", "/api/"), first.revision()));

    ApiException e = refusal(() -> routes.put(Caller.NODE, "api", doc("users", "/api/"), first.revision()));

    assertThat(e.status()).isEqualTo(409);
    assertThat(e.code()).isEqualTo("cas_failed");
  }

  @Test
  void writingARouteTakesOperateOnItsServiceAndReadingTakesRead() {
    ApiFixture secured = ApiFixture.secured().leading();
    try {
      Access access = new Access(secured.cfg.security(), PolicyInForce.security(secured.cfg,
          "p, ops, service:users, operate, allow", "p, ops, service:users, read, allow",
          "p, viewer, service:*, read, allow"));
      RouteOperations guarded = new RouteOperations(secured.node, secured.replica, access, secured.log, secured.ops,
          List.of(configured));
      Caller ops = new Caller("ops", "127.0.0.1");
      Caller viewer = new Caller("viewer", "127.0.0.1");

      await(guarded.put(ops, "api", doc("users", "/api/"), Command.NO_CAS));

      assertThat(refused(() -> guarded.put(viewer, "api2", doc("users", "/b/"), Command.NO_CAS)).status())
          .isEqualTo(403);
      assertThat(refused(() -> guarded.put(ops, "api", doc("orders", "/api/"), Command.NO_CAS)).status())
          .isEqualTo(403);
      assertThat(guarded.get(viewer, "api").route().service()).isEqualTo("users");
      assertThat(guarded.list(ops)).extracting(s -> s.route().id()).containsExactly("api");
      assertThat(guarded.list(viewer)).extracting(s -> s.route().id()).containsExactly("api", "old");
    } finally {
      secured.close();
    }
  }
}
