package io.cairn.gateway;

import io.cairn.model.Route;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * What a route keeps between requests: its balancer's position and its retry budget. Shared by every event loop
 * (ThreadLocalRandom draws from the calling thread's own generator).
 */
final class RouteState {
  final Route route;
  final Balancer balancer;
  final RetryBudget budget;

  RouteState(Route route, GatewaySettings settings, LongSupplier clock) {
    this.route = route;
    this.balancer = Balancers.create(route.balance(), ThreadLocalRandom.current());
    this.budget = new RetryBudget(settings.retryBudgetPercent() / 100.0,
        (int) (settings.minRetriesPerSecond() * GatewaySettings.RETRY_WINDOW_MILLIS / 1000),
        GatewaySettings.RETRY_WINDOW_MILLIS, clock);
  }
}
