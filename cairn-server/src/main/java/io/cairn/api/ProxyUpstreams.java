package io.cairn.api;

import io.cairn.gateway.Gateway;
import io.cairn.gateway.Upstreams;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The proxy's view of its upstreams (this node's own: in-flight requests, recent errors, ejections, how its split
 * routes shared out their recent requests), for a caller that may read the services; empty on a node whose proxy is
 * off.
 */
public final class ProxyUpstreams {
  private final Access access;
  private final Supplier<List<Upstreams>> upstreams;
  private final Supplier<List<Gateway.SplitShare>> splits;

  public ProxyUpstreams(Access access, Supplier<List<Upstreams>> upstreams,
                        Supplier<List<Gateway.SplitShare>> splits) {
    this.access = access;
    this.upstreams = upstreams;
    this.splits = splits;
  }

  public List<Upstreams> readableBy(Caller caller) {
    return upstreams.get().stream()
        .filter(u -> access.allowed(caller, Access.service(u.service()), Action.READ))
        .toList();
  }

  /**
   * The split routes of the services the caller may read, one per route id. A route written anew starts counting
   * afresh while the gateway still holds the old revision's counts for a while (until it forgets what is no longer in
   * force): only the newest revision is the split in force.
   */
  public List<Gateway.SplitShare> splitsReadableBy(Caller caller) {
    Map<String, Gateway.SplitShare> newest = new LinkedHashMap<>();
    for (Gateway.SplitShare s : splits.get()) {
      if (access.allowed(caller, Access.service(s.route().service()), Action.READ)) {
        newest.merge(s.route().id(), s, (a, b) -> a.route().revision() >= b.route().revision() ? a : b);
      }
    }
    return newest.values().stream().sorted(Comparator.comparing(s -> s.route().id())).toList();
  }
}
