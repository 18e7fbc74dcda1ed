package io.cairn.proxy;

import io.cairn.gateway.Gateway;
import io.cairn.gateway.GatewayObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's metrics, with bounded labels (service, route, a status class; never an instance):
 * {@code cairn_proxy_requests_total{service,route,code_class}}, {@code cairn_proxy_request_duration_seconds{service,
 * route}} (a histogram), {@code cairn_proxy_retries_total{service,route}}, for gRPC calls (whose HTTP status is 200
 * whatever the outcome) {@code cairn_proxy_grpc_calls_total{service,route,grpc_code}}, and per service the gauges
 * {@code cairn_proxy_active_requests}, {@code cairn_proxy_ejections_active} and {@code cairn_proxy_breaker_open}.
 * Meters are made on a service's or route's first request and kept in maps, so a request costs two map lookups.
 */
final class ProxyMetrics implements GatewayObserver {
  private static final Duration[] BUCKETS = {Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofMillis(2),
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};
  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  /** gRPC's status codes by number; anything else counts as UNKNOWN, so the label stays bounded. */
  private static final String[] GRPC_CODES = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  private final MeterRegistry registry;
  private final String node;
  private final Gateway gateway;
  private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();
  private final Map<String, Boolean> services = new ConcurrentHashMap<>();
  private final Map<String, Counter[]> grpcCalls = new ConcurrentHashMap<>();

  private final class RouteMeters {
    final Counter[] requests = new Counter[CLASSES.length];
    final Timer duration;
    final Counter retries;

    RouteMeters(String service, String route) {
      for (int i = 0; i < CLASSES.length; i++) {
        requests[i] = Counter.builder("cairn_proxy_requests").description("Requests through the proxy by answer class")
            .tags("node", node, "service", service, "route", route, "code_class", CLASSES[i]).register(registry);
      }
      duration = Timer.builder("cairn_proxy_request_duration").description("Time to the answer's end through the proxy")
          .tags("node", node, "service", service, "route", route).serviceLevelObjectives(BUCKETS).register(registry);
      retries = Counter.builder("cairn_proxy_retries").description("Tries on another instance")
          .tags("node", node, "service", service, "route", route).register(registry);
    }
  }

  ProxyMetrics(MeterRegistry registry, String node, Gateway gateway) {
    this.registry = registry;
    this.node = node;
    this.gateway = gateway;
  }

  @Override
  public void answered(String service, String route, int status, long nanos, int attempts) {
    RouteMeters m = meters(service, route);
    int cls = status / 100 - 1;
    m.requests[cls >= 0 && cls < CLASSES.length ? cls : 4].increment();
    m.duration.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void grpcStatus(String service, String route, int code) {
    Counter[] counters = grpcCalls.get(service + "\n" + route);
    if (counters == null) {
      counters = grpcCalls.computeIfAbsent(service + "\n" + route, k -> new Counter[GRPC_CODES.length]);
    }
    int i = code >= 0 && code < GRPC_CODES.length ? code : 2;
    Counter c = counters[i];
    if (c == null) {
      // Made on first use: a route's calls mostly end with a few codes, not all seventeen.
      c = Counter.builder("cairn_proxy_grpc_calls").description("gRPC calls through the proxy by grpc-status")
          .tags("node", node, "service", service, "route", route, "grpc_code", GRPC_CODES[i]).register(registry);
      counters[i] = c;
    }
    c.increment();
  }

  @Override
  public void retried(String service, String route) {
    meters(service, route).retries.increment();
  }

  private RouteMeters meters(String service, String route) {
    String key = service + "\n" + route;
    RouteMeters m = routes.get(key);
    if (m == null) {
      m = routes.computeIfAbsent(key, k -> new RouteMeters(service, route));
      services.computeIfAbsent(service, this::serviceGauges);
    }
    return m;
  }

  private Boolean serviceGauges(String service) {
    Gauge.builder("cairn_proxy_active_requests", gateway, g -> g.activeRequests(service))
        .description("Requests in flight to the service through this node").tags("node", node, "service", service)
        .register(registry);
    Gauge.builder("cairn_proxy_ejections_active", gateway, g -> g.ejectedCount(service))
        .description("Instances this node has ejected (passive health)").tags("node", node, "service", service)
        .register(registry);
    Gauge.builder("cairn_proxy_breaker_open", gateway, g -> g.breakerOpen(service) ? 1 : 0)
        .description("1 while the service's breaker refuses requests").tags("node", node, "service", service)
        .register(registry);
    return Boolean.TRUE;
  }
}
