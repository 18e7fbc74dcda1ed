package io.cairn.consul;

import io.cairn.api.ApiException;
import io.cairn.model.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Locale;
import java.util.Map;

/**
 * Consul's service definition ({@code PUT /v1/agent/service/register}) as a Cairn registration. Keys are matched
 * without regard to case, as Consul does, and an explicit {@code null} counts as absent; what Cairn cannot keep is
 * refused with a 400 that says so, never dropped in silence, except Consul's mesh and agent-local settings that
 * change nothing about discovery ({@code EnableTagOverride}, a check's {@code Name}, {@code Notes}, {@code Status}).
 *
 * <p>Cairn runs one check per instance: {@code Check}, or {@code Checks} with one element. Its probes reach the
 * instance's own address and port, so a {@code TCP} or {@code GRPC} target must be that address and port.
 */
final class ConsulRegistration {
  private ConsulRegistration() {
  }

  /**
   * @param body        Consul's service definition
   * @param nodeAddress the address of the node it is registered through: Consul's default for an absent
   *                    {@code Address}
   */
  static JsonObject toCairn(JsonObject body, String nodeAddress) {
    String name = string(body, "Name");
    if (name == null || name.isEmpty()) {
      throw bad("Missing service name");
    }
    String kind = string(body, "Kind");
    if (kind != null && !kind.isEmpty()) {
      throw bad("Kind '" + kind + "' is a Consul service mesh service; Cairn registers typical services only");
    }
    // Consul matches service names without regard to case; Cairn keeps them in lower case.
    JsonObject cairn = new JsonObject().put("name", name.toLowerCase(Locale.ROOT));
    String id = string(body, "ID");
    cairn.put("id", id == null || id.isEmpty() ? name : id);
    String address = string(body, "Address");
    cairn.put("address", address == null || address.isEmpty() ? nodeAddress : address);
    Object port = field(body, "Port");
    if (!(port instanceof Number) || ((Number) port).intValue() == 0) {
      throw bad("Cairn needs the service's Port (1-65535): its instances are reached at an address and a port");
    }
    cairn.put("port", port);
    Object tags = field(body, "Tags");
    if (tags != null) {
      cairn.put("tags", tags);
    }
    JsonObject meta = object(body, "Meta");
    if (meta != null) {
      JsonObject metadata = new JsonObject();
      for (Map.Entry<String, Object> e : meta) {
        // Cairn keeps no empty values; Consul has no use for them either (a missing key reads the same).
        if (e.getValue() != null && !"".equals(e.getValue())) {
          metadata.put(e.getKey(), e.getValue());
        }
      }
      cairn.put("metadata", metadata);
    }
    JsonObject weights = object(body, "Weights");
    if (weights != null && field(weights, "Passing") != null) {
      cairn.put("weight", field(weights, "Passing"));
    }
    JsonObject check = onlyCheck(body);
    if (check != null) {
      addCheck(cairn, check);
    }
    return cairn;
  }

  private static JsonObject onlyCheck(JsonObject body) {
    JsonObject check = object(body, "Check");
    Object checks = field(body, "Checks");
    if (checks != null && !(checks instanceof JsonArray)) {
      throw bad("Checks must be an array of checks");
    }
    JsonArray list = (JsonArray) checks;
    int count = (check != null ? 1 : 0) + (list == null ? 0 : list.size());
    if (count > 1) {
      throw bad("Cairn runs one check per instance; this definition has " + count);
    }
    if (check == null && list != null && !list.isEmpty()) {
      if (!(list.getValue(0) instanceof JsonObject)) {
        throw bad("Checks must be an array of checks");
      }
      check = list.getJsonObject(0);
    }
    return check;
  }

  private static void addCheck(JsonObject cairn, JsonObject check) {
    String http = string(check, "HTTP");
    String tcp = string(check, "TCP");
    String grpc = string(check, "GRPC");
    String ttl = string(check, "TTL");
    for (String unsupported : new String[] {"Args", "ScriptArgs", "DockerContainerID", "H2PING", "UDP", "OSService",
        "AliasService", "AliasNode"}) {
      Object v = field(check, unsupported);
      if (v != null && !"".equals(v) && !(v instanceof JsonArray && ((JsonArray) v).isEmpty())) {
        throw bad("Cairn runs http, tcp, grpc and ttl checks, not " + unsupported);
      }
    }
    JsonObject c = new JsonObject();
    if (ttl != null && !ttl.isEmpty()) {
      cairn.put("ttl", millis(duration(ttl, "TTL")));
      c.put("type", "ttl");
    } else if (http != null && !http.isEmpty()) {
      String method = string(check, "Method");
      if (method != null && !method.isEmpty() && !method.equalsIgnoreCase("GET")) {
        throw bad("Cairn's http checks send GET, not " + method);
      }
      c.put("type", "http").put("url", http);
      JsonObject headers = object(check, "Header");
      if (headers != null) {
        JsonObject single = new JsonObject();
        for (Map.Entry<String, Object> h : headers) {
          Object v = h.getValue();
          if (v instanceof JsonArray && ((JsonArray) v).stream().allMatch(String.class::isInstance)) {
            v = String.join(", ", ((JsonArray) v).getList());
          }
          if (!(v instanceof String)) {
            throw bad("Header." + h.getKey() + " must be a list of strings");
          }
          single.put(h.getKey(), v);
        }
        c.put("headers", single);
      }
      if (Boolean.TRUE.equals(field(check, "TLSSkipVerify"))) {
        c.put("tlsSkipVerify", true);
      }
    } else if (tcp != null && !tcp.isEmpty()) {
      sameTarget(cairn, tcp, "TCP");
      c.put("type", "tcp");
    } else if (grpc != null && !grpc.isEmpty()) {
      int slash = grpc.indexOf('/');
      sameTarget(cairn, slash < 0 ? grpc : grpc.substring(0, slash), "GRPC");
      c.put("type", "grpc");
      if (slash >= 0 && slash < grpc.length() - 1) {
        c.put("service", grpc.substring(slash + 1));
      }
      if (Boolean.TRUE.equals(field(check, "GRPCUseTLS"))) {
        c.put("tls", true);
      }
      if (Boolean.TRUE.equals(field(check, "TLSSkipVerify"))) {
        c.put("tlsSkipVerify", true);
      }
    } else {
      throw bad("a check needs one of HTTP, TCP, GRPC or TTL");
    }
    if (!"ttl".equals(c.getString("type"))) {
      String interval = string(check, "Interval");
      long intervalMillis = interval == null || interval.isEmpty() ? 0 : duration(interval, "Interval");
      if (intervalMillis > 0) {
        c.put("interval", millis(intervalMillis));
      }
      String timeout = string(check, "Timeout");
      if (timeout != null && !timeout.isEmpty()) {
        long timeoutMillis = duration(timeout, "Timeout");
        // Consul lets a probe outlast its interval (its default timeout is 10s whatever the interval); Cairn starts
        // the next probe at the interval, so a probe gets at most that long.
        c.put("timeout", millis(intervalMillis > 0 ? Math.min(timeoutMillis, intervalMillis) : timeoutMillis));
      }
    }
    String deregister = string(check, "DeregisterCriticalServiceAfter");
    if (deregister != null && !deregister.isEmpty()) {
      c.put("deregisterAfter", millis(duration(deregister, "DeregisterCriticalServiceAfter")));
    }
    cairn.put("check", c);
  }

  /** Cairn probes the instance's own address and port; a Consul check aimed elsewhere cannot be kept. */
  private static void sameTarget(JsonObject cairn, String target, String kind) {
    String expected = cairn.getString("address") + ":" + cairn.getInteger("port");
    String bracketed = "[" + cairn.getString("address") + "]:" + cairn.getInteger("port");
    if (!target.equals(expected) && !target.equals(bracketed)) {
      throw bad("Cairn's " + kind.toLowerCase(Locale.ROOT) + " checks connect to the instance's own address and "
          + "port (" + expected + "), not " + target);
    }
  }

  private static long duration(String text, String field) {
    try {
      return Durations.parseGo(text);
    } catch (IllegalArgumentException e) {
      throw bad(field + ": " + e.getMessage());
    }
  }

  private static String millis(long millis) {
    return millis + "ms";
  }

  /** A field by Consul's name, in any case; null when absent or null. */
  static Object field(JsonObject o, String name) {
    Object exact = o.getValue(name);
    if (exact != null) {
      return exact;
    }
    for (String key : o.fieldNames()) {
      if (key.equalsIgnoreCase(name)) {
        return o.getValue(key);
      }
    }
    return null;
  }

  private static String string(JsonObject o, String name) {
    Object v = field(o, name);
    if (v != null && !(v instanceof String)) {
      throw bad(name + " must be a string");
    }
    return (String) v;
  }

  private static JsonObject object(JsonObject o, String name) {
    Object v = field(o, name);
    if (v != null && !(v instanceof JsonObject)) {
      throw bad(name + " must be an object");
    }
    return (JsonObject) v;
  }

  private static ApiException bad(String message) {
    return new ApiException(400, "invalid_body", message);
  }
}
