package io.cairn.client;

import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.WatchEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The client's service cache (what a Watch stream builds, where it resumes, who hears what) and the pickers. */
class ClientCacheTest {

  private static Instance instance(String id, String health, boolean enabled, boolean draining, String zone, long revision) {
    return Instance.newBuilder().setId(id).setName("web").setAddress("10.0.0.1").setPort(80).setHealth(health)
        .setEnabled(enabled).setDraining(draining).setZone(zone).setRevision(revision).build();
  }

  private static WatchEvent event(String type, Instance i) {
    return WatchEvent.newBuilder().setType(type).setRevision(i.getRevision()).setInstance(i).build();
  }

  @Test
  void aCacheResumesAfterTheLastEventItAppliedAndCountsEventsOfOneRevision() {
    ServiceCache cache = new ServiceCache("web");
    assertThat(cache.resumeRequest().hasFromRevision()).as("the first watch asks for a snapshot").isFalse();
    assertThat(cache.apply(WatchEvent.newBuilder().setType("snapshot").setRevision(10)
        .addInstances(instance("web-1", "healthy", true, false, "a", 3)).build())).isTrue();
    assertThat(cache.resumeRequest().getFromRevision()).isEqualTo(10);
    assertThat(cache.resumeRequest().getFromEvent()).isZero();
    cache.apply(event("serviceRegistered", instance("web-2", "healthy", true, false, "a", 12)));
    cache.apply(event("serviceRegistered", instance("web-3", "healthy", true, false, "b", 12)));
    assertThat(cache.resumeRequest().getFromRevision()).isEqualTo(12);
    assertThat(cache.resumeRequest().getFromEvent()).as("two events of revision 12 applied").isEqualTo(2);
    cache.apply(WatchEvent.newBuilder().setType("progress").setRevision(15).build());
    assertThat(cache.resumeRequest().getFromRevision()).isEqualTo(15);
    assertThat(cache.resumeRequest().getFromEvent()).isZero();
    assertThat(cache.passing()).extracting(Instance::getId).containsExactly("web-1", "web-2", "web-3");
  }

  @Test
  void listenersHearChangesAndAreToldWhenAnInstanceInUseGoesAwayWithTheAlternatives() {
    ServiceCache cache = new ServiceCache("web");
    cache.apply(WatchEvent.newBuilder().setType("snapshot").setRevision(5)
        .addInstances(instance("web-1", "healthy", true, false, "a", 1))
        .addInstances(instance("web-2", "healthy", true, false, "a", 2))
        .addInstances(instance("web-3", "healthy", true, false, "a", 3)).build());
    List<String> changed = new ArrayList<>();
    Map<String, List<String>> leaving = new HashMap<>();
    cache.addListener(new InstanceListener() {
      @Override
      public void changed(Instance instance, boolean removed) {
        changed.add((removed ? "-" : "+") + instance.getId());
      }

      @Override
      public void leaving(Instance instance, List<Instance> alternatives) {
        leaving.put(instance.getId(), alternatives.stream().map(Instance::getId).toList());
      }
    });
    cache.markUsed("web-1");
    cache.markUsed("web-3");
    cache.apply(event("serviceDraining", instance("web-1", "healthy", true, true, "a", 6)));
    cache.apply(event("serviceHealthChanged", instance("web-2", "unhealthy", true, false, "a", 7)));
    cache.apply(event("serviceDeregistered", instance("web-3", "healthy", true, false, "a", 8)));
    assertThat(changed).containsExactly("+web-1", "+web-2", "-web-3");
    // web-2 was never picked: its listeners hear the change, not a departure.
    assertThat(leaving).containsOnlyKeys("web-1", "web-3");
    assertThat(leaving.get("web-1")).containsExactly("web-2", "web-3");
    assertThat(leaving.get("web-3")).isEmpty();
    assertThat(cache.passing()).isEmpty();
  }

  @Test
  void pickersFollowTheirStrategy() {
    List<Instance> three = List.of(instance("a-1", "healthy", true, false, "a", 1),
        instance("b-1", "healthy", true, false, "b", 1), instance("b-2", "healthy", true, false, "b", 1));
    List<String> turns = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      turns.add(Picker.choose(PickStrategy.ROUND_ROBIN, three, t, id -> 0, "").getId());
    }
    assertThat(turns).containsExactly("a-1", "b-1", "b-2", "a-1");

    Map<String, Integer> leases = Map.of("a-1", 3, "b-1", 1, "b-2", 2);
    assertThat(Picker.choose(PickStrategy.LEAST_REQUESTS, three, 0, leases::get, "").getId()).isEqualTo("b-1");

    assertThat(Picker.choose(PickStrategy.ZONE_AFFINITY, three, 0, id -> 0, "b").getId()).isEqualTo("b-1");
    assertThat(Picker.choose(PickStrategy.ZONE_AFFINITY, three, 1, id -> 0, "b").getId()).isEqualTo("b-2");
    assertThat(Picker.choose(PickStrategy.ZONE_AFFINITY, three, 0, id -> 0, "c").getId())
        .as("no instance in the zone: any").isEqualTo("a-1");

    for (int t = 0; t < 20; t++) {
      assertThat(three).contains(Picker.choose(PickStrategy.RANDOM, three, t, id -> 0, ""));
    }
  }
}
