package io.cairn.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * JSON in and out for the model. One spelling serves the API, the log and snapshots: durations as strings
 * ({@code 10s}), times as epoch milliseconds. Reading trusts its input (it was written by {@link #toJson});
 * untrusted client input goes through {@link Registrations}.
 */
public final class ModelJson {
  private ModelJson() {
  }

  public static JsonObject toJson(ServiceEntry e) {
    JsonObject json = new JsonObject()
        .put("id", e.id())
        .put("name", e.name());
    if (e.version() != null) {
      json.put("version", e.version());
    }
    json.put("address", e.address())
        .put("port", e.port())
        .put("tags", new JsonArray(new ArrayList<>(e.tags())))
        .put("metadata", new JsonObject(new java.util.LinkedHashMap<>(e.metadata())));
    if (e.region() != null) {
      json.put("region", e.region());
    }
    if (e.zone() != null) {
      json.put("zone", e.zone());
    }
    json.put("weight", e.weight());
    if (e.node() != null) {
      json.put("node", e.node());
    }
    if (e.check() != null) {
      json.put("check", toJson(e.check()));
    }
    if (e.ttlMillis() > 0) {
      json.put("ttl", Durations.format(e.ttlMillis()));
    }
    json.put("health", e.health().json())
        .put("enabled", e.enabled())
        .put("draining", e.draining())
        .put("registeredAt", e.registeredAt());
    if (e.lastCheck() > 0) {
      json.put("lastCheck", e.lastCheck());
    }
    if (e.lastHeartbeat() > 0) {
      json.put("lastHeartbeat", e.lastHeartbeat());
    }
    json.put("healthSince", e.healthSince());
    json.put("revision", e.revision());
    return json;
  }

  public static JsonObject toJson(Check c) {
    JsonObject json = new JsonObject().put("type", c.type());
    if (c.path() != null) {
      json.put("path", c.path());
    }
    if (c.url() != null) {
      json.put("url", c.url());
    }
    if (!c.isTtl()) {
      json.put("interval", Durations.format(c.intervalMillis()))
          .put("timeout", Durations.format(c.timeoutMillis()))
          .put("failuresBeforeUnhealthy", c.failuresBeforeUnhealthy())
          .put("successesBeforeHealthy", c.successesBeforeHealthy())
          .put("gracePeriod", Durations.format(c.gracePeriodMillis()));
    }
    if (c.deregisterAfterMillis() > 0) {
      json.put("deregisterAfter", Durations.format(c.deregisterAfterMillis()));
    }
    return json;
  }

  public static ServiceEntry entryFromJson(JsonObject j) {
    JsonObject checkJson = j.getJsonObject("check");
    return new ServiceEntry(
        j.getString("id"),
        j.getString("name"),
        j.getString("version"),
        j.getString("address"),
        j.getInteger("port"),
        stringList(j.getJsonArray("tags")),
        stringMap(j.getJsonObject("metadata")),
        j.getString("region"),
        j.getString("zone"),
        j.getInteger("weight", 1),
        j.getString("node"),
        checkJson == null ? null : checkFromJson(checkJson),
        j.containsKey("ttl") ? Durations.parse(j.getString("ttl")) : 0,
        Health.parse(j.getString("health", "unknown")),
        j.getBoolean("enabled", true),
        j.getBoolean("draining", false),
        j.getLong("registeredAt", 0L),
        j.getLong("lastCheck", 0L),
        j.getLong("lastHeartbeat", 0L),
        j.getLong("healthSince", 0L),
        j.getLong("revision", 0L));
  }

  public static Check checkFromJson(JsonObject j) {
    return new Check(
        j.getString("type"),
        j.getString("path"),
        j.getString("url"),
        j.containsKey("interval") ? Durations.parse(j.getString("interval")) : 0,
        j.containsKey("timeout") ? Durations.parse(j.getString("timeout")) : 0,
        j.getInteger("failuresBeforeUnhealthy", 1),
        j.getInteger("successesBeforeHealthy", 1),
        j.containsKey("gracePeriod") ? Durations.parse(j.getString("gracePeriod")) : 0,
        j.containsKey("deregisterAfter") ? Durations.parse(j.getString("deregisterAfter")) : 0);
  }

  public static JsonObject toJson(NodeInfo n) {
    return new JsonObject()
        .put("id", n.id())
        .put("memberId", n.memberId())
        .put("host", n.host())
        .put("httpPort", n.httpPort())
        .put("clusterAddress", n.clusterAddress())
        .put("version", n.version())
        .put("status", n.status().json())
        .put("joinedAt", n.joinedAt())
        .put("since", n.since());
  }

  public static NodeInfo nodeFromJson(JsonObject j) {
    return new NodeInfo(
        j.getString("id"),
        j.getString("memberId"),
        j.getString("host"),
        j.getInteger("httpPort"),
        j.getString("clusterAddress"),
        j.getString("version"),
        NodeInfo.Status.valueOf(j.getString("status", "alive").toUpperCase(java.util.Locale.ROOT)),
        j.getLong("joinedAt", 0L),
        j.getLong("since", 0L));
  }

  public static JsonObject toJson(Command c) {
    JsonObject json = new JsonObject()
        .put("type", c.type().name())
        .put("origin", c.origin())
        .put("requestId", c.requestId())
        .put("timestamp", c.timestamp());
    if (c.term() != 0) {
      json.put("term", c.term());
    }
    if (c.service() != null) {
      json.put("service", toJson(c.service()));
    }
    if (c.id() != null) {
      json.put("id", c.id());
    }
    if (c.cas() != Command.NO_CAS) {
      json.put("cas", c.cas());
    }
    if (c.create()) {
      json.put("create", true);
    }
    if (c.health() != null) {
      json.put("health", c.health().json());
    }
    if (c.reason() != null) {
      json.put("reason", c.reason());
    }
    if (c.node() != null) {
      json.put("node", toJson(c.node()));
    }
    return json;
  }

  public static Command commandFromJson(JsonObject j) {
    JsonObject service = j.getJsonObject("service");
    JsonObject node = j.getJsonObject("node");
    return new Command(
        Command.Type.valueOf(j.getString("type")),
        j.getString("origin"),
        j.getLong("requestId", 0L),
        j.getLong("timestamp", 0L),
        j.getLong("term", 0L),
        service == null ? null : entryFromJson(service),
        j.getString("id"),
        j.getLong("cas", Command.NO_CAS),
        j.getBoolean("create", false),
        Health.parse(j.getString("health")),
        j.getString("reason"),
        node == null ? null : nodeFromJson(node));
  }

  public static JsonObject toJson(Event e) {
    JsonObject json = new JsonObject()
        .put("type", e.type().json())
        .put("revision", e.revision())
        .put("timestamp", e.timestamp());
    if (e.service() != null) {
      json.put("service", toJson(e.service()));
    }
    if (e.node() != null) {
      json.put("node", toJson(e.node()));
    }
    if (e.leader() != null) {
      json.put("leader", e.leader()).put("term", e.term());
    }
    return json;
  }

  static List<String> stringList(JsonArray array) {
    if (array == null || array.isEmpty()) {
      return List.of();
    }
    List<String> list = new ArrayList<>(array.size());
    for (Object o : array) {
      list.add((String) o);
    }
    return Collections.unmodifiableList(list);
  }

  static SortedMap<String, String> stringMap(JsonObject object) {
    TreeMap<String, String> map = new TreeMap<>();
    if (object != null) {
      for (var e : object) {
        map.put(e.getKey(), (String) e.getValue());
      }
    }
    return Collections.unmodifiableSortedMap(map);
  }
}
