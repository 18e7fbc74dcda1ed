package io.cairn.http.rest;

import io.cairn.model.ServiceEntry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A discovery answer in Prometheus' {@code http_sd_configs} format: a JSON array of target groups, each
 * {@code {"targets": ["address:port", ...], "labels": {...}}}. One group per service and version, region, zone and
 * tag set, so that every target of a group carries exactly its own labels: {@code name} (the service's name),
 * {@code version}, {@code region}, {@code zone} (left out when empty) and {@code tags} (Consul's form,
 * {@code ,a,b,}, so that {@code .*,a,.*} matches a tag; left out when there are none).
 */
public final class PrometheusTargets {
  private PrometheusTargets() {
  }

  public static Buffer encode(List<ServiceEntry> entries) {
    Map<JsonObject, JsonArray> groups = new LinkedHashMap<>();
    for (ServiceEntry e : entries) {
      groups.computeIfAbsent(labels(e), k -> new JsonArray()).add(target(e.address(), e.port()));
    }
    JsonArray out = new JsonArray();
    groups.forEach((labels, targets) -> out.add(new JsonObject().put("targets", targets).put("labels", labels)));
    return out.toBuffer();
  }

  private static JsonObject labels(ServiceEntry e) {
    JsonObject labels = new JsonObject().put("name", e.name());
    put(labels, "version", e.version());
    put(labels, "region", e.region());
    put(labels, "zone", e.zone());
    if (e.tags() != null && !e.tags().isEmpty()) {
      labels.put("tags", "," + String.join(",", e.tags().stream().sorted().toList()) + ",");
    }
    return labels;
  }

  private static void put(JsonObject labels, String key, String value) {
    if (value != null && !value.isEmpty()) {
      labels.put(key, value);
    }
  }

  /** host:port, with an IPv6 address in brackets. */
  static String target(String address, int port) {
    boolean ipv6 = address.indexOf(':') >= 0 && !address.startsWith("[");
    return (ipv6 ? "[" + address + "]" : address) + ":" + port;
  }
}
