package io.cairn.http;

import io.cairn.NodeContext;
import io.cairn.api.QueryCache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;

/** Cairn's own figures on {@code /metrics}, next to what Vert.x reports about HTTP and the event bus. */
public final class NodeMetrics {
  private NodeMetrics() {
  }

  public static void bind(NodeContext node, QueryCache cache) {
    MeterRegistry registry = BackendRegistries.getNow(io.cairn.CairnNode.metricsRegistryName(node.config()));
    if (registry == null) {
      return;
    }
    String id = node.nodeId();
    Gauge.builder("cairn_registry_instances", node.replica(), r -> r.size()).tag("node", id)
        .description("Service instances in this node's replica").register(registry);
    Gauge.builder("cairn_replica_revision", node.replica(), r -> r.revision()).tag("node", id)
        .description("Last log revision applied by this node").register(registry);
    Gauge.builder("cairn_node_ready", node, n -> n.ready() ? 1 : 0).tag("node", id)
        .description("1 when this node has caught up with the log").register(registry);
    Gauge.builder("cairn_node_leader", node, n -> n.isLeader() ? 1 : 0).tag("node", id)
        .description("1 on the leader").register(registry);
    FunctionCounter.builder("cairn_log_commands_applied_total", node, n -> n.commandsApplied.sum()).tag("node", id)
        .description("Commands applied to this node's replica").register(registry);
    FunctionCounter.builder("cairn_log_append_calls_total", node, n -> n.appendCalls.sum()).tag("node", id)
        .description("Batched append calls to the cluster log").register(registry);
    FunctionCounter.builder("cairn_log_commands_appended_total", node, n -> n.commandsAppended.sum()).tag("node", id)
        .description("Commands this node appended to the cluster log").register(registry);
    FunctionCounter.builder("cairn_events_published_total", node, n -> n.eventsPublished.sum()).tag("node", id)
        .description("Events this node published on cairn.events").register(registry);
    Gauge.builder("cairn_checks_owned", node.checkStats, s -> s.owned()).tag("node", id)
        .description("Health checks this node runs (it owns them by rendezvous hashing)").register(registry);
    FunctionCounter.builder("cairn_check_runs_total", node.checkStats, s -> s.runs()).tag("node", id)
        .description("Health check runs on this node, scheduled and on demand").register(registry);
    FunctionCounter.builder("cairn_query_cache_hits_total", cache, QueryCache::hits).tag("node", id)
        .description("Discovery answers served from the cache").register(registry);
    FunctionCounter.builder("cairn_query_cache_misses_total", cache, QueryCache::misses).tag("node", id)
        .description("Discovery answers computed from the replica").register(registry);
  }
}
