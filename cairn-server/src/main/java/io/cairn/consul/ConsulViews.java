package io.cairn.consul;

import io.cairn.api.CatalogQueries;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Cairn's instances and nodes in the shapes of Consul's answers. An instance is one Consul service instance on the
 * Cairn node it was registered through (its Consul "node"), with these checks:
 * <ul>
 *   <li>{@code serfHealth}, the node's own: passing while the node is alive;</li>
 *   <li>{@code service:{id}}, the instance's health: healthy is passing, degraded is warning, unhealthy and
 *   unknown are critical (an instance without a check is healthy while its node is);</li>
 *   <li>{@code _service_maintenance:{id}}, critical, while the instance is disabled (Consul's maintenance mode);</li>
 *   <li>{@code _service_draining:{id}}, critical, while it drains: it finishes what it has and gets nothing
 *   new, so that a client filtering on passing stops sending it requests.</li>
 * </ul>
 */
final class ConsulViews {
  static final String NODE_CHECK = "serfHealth";
  static final String MAINTENANCE_PREFIX = "_service_maintenance:";
  static final String DRAINING_PREFIX = "_service_draining:";
  static final String SERVICE_CHECK_PREFIX = "service:";
  private static final String MAINTENANCE_NOTES =
      "Maintenance mode is enabled for this service, but no reason was provided. This is a default message.";

  private final CatalogQueries catalog;
  private final String datacenter;

  ConsulViews(CatalogQueries catalog, String datacenter) {
    this.catalog = catalog;
    this.datacenter = datacenter;
  }

  static String status(Health health) {
    switch (health) {
      case HEALTHY: return "passing";
      case DEGRADED: return "warning";
      default: return "critical";
    }
  }

  /** {@code [{Node, Service, Checks}]}, as {@code /v1/health/service/{name}} answers. */
  JsonObject healthEntry(ServiceEntry e) {
    return new JsonObject().put("Node", node(e)).put("Service", service(e)).put("Checks", checks(e, true));
  }

  JsonObject node(ServiceEntry e) {
    NodeInfo n = catalog.node(e.node());
    String address = n != null ? n.host() : e.address();
    JsonObject meta = new JsonObject();
    if (n != null && !n.region().isEmpty()) {
      meta.put("region", n.region());
    }
    if (n != null && !n.zone().isEmpty()) {
      meta.put("zone", n.zone());
    }
    return new JsonObject()
        .put("ID", n != null ? n.id() : nodeName(e))
        .put("Node", nodeName(e))
        .put("Address", address)
        .put("Datacenter", datacenter)
        .put("TaggedAddresses", new JsonObject().put("lan", address).put("wan", address))
        .put("Meta", meta)
        .put("CreateIndex", 1)
        .put("ModifyIndex", 1);
  }

  JsonObject service(ServiceEntry e) {
    return new JsonObject()
        .put("ID", e.id())
        .put("Service", e.name())
        .put("Tags", new JsonArray(e.tags()))
        .put("Address", e.address())
        .put("Meta", meta(e))
        .put("Port", e.port())
        .put("Weights", new JsonObject().put("Passing", e.weight()).put("Warning", 1))
        .put("EnableTagOverride", false)
        .put("Datacenter", datacenter)
        .put("CreateIndex", e.revision())
        .put("ModifyIndex", e.revision());
  }

  /** The flat form of {@code /v1/catalog/service/{name}}. */
  JsonObject catalogEntry(ServiceEntry e) {
    JsonObject node = node(e);
    JsonObject service = service(e);
    return new JsonObject()
        .put("ID", node.getString("ID"))
        .put("Node", node.getString("Node"))
        .put("Address", node.getString("Address"))
        .put("Datacenter", datacenter)
        .put("TaggedAddresses", node.getJsonObject("TaggedAddresses"))
        .put("NodeMeta", node.getJsonObject("Meta"))
        .put("ServiceKind", "")
        .put("ServiceID", e.id())
        .put("ServiceName", e.name())
        .put("ServiceTags", service.getJsonArray("Tags"))
        .put("ServiceAddress", e.address())
        .put("ServiceWeights", service.getJsonObject("Weights"))
        .put("ServiceMeta", service.getJsonObject("Meta"))
        .put("ServicePort", e.port())
        .put("ServiceEnableTagOverride", false)
        .put("CreateIndex", e.revision())
        .put("ModifyIndex", e.revision());
  }

  /** The instance's checks; with {@code withNode}, its node's {@code serfHealth} first, as Consul lists them. */
  JsonArray checks(ServiceEntry e, boolean withNode) {
    JsonArray checks = new JsonArray();
    if (withNode) {
      checks.add(nodeCheck(e.node()));
    }
    String type = e.check() != null ? e.check().type() : e.hasTtl() ? "ttl" : "";
    String output = e.healthReason() != null ? e.healthReason()
        : e.lastCheck() != null && e.lastCheck().output() != null ? e.lastCheck().output() : "";
    checks.add(check(e, SERVICE_CHECK_PREFIX + e.id(), "Service '" + e.name() + "' check", status(e.health()), "",
        output, type));
    if (!e.enabled()) {
      checks.add(check(e, MAINTENANCE_PREFIX + e.id(), "Service Maintenance Mode", "critical", MAINTENANCE_NOTES,
          "", "maintenance"));
    }
    if (e.draining()) {
      checks.add(check(e, DRAINING_PREFIX + e.id(), "Service Draining", "critical",
          "Cairn drains this instance: it finishes its requests and gets no new ones", "", "draining"));
    }
    return checks;
  }

  /** These nodes' {@code serfHealth} checks. */
  List<JsonObject> nodeChecks(List<String> nodeIds) {
    List<JsonObject> checks = new ArrayList<>();
    for (String id : nodeIds) {
      checks.add(nodeCheck(id));
    }
    return checks;
  }

  private JsonObject nodeCheck(String nodeId) {
    boolean alive = catalog.nodeAlive(nodeId);
    return new JsonObject()
        .put("Node", nodeId)
        .put("CheckID", NODE_CHECK)
        .put("Name", "Serf Health Status")
        .put("Status", alive ? "passing" : "critical")
        .put("Notes", "")
        .put("Output", alive ? "Agent alive and reachable" : "Agent not live or unreachable")
        .put("ServiceID", "")
        .put("ServiceName", "")
        .put("ServiceTags", new JsonArray())
        .put("Type", "")
        .put("CreateIndex", 1)
        .put("ModifyIndex", 1);
  }

  private JsonObject check(ServiceEntry e, String id, String name, String status, String notes, String output,
                           String type) {
    return new JsonObject()
        .put("Node", nodeName(e))
        .put("CheckID", id)
        .put("Name", name)
        .put("Status", status)
        .put("Notes", notes)
        .put("Output", output)
        .put("ServiceID", e.id())
        .put("ServiceName", e.name())
        .put("ServiceTags", new JsonArray(e.tags()))
        .put("Type", type)
        .put("CreateIndex", e.revision())
        .put("ModifyIndex", e.revision());
  }

  private static String nodeName(ServiceEntry e) {
    return e.node() != null ? e.node() : "";
  }

  /**
   * The instance's metadata, plus its version, region and zone (Cairn's own fields, which Consul has no place for)
   * under those keys unless the metadata has them already.
   */
  private static JsonObject meta(ServiceEntry e) {
    JsonObject meta = new JsonObject();
    for (Map.Entry<String, String> m : e.metadata().entrySet()) {
      meta.put(m.getKey(), m.getValue());
    }
    putAbsent(meta, "version", e.version());
    putAbsent(meta, "region", e.region());
    putAbsent(meta, "zone", e.zone());
    return meta;
  }

  private static void putAbsent(JsonObject meta, String key, String value) {
    if (value != null && !value.isEmpty() && !meta.containsKey(key)) {
      meta.put(key, value);
    }
  }
}
