package io.cairn.gateway;

import io.cairn.model.ServiceEntry;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The instances one request has tried, and the choice of the next: one not tried yet, among those not ejected
 * unless only ejected ones are left (trying one beats refusing), picked by the route's balancer.
 */
final class Tries {
  private final Set<String> tried = new HashSet<>(4);
  private final ServiceState service;
  private final Balancer balancer;

  Tries(ServiceState service, Balancer balancer) {
    this.service = service;
    this.balancer = balancer;
  }

  /** The next instance to try, counted as tried; null when every instance in rotation was. */
  ServiceEntry next(List<ServiceEntry> inRotation) {
    ServiceEntry target;
    if (tried.isEmpty() && service.ejections.ejectedCount() == 0) {
      // The common case, a first try with nobody ejected: the balancer picks from the list as it is.
      target = inRotation.isEmpty() ? null : balancer.pick(inRotation, service::inFlight);
    } else {
      List<ServiceEntry> fresh = new ArrayList<>(inRotation.size());
      List<ServiceEntry> ejected = new ArrayList<>();
      for (ServiceEntry e : inRotation) {
        if (!tried.contains(e.id())) {
          (service.ejections.isEjected(e.id()) ? ejected : fresh).add(e);
        }
      }
      List<ServiceEntry> candidates = fresh.isEmpty() ? ejected : fresh;
      target = candidates.isEmpty() ? null : balancer.pick(candidates, service::inFlight);
    }
    if (target != null) {
      tried.add(target.id());
    }
    return target;
  }

  /** Whether an instance in rotation was not tried yet, so that dropping an answer for another try can pay off. */
  boolean untriedAmong(List<ServiceEntry> inRotation) {
    for (ServiceEntry e : inRotation) {
      if (!tried.contains(e.id())) {
        return true;
      }
    }
    return false;
  }

  int count() {
    return tried.size();
  }
}
