package io.cairn.replication;

import io.cairn.model.Canonical;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The log and snapshots as releases before the binary log wrote them (JSON): read so that a node upgraded in place
 * starts from the snapshot it has and replays the log after it. Nothing writes this form any more.
 */
final class LegacyJson {
  private LegacyJson() {
  }

  /** True when the command part of an item is JSON: a binary command starts with its type's tag, never a brace. */
  static boolean isCommand(byte[] item, int start) {
    return start < item.length && item[start] == '{';
  }

  static Command command(byte[] item, int start) {
    JsonObject j = new JsonObject(Buffer.buffer(item).slice(start, item.length));
    JsonObject service = j.getJsonObject("service");
    JsonObject node = j.getJsonObject("node");
    JsonObject route = j.getJsonObject("route");
    return new Command(
        Command.Type.valueOf(j.getString("type")),
        Canonical.of(j.getString("origin")),
        j.getLong("requestId", 0L),
        j.getLong("timestamp", 0L),
        j.getLong("term", 0L),
        service == null ? null : ModelJson.entryFromJson(service),
        j.getString("id"),
        j.getLong("cas", Command.NO_CAS),
        j.getBoolean("create", false),
        Health.parse(j.getString("health")),
        j.getString("reason"),
        node == null ? null : ModelJson.nodeFromJson(node),
        ModelJson.outcomeFromJson(j.getJsonObject("outcome")),
        route == null ? null : Routes.parse(route, route.getString("id")));
  }

  /** A snapshot's JSON, inflated by the caller. */
  static Snapshot snapshot(byte[] raw) {
    JsonObject json = new JsonObject(Buffer.buffer(raw));
    List<ServiceEntry> services = new ArrayList<>();
    for (Object o : json.getJsonArray("services")) {
      services.add(ModelJson.entryFromJson((JsonObject) o));
    }
    List<NodeInfo> nodes = new ArrayList<>();
    for (Object o : json.getJsonArray("nodes")) {
      nodes.add(ModelJson.nodeFromJson((JsonObject) o));
    }
    List<Route> routes = new ArrayList<>();
    for (Object o : json.getJsonArray("routes", new JsonArray())) {
      JsonObject r = (JsonObject) o;
      routes.add(Routes.parse(r, r.getString("id")));
    }
    Map<String, Long> lastRequests = new HashMap<>();
    JsonObject requests = json.getJsonObject("lastRequests", new JsonObject());
    for (String origin : requests.fieldNames()) {
      lastRequests.put(origin, requests.getLong(origin));
    }
    return new Snapshot(json.getLong("revision"), json.getLong("term"), json.getString("leader"),
        json.getLong("leaderSince", 0L), services, nodes, routes, lastRequests);
  }
}
