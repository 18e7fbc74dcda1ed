package io.cairn.node;

import io.vertx.core.json.JsonObject;

/**
 * What a bridge says of itself, from the node that runs it: published to every node each second while it runs, so
 * that any node can show it ({@code GET /v1/bridges}).
 *
 * @param node         the node that runs it
 * @param term         the Raft term it runs in: what it writes as its fence
 * @param connected    its server answers
 * @param lastRevision the last revision it mirrored (export, Redis: Cairn's; import: etcd's)
 * @param lagRevisions how many revisions it is behind its source
 * @param lagMillis    how long the oldest change it has not written yet has waited
 * @param errors       failures since it started on this node (connection lost, a write refused)
 * @param lastError    the last of them, or null
 * @param lastErrorAt  when (epoch milliseconds), or 0
 */
public record BridgeStatus(String id, String type, String node, long term, boolean connected, long lastRevision,
                           long lagRevisions, long lagMillis, long errors, String lastError, long lastErrorAt) {

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("type", type).put("node", node).put("term", term)
        .put("connected", connected).put("lastRevision", lastRevision).put("lagRevisions", lagRevisions)
        .put("lagMillis", lagMillis).put("errors", errors).put("lastError", lastError).put("lastErrorAt", lastErrorAt);
  }

  public static BridgeStatus fromJson(JsonObject j) {
    return new BridgeStatus(j.getString("id"), j.getString("type"), j.getString("node"), j.getLong("term", 0L),
        j.getBoolean("connected", false), j.getLong("lastRevision", 0L), j.getLong("lagRevisions", 0L),
        j.getLong("lagMillis", 0L), j.getLong("errors", 0L), j.getString("lastError"), j.getLong("lastErrorAt", 0L));
  }
}
