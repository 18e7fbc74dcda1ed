package io.cairn.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A bulk registration's answer: the highest revision that holds one of its items, and one result per item.
 *
 * @param revision the highest revision that holds a registered item
 * @param results  one per item of the request, in its order
 */
public record Bulk(long revision, List<Bulk.Item> results) {

  /**
   * One item of a bulk registration, at its index in the request: registered ({@code status} 200 or 201, with the
   * instance's {@code id} and the {@code revision} that holds it), or refused ({@code error} says why).
   */
  public record Item(int index, int status, String id, long revision, ApiException error) {
    static Item registered(int index, RegistryOperations.Written w) {
      return new Item(index, w.status(), w.entry().id(), w.revision(), null);
    }

    static Item refused(int index, ApiException error) {
      return new Item(index, error.status(), null, -1, error);
    }
  }

  /**
   * The answer as JSON, the same over REST and the event bus, so that a client reads the same fields either way: one
   * result per item, {@code {index, status, id, revision}} or {@code {index, status, error, message, field}}.
   */
  public JsonObject toJson() {
    JsonArray json = new JsonArray();
    for (Item item : results) {
      JsonObject one = new JsonObject().put("index", item.index()).put("status", item.status());
      if (item.error() != null) {
        one.mergeIn(item.error().toJson());
      } else {
        one.put("id", item.id()).put("revision", item.revision());
      }
      json.add(one);
    }
    return new JsonObject().put("revision", revision).put("results", json);
  }
}
