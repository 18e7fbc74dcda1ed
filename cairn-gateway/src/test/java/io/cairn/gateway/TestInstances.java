package io.cairn.gateway;

import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

final class TestInstances {
  private TestInstances() {
  }

  static ServiceEntry instance(String id, int weight) {
    return new ServiceEntry(id, "users", "1.0.0", "10.0.0.1", 8080, List.of(), new TreeMap<>(), null, null, weight,
        "node-1", null, 0, Health.HEALTHY, true, false, 0, null, 0, 0, null, 1);
  }

  /** An instance of service users with its version, zone and health; in rotation unless unhealthy or draining. */
  static ServiceEntry instance(String id, String version, String zone, Health health, boolean draining) {
    return new ServiceEntry(id, "users", version, "10.0.0.1", 8080, List.of(), new TreeMap<>(), "eu", zone, 1,
        "node-1", null, 0, health, true, draining, 0, null, 0, 0, null, 1);
  }

  static List<ServiceEntry> instances(int... weights) {
    List<ServiceEntry> out = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      out.add(instance("i" + i, weights[i]));
    }
    return List.copyOf(out);
  }
}
