package io.cairn.api;

import io.cairn.gateway.Upstreams;

import java.util.List;
import java.util.function.Supplier;

/**
 * The proxy's view of its upstreams (this node's own: in-flight requests, recent errors, ejections), for a caller
 * that may read the services; empty on a node whose proxy is off.
 */
public final class ProxyUpstreams {
  private final Access access;
  private final Supplier<List<Upstreams>> upstreams;

  public ProxyUpstreams(Access access, Supplier<List<Upstreams>> upstreams) {
    this.access = access;
    this.upstreams = upstreams;
  }

  public List<Upstreams> readableBy(Caller caller) {
    return upstreams.get().stream()
        .filter(u -> access.allowed(caller, Access.service(u.service()), Action.READ))
        .toList();
  }
}
