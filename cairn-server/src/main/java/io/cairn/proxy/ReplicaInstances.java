package io.cairn.proxy;

import io.cairn.api.Caller;
import io.cairn.api.QueryCache;
import io.cairn.api.RegistryOperations;
import io.cairn.gateway.InstanceSource;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.registry.Replica;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's instances, read as discovery reads them: from this node's replica through the discovery cache, so a
 * request costs a lookup while the service is unchanged, and the first request after a change (a drain, a failed
 * check, a deregistration applied here) already sees it. Only instances in rotation: healthy or degraded, enabled,
 * not draining, as discovery counts them.
 */
final class ReplicaInstances implements InstanceSource {
  private static final int MAX_PREPARED = 10_000;
  private final RegistryOperations registry;
  private final Replica replica;
  private final Map<Wanted, Prepared> prepared = new ConcurrentHashMap<>();

  private record Wanted(String service, Route.Select select) {
  }

  /** The discovery query of a (service, select) pair and its cache key, made once. */
  private record Prepared(String key, ServiceQuery query) {
  }

  ReplicaInstances(RegistryOperations registry, Replica replica) {
    this.registry = registry;
    this.replica = replica;
  }

  @Override
  public boolean known(String service) {
    return replica.names().contains(service);
  }

  @Override
  public List<ServiceEntry> inRotation(String service, Route.Select select) {
    if (!known(service)) {
      // A Host header can name anything: only names with instances reach the discovery cache.
      return List.of();
    }
    Prepared p = prepared.get(new Wanted(service, select));
    if (p == null) {
      p = prepare(service, select);
    }
    RegistryOperations.Discovery d = registry.cachedDiscovery(Caller.NODE, p.key());
    if (d == null) {
      d = registry.discover(Caller.NODE, p.key(), p.query());
    }
    return d.answer().entries();
  }

  @Override
  public List<ServiceEntry> registered(String service) {
    if (!known(service)) {
      return List.of();
    }
    String key = QueryCache.key("proxy-all", service);
    RegistryOperations.Discovery d = registry.cachedDiscovery(Caller.NODE, key);
    if (d == null) {
      d = registry.discover(Caller.NODE, key, ServiceQuery.allOf(service));
    }
    return d.answer().entries();
  }

  private Prepared prepare(String service, Route.Select select) {
    if (prepared.size() >= MAX_PREPARED) {
      prepared.clear();
    }
    Prepared p = new Prepared(QueryCache.key("proxy", service + " " + select), ServiceQuery.inRotation(service, select));
    prepared.put(new Wanted(service, select), p);
    return p;
  }
}
