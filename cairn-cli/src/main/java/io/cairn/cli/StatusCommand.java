package io.cairn.cli;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

@Command(name = "status", description = {"Shows the leader, term, revision and quorum.",
    "As the first node of --addr that answers sees them, and whether that node is current. Exit code 1 when it has "
        + "no quorum."})
final class StatusCommand extends ClusterCommand {

  @Override
  public Integer call() {
    JsonObject status;
    try (Cluster cluster = connection.open()) {
      status = cluster.rest(HttpMethod.GET, "/v1/status");
    }
    JsonObject raft = status.getJsonObject("raft", new JsonObject());
    boolean quorate = status.getBoolean("quorate", false);
    Output.Table table = new Output.Table("FIELD", "VALUE")
        .row("node", status.getString("node"))
        .row("leader", orNone(status.getString("leader")))
        .row("term", status.getValue("term"))
        .row("revision", status.getValue("revision"))
        .row("quorum", quorate ? "yes" : "no")
        .row("ready", status.getValue("ready"))
        .row("current", status.getBoolean("current", false) ? "yes"
            : "no: " + status.getString("notCurrentBecause", "?"))
        .row("role", raft.getString("role"))
        .row("services", status.getValue("services"))
        .row("nodes", status.getValue("nodes"))
        .row("version", status.getString("version"));
    print(status, table);
    return quorate ? 0 : CliFailure.REFUSED;
  }

  private static String orNone(String leader) {
    return leader == null || leader.isEmpty() ? "none" : leader;
  }
}
