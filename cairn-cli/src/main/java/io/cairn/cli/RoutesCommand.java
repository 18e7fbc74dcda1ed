package io.cairn.cli;

import io.cairn.grpc.v1.ListRoutesResponse;
import io.cairn.grpc.v1.Route;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

@Command(name = "routes", description = "The proxy's routes in force on the node asked (the log's and its own).")
final class RoutesCommand extends ClusterCommand {

  @Override
  public Integer call() {
    ListRoutesResponse answer;
    try (Cluster cluster = connection.open()) {
      answer = cluster.await(cluster.client().listRoutes());
    }
    JsonArray routes = new JsonArray();
    Output.Table table = output.wide()
        ? new Output.Table("ID", "SERVICE", "HOST", "PATH", "SOURCE", "REVISION", "RETRIES", "SPLIT")
        : new Output.Table("ID", "SERVICE", "HOST", "PATH", "SOURCE");
    for (Route r : answer.getRoutesList()) {
      JsonObject doc = new JsonObject(r.getRouteJson());
      routes.add(doc);
      JsonObject match = doc.getJsonObject("match", new JsonObject());
      Object host = match.getValue("host");
      Object path = match.getValue("pathPrefix");
      if (output.wide()) {
        Object split = doc.getValue("split");
        table.row(r.getId(), doc.getString("service"), host, path, r.getSource(), r.getRevision(),
            doc.getValue("retries"), split == null ? null : split instanceof JsonArray a ? a.encode() : split);
      } else {
        table.row(r.getId(), doc.getString("service"), host, path, r.getSource());
      }
    }
    print(routes, table);
    return 0;
  }
}
