package io.cairn.bridge.etcd;

import io.cairn.config.BridgeSettings;
import io.cairn.model.ModelJson;
import io.cairn.model.ServiceEntry;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The keys and values the etcd export writes, in its two formats:
 * <ul>
 *   <li>{@code cairn}: {@code {prefix}/services/{name}/{id}}, the instance as Cairn's REST API shows it;</li>
 *   <li>{@code proxy-stone}: {@code {prefix}/services/{id}}, Proxy-Stone's document ({@code id}, {@code name},
 *       {@code host}, {@code port}, {@code status}, {@code version}, {@code tags}, {@code region}, {@code zone},
 *       {@code health}), so that an unmodified Proxy-Stone reading etcd sees Cairn's services.</li>
 * </ul>
 * Every value also carries {@code "bridge": <bridge id>}, the mark by which the export knows its own keys (and
 * the import never takes them in), and {@code "term": <Raft term>}, the term of the node that wrote it, so that a
 * late write of a former leader is recognisable. A {@link #document} is the value without its term: two writes of
 * the same document in different terms are the same, and the second is not made.
 */
final class ExportDocuments {
  private final String bridge;
  private final BridgeSettings.Format format;
  private final String servicesPrefix;
  /** The {@code source} marks of instances an etcd import brought in from the same prefix: never exported back. */
  private final Set<String> importedSources = new HashSet<>();

  ExportDocuments(BridgeSettings.Etcd settings, List<BridgeSettings.Bridge> bridges) {
    this.bridge = settings.id();
    this.format = settings.format();
    this.servicesPrefix = settings.prefix() + "/services/";
    for (BridgeSettings.Bridge b : bridges) {
      if (b instanceof BridgeSettings.Etcd e && e.type() == BridgeSettings.Type.ETCD_IMPORT
          && e.prefix().equals(settings.prefix()) && e.format() == settings.format()) {
        importedSources.add("etcd:" + e.id());
      }
    }
  }

  String servicesPrefix() {
    return servicesPrefix;
  }

  /** Whether the instance goes to etcd: not when it came from there (loop prevention). */
  boolean exported(ServiceEntry e) {
    return !importedSources.contains(e.metadata().get("source"));
  }

  String key(ServiceEntry e) {
    return format == BridgeSettings.Format.CAIRN ? servicesPrefix + e.name() + "/" + e.id() : servicesPrefix + e.id();
  }

  /** The value without its term. */
  JsonObject document(ServiceEntry e) {
    JsonObject doc = format == BridgeSettings.Format.CAIRN ? ModelJson.toJson(e) : proxyStone(e);
    return doc.put("bridge", bridge);
  }

  /** The text written to etcd: the document and the term it is written in. */
  static String value(JsonObject document, long term) {
    return document.copy().put("term", term).encode();
  }

  /** A value read from etcd as a document, or null when it is not one this bridge wrote. */
  JsonObject held(String value) {
    try {
      JsonObject doc = new JsonObject(value);
      if (!bridge.equals(doc.getValue("bridge")) || !(doc.getValue("id") instanceof String)) {
        return null;
      }
      doc.remove("term");
      return doc;
    } catch (DecodeException | ClassCastException notOurs) {
      return null;
    }
  }

  private static JsonObject proxyStone(ServiceEntry e) {
    String status = proxyStoneStatus(e);
    JsonObject health = new JsonObject().put("status", status);
    if (e.lastCheck() != null) {
      health.put("lastCheck", e.lastCheck().at());
    }
    JsonObject doc = new JsonObject().put("id", e.id()).put("name", e.name()).put("host", e.address())
        .put("port", e.port()).put("status", status);
    if (e.version() != null) {
      doc.put("version", e.version());
    }
    doc.put("tags", new JsonArray(List.copyOf(e.tags())));
    if (e.region() != null) {
      doc.put("region", e.region());
    }
    if (e.zone() != null) {
      doc.put("zone", e.zone());
    }
    return doc.put("health", health);
  }

  /**
   * Proxy-Stone's word for an instance: {@code stopped} when disabled, {@code draining}, else by health:
   * {@code healthy} (healthy or degraded), {@code unhealthy}, {@code starting} (unknown: no check result yet).
   */
  static String proxyStoneStatus(ServiceEntry e) {
    if (!e.enabled()) {
      return "stopped";
    }
    if (e.draining()) {
      return "draining";
    }
    return switch (e.health()) {
      case HEALTHY, DEGRADED -> "healthy";
      case UNHEALTHY -> "unhealthy";
      case UNKNOWN -> "starting";
    };
  }
}
