package io.cairn.proxy;

import io.cairn.api.Caller;
import io.cairn.api.QueryCache;
import io.cairn.api.RegistryOperations;
import io.cairn.gateway.InstanceSource;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.model.StatusFilter;
import io.cairn.model.VersionFilter;
import io.cairn.registry.Replica;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

  /** @param all every instance, whatever its health and rotation, or only those in rotation */
  private record Wanted(String service, Route.Select select, boolean all) {
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
    return read(new Wanted(service, select, false));
  }

  @Override
  public List<ServiceEntry> registered(String service) {
    return read(new Wanted(service, Route.Select.ALL, true));
  }

  private List<ServiceEntry> read(Wanted wanted) {
    if (!known(wanted.service())) {
      // A Host header can name anything: only names with instances reach the discovery cache.
      return List.of();
    }
    Prepared p = prepared.get(wanted);
    if (p == null) {
      p = prepare(wanted);
    }
    RegistryOperations.Discovery d = registry.cachedDiscovery(Caller.NODE, p.key());
    if (d == null) {
      d = registry.discover(Caller.NODE, p.key(), p.query());
    }
    return d.answer().entries();
  }

  private Prepared prepare(Wanted wanted) {
    if (prepared.size() >= MAX_PREPARED) {
      prepared.clear();
    }
    Route.Select select = wanted.select();
    ServiceQuery query = new ServiceQuery(wanted.service(),
        select.version() == null ? null : VersionFilter.parse(select.version()), select.tags(),
        wanted.all() ? StatusFilter.ANY : StatusFilter.PASSING, null, select.region(), select.zone(),
        new TreeMap<>(select.meta()));
    Prepared p = new Prepared(QueryCache.key("proxy", wanted.service() + " " + select + " " + wanted.all()), query);
    prepared.put(wanted, p);
    return p;
  }
}
