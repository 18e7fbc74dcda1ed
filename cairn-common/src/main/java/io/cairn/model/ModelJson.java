package io.cairn.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * JSON in and out for the model. One spelling serves the API, the log and snapshots: durations as strings
 * ({@code 10s}), times as epoch milliseconds. Writing streams with Jackson (the write paths are hot: every
 * registration is encoded for the log and for the answer); {@code toJson} parses those bytes for callers that
 * want a JsonObject. Reading trusts its input (this class wrote it); untrusted client input goes through
 * {@link Registrations}.
 */
public final class ModelJson {
  private ModelJson() {
  }

  private static final JsonFactory FACTORY = new JsonFactory();

  /** Writes one JSON value with a streaming generator: no intermediate maps on the hot paths. */
  @FunctionalInterface
  public interface Writer {
    void write(JsonGenerator g) throws IOException;
  }

  public static byte[] bytes(Writer writer) {
    ByteArrayBuilder out = new ByteArrayBuilder(512);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      writer.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static byte[] bytes(ServiceEntry e) {
    return bytes(g -> write(g, e));
  }

  /** A JSON array of instances. */
  public static byte[] bytes(List<ServiceEntry> entries) {
    return bytes(g -> {
      g.writeStartArray();
      for (ServiceEntry e : entries) {
        write(g, e);
      }
      g.writeEndArray();
    });
  }

  public static JsonObject toJson(ServiceEntry e) {
    return parse(bytes(e));
  }

  public static JsonObject toJson(NodeInfo n) {
    return parse(bytes(g -> write(g, n)));
  }

  public static JsonObject toJson(Event e) {
    return parse(bytes(g -> write(g, e)));
  }

  /** The event's JSON text, written once without building a JsonObject (what streams send). */
  public static String encode(Event e) {
    return new String(bytes(g -> write(g, e)), java.nio.charset.StandardCharsets.UTF_8);
  }

  public static JsonObject toJson(CheckOutcome o) {
    return parse(bytes(g -> write(g, o)));
  }

  private static JsonObject parse(byte[] bytes) {
    return new JsonObject(Buffer.buffer(bytes));
  }

  public static void write(JsonGenerator g, ServiceEntry e) throws IOException {
    write(g, e, true);
  }

  /**
   * @param withState false for a registration in the log: only what the client declared, since the state
   *                  (health, rotation, times, revision) is what applying the command decides
   */
  public static void write(JsonGenerator g, ServiceEntry e, boolean withState) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", e.id());
    g.writeStringField("name", e.name());
    if (e.version() != null) {
      g.writeStringField("version", e.version());
    }
    g.writeStringField("address", e.address());
    g.writeNumberField("port", e.port());
    writeStrings(g, "tags", e.tags());
    g.writeObjectFieldStart("metadata");
    for (var m : e.metadata().entrySet()) {
      g.writeStringField(m.getKey(), m.getValue());
    }
    g.writeEndObject();
    if (e.region() != null) {
      g.writeStringField("region", e.region());
    }
    if (e.zone() != null) {
      g.writeStringField("zone", e.zone());
    }
    g.writeNumberField("weight", e.weight());
    if (e.ttlMillis() > 0) {
      g.writeStringField("ttl", Durations.format(e.ttlMillis()));
    }
    if (e.check() != null) {
      g.writeFieldName("check");
      write(g, e.check());
    }
    if (!withState) {
      g.writeEndObject();
      return;
    }
    if (e.node() != null) {
      g.writeStringField("node", e.node());
    }
    g.writeStringField("health", e.health().json());
    g.writeBooleanField("enabled", e.enabled());
    g.writeBooleanField("draining", e.draining());
    g.writeNumberField("registeredAt", e.registeredAt());
    if (e.lastCheck() != null) {
      g.writeFieldName("lastCheck");
      write(g, e.lastCheck());
    }
    if (e.lastHeartbeat() > 0) {
      g.writeNumberField("lastHeartbeat", e.lastHeartbeat());
    }
    g.writeNumberField("healthSince", e.healthSince());
    if (e.healthReason() != null) {
      g.writeStringField("healthReason", e.healthReason());
    }
    g.writeNumberField("revision", e.revision());
    g.writeEndObject();
  }

  public static void write(JsonGenerator g, Check c) throws IOException {
    g.writeStartObject();
    g.writeStringField("type", c.type());
    if (c.path() != null) {
      g.writeStringField("path", c.path());
    }
    if (c.url() != null) {
      g.writeStringField("url", c.url());
    }
    if (c.service() != null) {
      g.writeStringField("service", c.service());
    }
    if (c.tls()) {
      g.writeBooleanField("tls", true);
    }
    if (c.tlsSkipVerify()) {
      g.writeBooleanField("tlsSkipVerify", true);
    }
    if (!c.headers().isEmpty()) {
      g.writeObjectFieldStart("headers");
      for (var h : c.headers().entrySet()) {
        g.writeStringField(h.getKey(), h.getValue());
      }
      g.writeEndObject();
    }
    if (!c.isTtl()) {
      g.writeStringField("interval", Durations.format(c.intervalMillis()));
      g.writeStringField("timeout", Durations.format(c.timeoutMillis()));
      g.writeNumberField("failuresBeforeUnhealthy", c.failuresBeforeUnhealthy());
      g.writeNumberField("successesBeforeHealthy", c.successesBeforeHealthy());
      g.writeStringField("gracePeriod", Durations.format(c.gracePeriodMillis()));
    }
    if (c.deregisterAfterMillis() > 0) {
      g.writeStringField("deregisterAfter", Durations.format(c.deregisterAfterMillis()));
    }
    g.writeEndObject();
  }

  /** A check run: {"at", "status", "output", "durationMillis", "node"}. */
  public static void write(JsonGenerator g, CheckOutcome o) throws IOException {
    g.writeStartObject();
    g.writeNumberField("at", o.at());
    g.writeStringField("status", o.status().json());
    if (o.output() != null) {
      g.writeStringField("output", o.output());
    }
    g.writeNumberField("durationMillis", o.durationMillis());
    if (o.node() != null) {
      g.writeStringField("node", o.node());
    }
    g.writeEndObject();
  }

  public static CheckOutcome outcomeFromJson(JsonObject j) {
    return j == null ? null : new CheckOutcome(j.getLong("at", 0L), Health.parse(j.getString("status", "unknown")),
        j.getString("output"), j.getLong("durationMillis", 0L), Canonical.of(j.getString("node")));
  }

  public static void write(JsonGenerator g, NodeInfo n) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", n.id());
    g.writeStringField("name", n.name());
    g.writeStringField("memberId", n.memberId());
    g.writeStringField("host", n.host());
    g.writeNumberField("httpPort", n.httpPort());
    g.writeStringField("grpcAddress", n.grpcAddress());
    g.writeStringField("clusterAddress", n.clusterAddress());
    g.writeStringField("region", n.region());
    g.writeStringField("zone", n.zone());
    g.writeStringField("version", n.version());
    writeStrings(g, "tags", n.tags());
    g.writeNumberField("startedAt", n.startedAt());
    g.writeStringField("status", n.status().json());
    g.writeNumberField("joinedAt", n.joinedAt());
    g.writeNumberField("since", n.since());
    g.writeEndObject();
  }

  private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
    g.writeArrayFieldStart(field);
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  public static void write(JsonGenerator g, Event e) throws IOException {
    g.writeStartObject();
    g.writeStringField("type", e.type().json());
    g.writeNumberField("revision", e.revision());
    g.writeNumberField("timestamp", e.timestamp());
    if (e.service() != null) {
      g.writeFieldName("service");
      write(g, e.service());
    }
    if (e.node() != null) {
      g.writeFieldName("node");
      write(g, e.node());
    }
    if (e.leader() != null) {
      g.writeStringField("leader", e.leader());
      g.writeNumberField("term", e.term());
    }
    if (e.route() != null) {
      g.writeFieldName("route");
      g.writeRawValue(Routes.toJson(e.route()).encode());
    }
    g.writeEndObject();
  }

  public static ServiceEntry entryFromJson(JsonObject j) {
    JsonObject checkJson = j.getJsonObject("check");
    return new ServiceEntry(
        j.getString("id"),
        Canonical.of(j.getString("name")),
        Canonical.of(j.getString("version")),
        j.getString("address"),
        j.getInteger("port"),
        stringList(j.getJsonArray("tags")),
        stringMap(j.getJsonObject("metadata")),
        Canonical.of(j.getString("region")),
        Canonical.of(j.getString("zone")),
        j.getInteger("weight", 1),
        Canonical.of(j.getString("node")),
        checkJson == null ? null : checkFromJson(checkJson),
        j.containsKey("ttl") ? Durations.parse(j.getString("ttl")) : 0,
        Health.parse(j.getString("health", "unknown")),
        j.getBoolean("enabled", true),
        j.getBoolean("draining", false),
        j.getLong("registeredAt", 0L),
        outcomeFromJson(j.getJsonObject("lastCheck")),
        j.getLong("lastHeartbeat", 0L),
        j.getLong("healthSince", 0L),
        Canonical.of(j.getString("healthReason")),
        j.getLong("revision", 0L));
  }

  public static Check checkFromJson(JsonObject j) {
    return new Check(
        j.getString("type"),
        j.getString("path"),
        j.getString("url"),
        j.getString("service"),
        j.getBoolean("tls", false),
        j.getBoolean("tlsSkipVerify", false),
        stringMap(j.getJsonObject("headers")),
        j.containsKey("interval") ? Durations.parse(j.getString("interval")) : 0,
        j.containsKey("timeout") ? Durations.parse(j.getString("timeout")) : 0,
        j.getInteger("failuresBeforeUnhealthy", 1),
        j.getInteger("successesBeforeHealthy", 1),
        j.containsKey("gracePeriod") ? Durations.parse(j.getString("gracePeriod")) : 0,
        j.containsKey("deregisterAfter") ? Durations.parse(j.getString("deregisterAfter")) : 0);
  }

  public static NodeInfo nodeFromJson(JsonObject j) {
    return new NodeInfo(
        j.getString("id"),
        j.getString("name"),
        j.getString("memberId"),
        j.getString("host"),
        j.getInteger("httpPort"),
        j.getString("grpcAddress"),
        j.getString("clusterAddress"),
        j.getString("region"),
        j.getString("zone"),
        j.getString("version"),
        stringList(j.getJsonArray("tags")),
        j.getLong("startedAt", 0L),
        NodeInfo.Status.valueOf(j.getString("status", "alive").toUpperCase(java.util.Locale.ROOT)),
        j.getLong("joinedAt", 0L),
        j.getLong("since", 0L));
  }

  static List<String> stringList(JsonArray array) {
    if (array == null || array.isEmpty()) {
      return List.of();
    }
    List<String> list = new ArrayList<>(array.size());
    for (Object o : array) {
      list.add(Canonical.of((String) o));
    }
    return Collections.unmodifiableList(list);
  }

  static SortedMap<String, String> stringMap(JsonObject object) {
    TreeMap<String, String> map = new TreeMap<>();
    if (object != null) {
      for (var e : object) {
        map.put(Canonical.of(e.getKey()), (String) e.getValue());
      }
    }
    return Collections.unmodifiableSortedMap(map);
  }
}
