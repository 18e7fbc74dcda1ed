package io.cairn.gateway;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** What this gateway knows of one service beyond the registry: ejections, its breaker, each instance's load. */
final class ServiceState {
  final String name;
  final Ejections ejections;
  final Breaker breaker = new Breaker();
  private final Map<String, InstanceLoad> loads = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  ServiceState(String name, OutlierSettings outlier, LongSupplier clock) {
    this.name = name;
    this.ejections = new Ejections(outlier, clock);
    this.clock = clock;
  }

  InstanceLoad load(String instanceId) {
    InstanceLoad load = loads.get(instanceId);
    return load != null ? load : loads.computeIfAbsent(instanceId, id -> new InstanceLoad(clock));
  }

  /** The load of an instance that has seen traffic here, or null. */
  InstanceLoad loadIfAny(String instanceId) {
    return loads.get(instanceId);
  }

  int inFlight(String instanceId) {
    InstanceLoad load = loads.get(instanceId);
    return load == null ? 0 : load.inFlight();
  }

  /** Forgets instances that left the registry (their numbers and ejections), keeping those in flight. */
  void retain(Set<String> registered) {
    loads.entrySet().removeIf(e -> !registered.contains(e.getKey()) && e.getValue().inFlight() == 0);
    ejections.retain(registered);
  }
}
