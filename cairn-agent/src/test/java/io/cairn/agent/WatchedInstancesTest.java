package io.cairn.agent;

import io.cairn.grpc.v1.Instance;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ServiceEntry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class WatchedInstancesTest {
  private final AtomicReference<List<Instance>> watched = new AtomicReference<>(List.of());
  private final WatchedInstances source = new WatchedInstances(watched::get);

  private static Instance instance(String id, String name, String version, String health, boolean enabled,
                                   boolean draining) {
    return Instance.newBuilder().setId(id).setName(name).setVersion(version).setAddress("127.0.0.1").setPort(9000)
        .setHealth(health).setEnabled(enabled).setDraining(draining).build();
  }

  private static Route.Select select(String json) {
    return Routes.parse(new JsonObject("{\"service\": \"users\", \"select\": " + json + "}"), "r").select();
  }

  private static List<String> ids(List<ServiceEntry> entries) {
    return entries.stream().map(ServiceEntry::id).toList();
  }

  @Test
  void inRotationAreTheServingEnabledNotDrainingInstancesThatTheSelectAdmits() {
    watched.set(List.of(
        instance("a", "users", "1.4.0", "healthy", true, false),
        instance("b", "users", "2.0.1", "degraded", true, false),
        instance("c", "users", "2.1.0", "unhealthy", true, false),
        instance("d", "users", "2.2.0", "healthy", false, false),
        instance("e", "users", "2.3.0", "healthy", true, true),
        instance("f", "orders", "1.0.0", "healthy", true, false)));
    assertThat(ids(source.inRotation("users", Route.Select.ALL))).containsExactly("a", "b");
    assertThat(ids(source.inRotation("users", select("{\"version\": \"^2\"}")))).containsExactly("b");
    assertThat(ids(source.registered("users"))).containsExactly("a", "b", "c", "d", "e");
    assertThat(source.known("orders")).isTrue();
    assertThat(source.known("nobody")).isFalse();
    assertThat(source.inRotation("nobody", Route.Select.ALL)).isEmpty();
  }

  @Test
  void aChangeOfTheWatchIsSeenByTheNextRequestAndNothingElseCostsARebuild() {
    watched.set(List.of(instance("a", "users", "1.0.0", "healthy", true, false)));
    List<ServiceEntry> first = source.inRotation("users", Route.Select.ALL);
    assertThat(source.inRotation("users", Route.Select.ALL)).as("the same answer while nothing changed")
        .isSameAs(first);
    watched.set(List.of(instance("a", "users", "1.0.0", "healthy", true, true),
        instance("b", "users", "1.0.0", "healthy", true, false)));
    assertThat(ids(source.inRotation("users", Route.Select.ALL))).containsExactly("b");
    watched.set(List.of());
    assertThat(source.known("users")).isFalse();
  }
}
