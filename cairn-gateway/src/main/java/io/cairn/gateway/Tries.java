package io.cairn.gateway;

import io.cairn.model.ServiceEntry;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The instances one request has tried, and the choice of the next: one not tried yet, among those not ejected
 * unless only ejected ones are left (trying one beats refusing), picked by the route's balancer; from the plan's
 * preferred instances first, then from those it may spill to.
 */
final class Tries {
  private final Set<String> tried = new HashSet<>(4);
  private final ServiceState service;
  private final Balancer balancer;

  Tries(ServiceState service, Balancer balancer) {
    this.service = service;
    this.balancer = balancer;
  }

  /**
   * The next instance to try, counted as tried; null when every instance the plan allows was. Instances not ejected
   * come first, the preferred before the spill; ejected ones only when nothing else is left.
   */
  ServiceEntry next(Plan plan) {
    ServiceEntry target;
    if (tried.isEmpty() && service.ejections.ejectedCount() == 0) {
      // The common case, a first try with nobody ejected: the balancer picks from the list as it is.
      List<ServiceEntry> preferred = plan.preferred();
      target = preferred.isEmpty() ? null
          : balancer.pick(preferred, service::inFlight, plan.keyAmong(preferred));
    } else {
      target = pick(plan.preferred(), false, plan);
      if (target == null && plan.spill() != plan.preferred()) {
        target = pick(plan.spill(), false, plan);
      }
      if (target == null) {
        target = pick(plan.preferred(), true, plan);
      }
      if (target == null && plan.spill() != plan.preferred()) {
        target = pick(plan.spill(), true, plan);
      }
    }
    if (target != null) {
      tried.add(target.id());
    }
    return target;
  }

  /** A pick among the untried instances of {@code from} that are ejected (or not); null when there are none. */
  private ServiceEntry pick(List<ServiceEntry> from, boolean ejected, Plan plan) {
    List<ServiceEntry> candidates = new ArrayList<>(from.size());
    for (ServiceEntry e : from) {
      if (!tried.contains(e.id()) && service.ejections.isEjected(e.id()) == ejected) {
        candidates.add(e);
      }
    }
    return candidates.isEmpty() ? null : balancer.pick(candidates, service::inFlight, plan.keyAmong(from));
  }

  /** Whether an instance the plan allows was not tried yet, so that dropping an answer for another try can pay off. */
  boolean untriedIn(Plan plan) {
    return untriedAmong(plan.preferred()) || untriedAmong(plan.spill());
  }

  private boolean untriedAmong(List<ServiceEntry> instances) {
    for (ServiceEntry e : instances) {
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
