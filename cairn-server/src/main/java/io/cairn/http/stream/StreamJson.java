package io.cairn.http.stream;

import io.cairn.model.Event;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The JSON of stream frames: events as everywhere else, snapshots as {"revision", "leader", "term",
 * "count", "services", "nodes", "routes"}. */
final class StreamJson {
  private StreamJson() {
  }

  static JsonObject snapshot(Snapshot s) {
    JsonArray services = new JsonArray();
    for (ServiceEntry e : s.services()) {
      services.add(ModelJson.toJson(e));
    }
    JsonArray nodes = new JsonArray();
    for (NodeInfo n : s.nodes()) {
      nodes.add(ModelJson.toJson(n));
    }
    JsonArray routes = new JsonArray();
    for (Route r : s.routes()) {
      routes.add(Routes.toJson(r));
    }
    return new JsonObject().put("revision", s.revision()).put("leader", s.leader()).put("term", s.term())
        .put("count", s.services().size()).put("services", services).put("nodes", nodes).put("routes", routes);
  }

  /**
   * The SSE id of each event: its revision, or "revision:ordinal" for all but the last of a revision's events, so
   * that a client cut off in the middle of a revision resumes after exactly the last event it got.
   */
  static String[] ids(List<Event> events) {
    String[] ids = new String[events.size()];
    int ordinal = 0;
    for (int i = 0; i < events.size(); i++) {
      long r = events.get(i).revision();
      boolean lastOfRevision = i + 1 == events.size() || events.get(i + 1).revision() != r;
      ids[i] = lastOfRevision ? Long.toString(r) : r + ":" + ordinal;
      ordinal = lastOfRevision ? 0 : ordinal + 1;
    }
    return ids;
  }
}
