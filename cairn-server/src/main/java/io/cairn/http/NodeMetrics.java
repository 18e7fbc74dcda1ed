package io.cairn.http;

import io.cairn.api.QueryCache;
import io.cairn.health.CheckStats;
import io.cairn.model.Health;
import io.cairn.node.Meters;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.registry.Replica;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;

import java.util.function.ToDoubleFunction;

/**
 * Cairn's own figures on {@code /metrics}, next to what Vert.x reports about the JVM, HTTP (by route) and the event
 * bus. Every label is bounded: node (this node's id), health, check type and result, watcher kind, and the HTTP
 * route template; never an instance id or a raw path. Counters count what happened on this node (what its replica
 * applied, the checks it ran), so a cluster-wide rate is a {@code max} or {@code avg} over nodes for replicated
 * figures and a {@code sum} for checks.
 */
public final class NodeMetrics {
  /** Vert.x's HTTP server timer: {@code vertx_http_server_response_time_seconds{route,method,code}}. */
  private static final String HTTP_SERVER_TIME = "vertx.http.server.response.time";
  private static final double[] HTTP_BUCKETS_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.25, 0.5, 1, 2.5, 5, 10, 30};

  private static final String[] LINT_REFUSED = {"jvm.compilation.time", "process.cpu.time", "system.cpu.count"};

  private NodeMetrics() {
  }

  /**
   * Settings of the registry itself, before any request is served: the HTTP server's response time becomes a
   * histogram with a few fixed buckets (latency by route), so that a quantile can be computed across nodes.
   */
  public static void configure(MeterRegistry registry) {
    // Three JVM figures Micrometer names in a way promtool's lint refuses (jvm_compilation_time_ms_total,
    // process_cpu_time_ns_total: abbreviated units; system_cpu_count: a gauge ending in _count). Vert.x bound them
    // when it started; they go, and stay out. process_cpu_usage and system_cpu_usage remain.
    for (String name : LINT_REFUSED) {
      registry.find(name).meters().forEach(registry::remove);
      registry.config().meterFilter(MeterFilter.denyNameStartsWith(name));
    }
    registry.config().meterFilter(MeterFilter.replaceTagValues("route", NodeMetrics::route));
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().equals(HTTP_SERVER_TIME)) {
          return config;
        }
        double[] nanos = new double[HTTP_BUCKETS_SECONDS.length];
        for (int i = 0; i < nanos.length; i++) {
          nanos[i] = HTTP_BUCKETS_SECONDS[i] * 1e9;
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
      }
    });
  }

  /**
   * vertx-web's route label names every route with a path that a request passed through, joined by {@code >}:
   * {@code /v1/>/v1/services/:id>/v1/} (the {@code /v1/*} routes that check bodies and answer errors, the
   * endpoint, the failure handler). Kept: the endpoint's template; {@code page} for the topology page's files (one
   * regular expression); {@code unmatched} for a path no endpoint took (a 404), so that no path becomes a label.
   */
  static String route(String chain) {
    String route = "unmatched";
    for (String part : chain.split(">")) {
      if (!part.isEmpty() && !part.equals("/v1/")) {
        route = part.startsWith("^") ? "page" : part;
      }
    }
    return route;
  }

  public static void bind(NodeState node, NodeStats stats, Replica replica, CheckStats checks, QueryCache cache) {
    MeterRegistry registry = Meters.of(node.nodeId());
    String id = node.nodeId();
    for (Health health : Health.values()) {
      String label = health.json();
      Gauge.builder("cairn_services", replica, r -> r.idsWithHealth(health).size()).tags("node", id, "health", label)
          .description("Service instances in this node's replica, by health").register(registry);
    }
    counter(registry, id, "cairn_service_registrations_total", stats, NodeStats::registrationsApplied,
        "Instances registered (serviceRegistered events) applied by this node's replica");
    counter(registry, id, "cairn_service_deregistrations_total", stats, NodeStats::deregistrationsApplied,
        "Instances deregistered or expired (serviceDeregistered events) applied by this node's replica");
    counter(registry, id, "cairn_leader_elections_total", stats, NodeStats::leaderElectionsApplied,
        "leaderElected events applied by this node's replica: a new Raft leader took office");
    gauge(registry, id, "cairn_is_leader", node, n -> n.isLeader() ? 1 : 0, "1 on the Raft leader");
    gauge(registry, id, "cairn_node_ready", node, n -> n.ready() ? 1 : 0, "1 when this node has caught up with the log");
    gauge(registry, id, "cairn_node_current", node, n -> n.current() ? 1 : 0, "1 while what this node serves is "
        + "current: in touch with a leader a majority follows, its log writable, within replication.maxLag");
    gauge(registry, id, "cairn_log_writable", node, n -> n.standing().logFailure() == null ? 1 : 0,
        "0 after the Raft log could not be written, until the node recovers");
    gauge(registry, id, "cairn_storage_free_bytes", node, n -> n.standing().freeBytes() == Long.MAX_VALUE ? Double.NaN
        : n.standing().freeBytes(), "Free space on the file system of node.dataDir");
    gauge(registry, id, "cairn_storage_min_free_bytes", node, n -> n.standing().minFreeBytes(),
        "storage.minFreeBytes: below it, writes are refused");
    gauge(registry, id, "cairn_replication_lag_revisions", node, n -> n.standing().lagRevisions(),
        "Revisions the leader published that this node has not applied");
    gauge(registry, id, "cairn_replication_lag_seconds", node, n -> n.standing().lagMillis() / 1000.0,
        "How long ago the leader published the oldest revision this node has not applied");
    gauge(registry, id, "cairn_registry_bytes_estimated", node, n -> n.standing().registryBytes(),
        "The registry's estimated size (its instances' encoded size), against registry.maxBytes");
    gauge(registry, id, "cairn_registry_quota_bytes", node, n -> n.standing().maxBytes(), "registry.maxBytes");
    gauge(registry, id, "cairn_registry_quota_instances", node, n -> n.standing().maxInstances(),
        "registry.maxInstances (0: no limit)");
    gauge(registry, id, "cairn_raft_term", node, n -> n.raft().term(), "The Raft term this node is in");
    gauge(registry, id, "cairn_raft_commit_index", node, n -> n.raft().commitIndex(),
        "The last Raft log index this node knows committed");
    gauge(registry, id, "cairn_raft_applied_index", node, n -> n.raft().appliedIndex(),
        "The last Raft log index applied to this node's replica");
    gauge(registry, id, "cairn_raft_voters", node, n -> n.raft().voters().size(), "Voters of the Raft group");
    gauge(registry, id, "cairn_cluster_size", node, n -> n.liveMembers().size(),
        "Cairn nodes this node sees alive (Hazelcast members)");
    for (String kind : NodeStats.WATCH_KINDS) {
      Gauge.builder("cairn_watchers", stats, s -> s.watchers(kind)).tags("node", id, "kind", kind)
          .description("Open watches on this node (SSE, WebSocket, gRPC Watch, a bridge's feed)").register(registry);
    }
    gauge(registry, id, "cairn_connected_agents", stats, NodeStats::agents,
        "Agents connected to this node: open gRPC Heartbeat streams");
    counter(registry, id, "cairn_log_commands_applied_total", stats, NodeStats::commandsApplied,
        "Commands applied to this node's replica");
    counter(registry, id, "cairn_log_append_calls_total", stats, NodeStats::appendCalls,
        "Batched append calls to the cluster log");
    counter(registry, id, "cairn_log_commands_appended_total", stats, NodeStats::commandsAppended,
        "Commands this node appended to the cluster log");
    counter(registry, id, "cairn_events_published_total", stats, NodeStats::eventsPublished,
        "Events this node published on cairn.events");
    gauge(registry, id, "cairn_checks_owned", checks, CheckStats::owned,
        "Health checks this node runs (it owns them by rendezvous hashing)");
    counter(registry, id, "cairn_query_cache_hits_total", cache, QueryCache::hits,
        "Discovery answers served from the cache");
    counter(registry, id, "cairn_query_cache_misses_total", cache, QueryCache::misses,
        "Discovery answers computed from the replica");
  }

  private static <T> void gauge(MeterRegistry registry, String node, String name, T obj, ToDoubleFunction<T> f,
                                String description) {
    Gauge.builder(name, obj, f).tag("node", node).description(description).register(registry);
  }

  private static <T> void counter(MeterRegistry registry, String node, String name, T obj, ToDoubleFunction<T> f,
                                  String description) {
    FunctionCounter.builder(name, obj, f).tag("node", node).description(description).register(registry);
  }
}
