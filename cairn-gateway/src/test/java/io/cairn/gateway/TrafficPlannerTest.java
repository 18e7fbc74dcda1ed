package io.cairn.gateway;

import io.cairn.model.Health;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.model.StatusFilter;
import io.cairn.model.VersionFilter;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;

import static io.cairn.gateway.TestInstances.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TrafficPlannerTest {
  private static final GatewaySettings SETTINGS = new GatewaySettings("gw", "cairn", false, 1000, 1000, 1000, 20, 3,
      OutlierSettings.DEFAULTS, 8, 8, 100, 1000, "a", "eu", false);
  private final FakeClock clock = new FakeClock(1_000_000);
  private final List<ServiceEntry> registry = new ArrayList<>();
  private final InstanceSource source = new InstanceSource() {
    @Override
    public List<ServiceEntry> inRotation(String service, Route.Select select) {
      VersionFilter version = select.version() == null ? null : VersionFilter.parse(select.version());
      ServiceQuery q = new ServiceQuery(service, version, select.tags(), StatusFilter.PASSING, null,
          select.region(), select.zone(), new TreeMap<>(select.meta()));
      return registry.stream().filter(q::matches).toList();
    }

    @Override
    public boolean known(String service) {
      return true;
    }

    @Override
    public List<ServiceEntry> registered(String service) {
      return List.copyOf(registry);
    }
  };
  private final TrafficPlanner planner = new TrafficPlanner(source, "a", "eu", new Random(7));
  private final ServiceState service = new ServiceState("users", OutlierSettings.DEFAULTS, clock);
  private final Predicate<String> ejected = id -> service.ejections.isEjected(id);

  private RouteState route(String json) {
    return new RouteState(Routes.parse(new JsonObject(json), "r"), SETTINGS, clock);
  }

  private static RequestFacts headers(Map<String, String> headers) {
    return new RequestFacts() {
      @Override
      public String header(String name) {
        return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
            .findFirst().orElse(null);
      }

      @Override
      public String clientAddress() {
        return "127.0.0.1";
      }
    };
  }

  private void add(String id, String version, String zone) {
    registry.add(instance(id, version, zone, Health.HEALTHY, false));
  }

  @Test
  void aCanaryOfFivePercentGetsFivePercentOfTenThousandRequests() {
    add("v1", "1.4.0", "a");
    add("v2", "2.0.0", "a");
    RouteState r = route("{\"service\": \"users\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": 95}, "
        + "{\"select\": {\"version\": \"^2\"}, \"weight\": 5}]}");
    int canary = 0;
    for (int i = 0; i < 10_000; i++) {
      Plan p = planner.plan(r, ejected, headers(Map.of()));
      assertThat(p.preferred()).hasSize(1);
      if (p.side() == 1) {
        assertThat(p.preferred().get(0).id()).isEqualTo("v2");
        canary++;
      }
    }
    assertThat(canary / 10_000.0).isCloseTo(0.05, within(0.01));
  }

  @Test
  void aStickySplitSendsEachKeyToOneSideEveryTimeAndStillSplitsUsersByWeight() {
    add("v1", "1.4.0", "a");
    add("v2", "2.0.0", "a");
    RouteState r = route("{\"service\": \"users\", \"sticky\": {\"header\": \"X-User\"}, \"split\": [{\"select\": "
        + "{\"version\": \"^1\"}, \"weight\": 80}, {\"select\": {\"version\": \"^2\"}, \"weight\": 20}]}");
    int onCanary = 0;
    for (int u = 0; u < 2000; u++) {
      int first = planner.plan(r, ejected, headers(Map.of("X-User", "user-" + u))).side();
      for (int again = 0; again < 5; again++) {
        assertThat(planner.plan(r, ejected, headers(Map.of("x-user", "user-" + u))).side()).isEqualTo(first);
      }
      onCanary += first;
    }
    assertThat(onCanary / 2000.0).isCloseTo(0.2, within(0.04));
  }

  @Test
  void aSideWithoutInstancesHandsItsShareToTheOthersAndBlueGreenSwitchesWholly() {
    add("v1", "1.4.0", "a");
    RouteState canary = route("{\"service\": \"users\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": "
        + "50}, {\"select\": {\"version\": \"^2\"}, \"weight\": 50}]}");
    for (int i = 0; i < 100; i++) {
      assertThat(planner.plan(canary, ejected, headers(Map.of())).preferred()).extracting(ServiceEntry::id)
          .containsExactly("v1");
    }
    add("v2", "2.0.0", "a");
    RouteState green = route("{\"service\": \"users\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": 0},"
        + " {\"select\": {\"version\": \"^2\"}, \"weight\": 100}]}");
    for (int i = 0; i < 100; i++) {
      assertThat(planner.plan(green, ejected, headers(Map.of())).preferred()).extracting(ServiceEntry::id)
          .containsExactly("v2");
    }
  }

  @Test
  void theCallerNarrowsByVersionAndTagAndABadRangeIsRefused() {
    add("v1", "1.4.0", "a");
    add("v2", "2.0.0", "a");
    RouteState r = route("{\"service\": \"users\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": 99}, "
        + "{\"select\": {\"version\": \"^2\"}, \"weight\": 1}]}");
    for (int i = 0; i < 50; i++) {
      assertThat(planner.plan(r, ejected, headers(Map.of("X-Cairn-Version", "^2"))).preferred())
          .extracting(ServiceEntry::id).containsExactly("v2");
    }
    assertThat(planner.plan(r, ejected, headers(Map.of("X-Cairn-Tag", "blue"))).isEmpty()).isTrue();
    assertThat(planner.plan(r, ejected, headers(Map.of("X-Cairn-Version", "not a range"))).refusal())
        .contains("X-Cairn-Version");
  }

  @Test
  void zoneAffinityKeepsCallersInTheirZoneUntilItFallsBelowTheThresholdThenSpills() {
    add("a1", "1.0.0", "a");
    add("a2", "1.0.0", "a");
    add("b1", "1.0.0", "b");
    add("b2", "1.0.0", "b");
    RouteState r = route("{\"service\": \"users\", \"zoneAffinity\": {\"minHealthyPercent\": 50}}");

    Plan inA = planner.plan(r, ejected, headers(Map.of()));
    assertThat(inA.preferred()).extracting(ServiceEntry::id).containsExactly("a1", "a2");
    assertThat(inA.spill()).hasSize(4);
    assertThat(planner.plan(r, ejected, headers(Map.of("X-Cairn-Zone", "b"))).preferred())
        .extracting(ServiceEntry::id).containsExactly("b1", "b2");

    // One of a's two drains: 50 % still serve, which is enough.
    registry.set(1, instance("a2", "1.0.0", "a", Health.HEALTHY, true));
    assertThat(planner.plan(r, ejected, headers(Map.of())).preferred()).extracting(ServiceEntry::id)
        .containsExactly("a1");
    // With a third instance in a that fails its check, one of three (33 %) is below 50 %: every zone of the region.
    registry.add(instance("a3", "1.0.0", "a", Health.UNHEALTHY, false));
    assertThat(planner.plan(r, ejected, headers(Map.of())).preferred()).extracting(ServiceEntry::id)
        .containsExactly("a1", "b1", "b2");
  }

  @Test
  void anEjectedInstanceDoesNotCountAsServingItsZone() {
    add("a1", "1.0.0", "a");
    add("b1", "1.0.0", "b");
    RouteState r = route("{\"service\": \"users\", \"zoneAffinity\": {\"minHealthyPercent\": 100}}");
    for (int i = 0; i < OutlierSettings.DEFAULTS.consecutiveConnectFailures(); i++) {
      service.ejections.onConnectFailure("a1", 2);
    }
    assertThat(service.ejections.isEjected("a1")).isTrue();
    assertThat(planner.plan(r, ejected, headers(Map.of())).preferred()).hasSize(2);
  }

  @Test
  void triesGoToThePreferredZoneFirstThenSpillToTheRest() {
    add("a1", "1.0.0", "a");
    add("b1", "1.0.0", "b");
    add("b2", "1.0.0", "b");
    RouteState r = route("{\"service\": \"users\", \"zoneAffinity\": {}}");
    Plan plan = planner.plan(r, ejected, headers(Map.of()));
    Tries tries = new Tries(service, r.balancer);
    assertThat(tries.next(plan).id()).isEqualTo("a1");
    Map<String, Integer> rest = new HashMap<>();
    rest.merge(tries.next(plan).id(), 1, Integer::sum);
    rest.merge(tries.next(plan).id(), 1, Integer::sum);
    assertThat(rest).containsOnlyKeys("b1", "b2");
    assertThat(tries.next(plan)).isNull();
    assertThat(tries.untriedIn(plan)).isFalse();
  }
}
