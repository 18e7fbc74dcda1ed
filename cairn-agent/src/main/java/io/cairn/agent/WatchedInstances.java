package io.cairn.agent;

import io.cairn.gateway.InstanceSource;
import io.cairn.grpc.v1.Instance;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.wire.InstanceMessages;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The sidecar's instances: the client's copy of the whole registry, kept by one Watch stream (with the client's
 * resume and failover), indexed by service once per change. The client hands out a new list of instances exactly
 * when one changed, so the index is rebuilt on the first request after a change and a request otherwise costs a
 * map lookup. In rotation, as discovery counts it: healthy or degraded, enabled, not draining.
 */
final class WatchedInstances implements InstanceSource {
  /** (service, select) pairs kept per change; routes name few, but a bound keeps a strange table from growing it. */
  private static final int MAX_SELECTED = 10_000;
  private final Supplier<List<Instance>> watched;
  private volatile Index index = new Index(List.of(), Map.of(), Map.of(), Map.of(), Map.of());

  /**
   * One change's view: each instance converted (by id), and by service every instance (sorted by id, as the client
   * keeps them), those in rotation, and those in rotation that a route's select admits.
   */
  private record Index(List<Instance> from, Map<String, Converted> byId, Map<String, List<ServiceEntry>> registered,
                       Map<String, List<ServiceEntry>> inRotation, Map<Wanted, List<ServiceEntry>> selected) {
  }

  private record Converted(Instance message, ServiceEntry entry) {
  }

  private record Wanted(String service, Route.Select select) {
  }

  /** @param watched every instance the client's watch holds, sorted by id; a new list after each change */
  WatchedInstances(Supplier<List<Instance>> watched) {
    this.watched = watched;
  }

  @Override
  public List<ServiceEntry> inRotation(String service, Route.Select select) {
    Index now = current();
    List<ServiceEntry> passing = now.inRotation().getOrDefault(service, List.of());
    if (select.isAll() || passing.isEmpty()) {
      return passing;
    }
    Wanted wanted = new Wanted(service, select);
    List<ServiceEntry> found = now.selected().get(wanted);
    if (found == null) {
      ServiceQuery query = ServiceQuery.inRotation(service, select);
      found = passing.stream().filter(query::matches).toList();
      if (now.selected().size() < MAX_SELECTED) {
        now.selected().put(wanted, found);
      }
    }
    return found;
  }

  @Override
  public boolean known(String service) {
    return current().registered().containsKey(service);
  }

  @Override
  public List<ServiceEntry> registered(String service) {
    return current().registered().getOrDefault(service, List.of());
  }

  private Index current() {
    Index now = index;
    List<Instance> latest = watched.get();
    if (now.from() != latest) {
      // Several event loops may rebuild at once after a change: each builds the same view, the last one stays.
      now = rebuild(now, latest);
      index = now;
    }
    return now;
  }

  /** Converts only instances that changed: the client keeps the same message for an instance left as it was. */
  private static Index rebuild(Index before, List<Instance> latest) {
    Map<String, List<ServiceEntry>> registered = new HashMap<>();
    Map<String, List<ServiceEntry>> inRotation = new HashMap<>();
    Map<String, Converted> byId = new HashMap<>(latest.size() * 2);
    for (Instance i : latest) {
      Converted was = before.byId().get(i.getId());
      ServiceEntry e = was != null && was.message() == i ? was.entry() : InstanceMessages.entry(i);
      byId.put(i.getId(), new Converted(i, e));
      registered.computeIfAbsent(e.name(), n -> new ArrayList<>()).add(e);
      if (e.passing()) {
        inRotation.computeIfAbsent(e.name(), n -> new ArrayList<>()).add(e);
      }
    }
    registered.replaceAll((name, list) -> List.copyOf(list));
    inRotation.replaceAll((name, list) -> List.copyOf(list));
    return new Index(latest, byId, registered, inRotation, new ConcurrentHashMap<>());
  }
}
