package io.cairn.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/** Instances of about 4 KB each (eight metadata values of ~500 bytes), registered in bulk: what fills a heap or a disk. */
public final class BigInstances {
  private BigInstances() {
  }

  /** One instance of ~4 KB of service {@code name}. */
  public static JsonObject instance(String id, String name) {
    JsonObject metadata = new JsonObject();
    for (int k = 0; k < 8; k++) {
      metadata.put("k" + k, "v".repeat(490) + k);
    }
    return new JsonObject().put("id", id).put("name", name).put("address", "10.0.0.1").put("port", 8080)
        .put("metadata", metadata);
  }

  /**
   * {@code POST /v1/services:bulk} of {@code count} of them, ids {@code <prefix>-<i>}, through node {@code n}; the
   * ids it acknowledged go into {@code acknowledged}.
   */
  public static Http.Response register(JarCluster.Node n, String prefix, String name, int count,
                                       Set<String> acknowledged) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < count; i++) {
      items.add(instance(prefix + "-" + i, name));
    }
    Http.Response r = Http.post(n.base() + "/v1/services:bulk", items.encode());
    if (r.status() == 200) {
      for (Object o : r.json().getJsonArray("results")) {
        JsonObject result = (JsonObject) o;
        if (result.getString("error") == null && result.getString("id") != null) {
          acknowledged.add(result.getString("id"));
        }
      }
    }
    return r;
  }
}
