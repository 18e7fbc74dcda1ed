package io.cairn.registry;

import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.replication.LogCodec;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RouteApplyTest {
  private final Replica replica = new Replica();
  private long revision;

  private Outcome apply(Command c) {
    return Apply.apply(replica, c, ++revision);
  }

  private static Route route(String id, String service) {
    return Routes.parse(new JsonObject().put("service", service)
        .put("match", new JsonObject().put("pathPrefix", "/" + id + "/")), id);
  }

  @Test
  void aRouteIsSetAtItsRevisionReplacedWholeAndDeleted() {
    Outcome created = apply(Command.putRoute("n1", 1, 10, route("api", "users"), Command.NO_CAS));
    assertThat(created.status()).isEqualTo(Outcome.Status.CREATED);
    assertThat(created.events()).extracting(Event::type).containsExactly(Event.Type.ROUTE_SET);
    assertThat(replica.routes().get("api").revision()).isEqualTo(1);
    assertThat(replica.routes().get("api").service()).isEqualTo("users");

    Outcome updated = apply(Command.putRoute("n1", 2, 20, route("api", "orders"), Command.NO_CAS));
    assertThat(updated.status()).isEqualTo(Outcome.Status.UPDATED);
    assertThat(replica.routes().get("api").service()).isEqualTo("orders");
    assertThat(replica.routes().get("api").revision()).isEqualTo(2);

    Outcome same = apply(Command.putRoute("n1", 3, 30, route("api", "orders"), Command.NO_CAS));
    assertThat(same.status()).isEqualTo(Outcome.Status.UNCHANGED);
    assertThat(same.events()).isEmpty();
    assertThat(replica.routes().get("api").revision()).isEqualTo(2);

    Outcome deleted = apply(Command.deleteRoute("n1", 4, 40, "api"));
    assertThat(deleted.status()).isEqualTo(Outcome.Status.UPDATED);
    assertThat(deleted.events()).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo(Event.Type.ROUTE_DELETED);
      assertThat(e.route().service()).isEqualTo("orders");
    });
    assertThat(replica.routes()).isEmpty();
    assertThat(apply(Command.deleteRoute("n1", 5, 50, "api")).status()).isEqualTo(Outcome.Status.NOT_FOUND);
  }

  @Test
  void compareAndSetGuardsARouteAsItGuardsAnInstance() {
    assertThat(apply(Command.putRoute("n1", 1, 10, route("api", "users"), 0)).status())
        .isEqualTo(Outcome.Status.CREATED);
    assertThat(apply(Command.putRoute("n1", 2, 20, route("api", "orders"), 0)).status())
        .isEqualTo(Outcome.Status.CAS_FAILED);
    apply(Command.putRoute("n1", 3, 30, route("api", "orders"), 1));
    assertThat(replica.routes().get("api").service()).isEqualTo("orders");
    assertThat(apply(Command.putRoute("n1", 4, 40, route("api", "users"), 1)).status())
        .isEqualTo(Outcome.Status.CAS_FAILED);
  }

  @Test
  void routesTravelInRaftSnapshotsAndCountInTheDigest() {
    apply(Command.putRoute("n1", 1, 10, route("api", "users"), Command.NO_CAS));
    apply(Command.putRoute("n1", 2, 20, route("web", "site"), Command.NO_CAS));
    String before = replica.digest();

    Replica restored = new Replica();
    restored.load(LogCodec.decodeSnapshot(LogCodec.encode(replica.snapshot())));

    assertThat(restored.routes()).isEqualTo(replica.routes());
    assertThat(restored.digest()).isEqualTo(before);
    apply(Command.deleteRoute("n1", 3, 30, "web"));
    assertThat(replica.digest()).isNotEqualTo(before);
  }

  @Test
  void aRouteCommandSurvivesTheLogItemEncoding() {
    Command c = Command.putRoute("n1", 9, 10, route("api", "users"), Command.NO_CAS);
    byte[] item = LogCodec.item(9, "n1".getBytes(), LogCodec.body(c));

    assertThat(LogCodec.decode(item).route()).isEqualTo(c.route());
  }
}
