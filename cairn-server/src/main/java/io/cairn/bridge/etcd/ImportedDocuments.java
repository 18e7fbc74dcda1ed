package io.cairn.bridge.etcd;

import io.cairn.config.BridgeSettings;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How an import bridge reads a key of etcd: as a registration for Cairn, as a key Cairn's own export wrote (never
 * brought back: it carries the export's {@code bridge} mark), or as a value it cannot use (skipped with a warning).
 * Pure: no I/O, no Vert.x beyond its JSON.
 *
 * <p>Keys are {@code {prefix}/services/{name}/{id}} (format {@code cairn}: the value is an instance as Cairn's REST API
 * shows it) or {@code {prefix}/services/{id}} (format {@code proxy-stone}: Proxy-Stone's document, {@code id, name,
 * host, port, status, version, tags, region, zone, health}). An imported instance carries {@code source:
 * etcd:{bridge id}} in its metadata, and the TTL of its key's lease.
 */
final class ImportedDocuments {
  /** Fields of Cairn's registration that an instance brings along; the rest (its state) Cairn decides itself. */
  private static final List<String> CAIRN_FIELDS = List.of("version", "tags", "metadata", "region", "zone", "weight");
  /** Proxy-Stone's statuses that mean "send it traffic"; any other (unhealthy, starting, draining, stopped) does not. */
  private static final Set<String> SERVING = Set.of("healthy", "up", "passing");

  /** What a key is to the import. */
  sealed interface Reading permits Instance, Exported, Unusable {
  }

  /**
   * A registration for Cairn.
   *
   * @param healthy what the document says of its health: false when its status is anything but serving
   * @param status  the document's own word for it, for the reason Cairn shows
   */
  record Instance(String id, JsonObject registration, boolean healthy, String status) implements Reading {
  }

  /** Written by a Cairn export: it came from Cairn, and is not brought back. */
  record Exported() implements Reading {
  }

  /** A value the import cannot use, and why. */
  record Unusable(String reason) implements Reading {
  }

  /** A document that contradicts its own key. */
  private static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private final BridgeSettings.Etcd settings;
  private final String servicesPrefix;
  private final String source;

  ImportedDocuments(BridgeSettings.Etcd settings) {
    this.settings = settings;
    this.servicesPrefix = servicesPrefix(settings);
    this.source = source(settings.id());
  }

  /** Where an etcd bridge's instances lie: {@code {prefix}/services/}. */
  static String servicesPrefix(BridgeSettings.Etcd settings) {
    return settings.prefix() + "/services/";
  }

  /** The metadata mark of an instance this bridge imported. */
  static String source(String bridgeId) {
    return "etcd:" + bridgeId;
  }

  /** The instance id a key names (what a deleted key deregisters), or null when it names none. */
  String idOf(String key) {
    if (!key.startsWith(servicesPrefix)) {
      return null;
    }
    String[] parts = key.substring(servicesPrefix.length()).split("/", -1);
    int expected = settings.format() == BridgeSettings.Format.CAIRN ? 2 : 1;
    return parts.length == expected && !parts[expected - 1].isEmpty() ? parts[expected - 1] : null;
  }

  /**
   * Reads one key.
   *
   * @param ttlSeconds the TTL its lease was granted, or 0 when it has no lease
   */
  Reading read(String key, byte[] value, long ttlSeconds) {
    String id = idOf(key);
    if (id == null) {
      return new Unusable(settings.format() == BridgeSettings.Format.CAIRN
          ? "not a key of the form " + servicesPrefix + "{name}/{id}" : "not a key of the form " + servicesPrefix + "{id}");
    }
    JsonObject doc;
    try {
      doc = new JsonObject(new String(value, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      return new Unusable("the value is not a JSON object");
    }
    if (doc.containsKey("bridge")) {
      return new Exported();
    }
    if (doc.getValue("id") != null && !id.equals(String.valueOf(doc.getValue("id")))) {
      return new Unusable("the key names id '" + id + "' but the value '" + doc.getValue("id") + "'");
    }
    JsonObject registration = new JsonObject().put("id", id);
    String status;
    try {
      status = settings.format() == BridgeSettings.Format.CAIRN ? cairn(key, doc, registration)
          : proxyStone(doc, registration);
    } catch (Refused e) {
      return new Unusable(e.getMessage());
    } catch (ClassCastException e) {
      return new Unusable("a field has the wrong type");
    }
    JsonObject metadata = registration.getValue("metadata") instanceof JsonObject m ? m.copy() : new JsonObject();
    metadata.put("source", source);
    registration.put("metadata", metadata);
    if (ttlSeconds > 0) {
      registration.put("ttl", ttlSeconds + "s");
    }
    return new Instance(id, registration, status == null || SERVING.contains(status), status == null ? "healthy"
        : status);
  }

  /** Cairn's own shape: the name from the key, which the value must not contradict; answers its health word. */
  private String cairn(String key, JsonObject doc, JsonObject registration) {
    String[] parts = key.substring(servicesPrefix.length()).split("/");
    String name = parts[0];
    if (doc.getValue("name") != null && !name.equals(String.valueOf(doc.getValue("name")))) {
      throw new Refused("the key names service '" + name + "' but the value '" + doc.getValue("name") + "'");
    }
    registration.put("name", name).put("address", doc.getValue("address")).put("port", doc.getValue("port"));
    for (String field : CAIRN_FIELDS) {
      if (doc.getValue(field) != null) {
        registration.put(field, doc.getValue(field));
      }
    }
    String health = doc.getString("health");
    return health == null || health.equals("healthy") || health.equals("degraded") ? null : health;
  }

  /** Proxy-Stone's document; answers its status word. */
  private static String proxyStone(JsonObject doc, JsonObject registration) {
    registration.put("name", doc.getValue("name")).put("address", doc.getValue("host")).put("port", doc.getValue("port"));
    for (String field : List.of("version", "region", "zone")) {
      if (doc.getValue(field) != null) {
        registration.put(field, String.valueOf(doc.getValue(field)));
      }
    }
    if (doc.getValue("tags") instanceof JsonArray tags) {
      registration.put("tags", tags);
    }
    Object status = doc.getValue("status");
    if (status == null && doc.getValue("health") instanceof JsonObject health) {
      status = health.getValue("status");
    }
    return status == null ? null : String.valueOf(status).trim().toLowerCase(Locale.ROOT);
  }
}
