package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.grpc.v1.Instance;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiFunction;

/** The commands on one instance, named by its id. */
final class InstanceCommands {
  private InstanceCommands() {
  }

  /** What every one of them has: the id, the connection and the output format. */
  abstract static class OnInstance extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The instance's id.")
    String id;

    /** Runs a client call on the instance and prints the instance it answers. */
    int printInstance(BiFunction<CairnClient, String, Future<Instance>> call, String done) {
      Instance instance;
      try (Cluster cluster = connection.open()) {
        instance = cluster.await(call.apply(cluster.client(), id));
      }
      if (done != null) {
        say(done + " " + Instances.line(instance), Instances.json(instance));
      } else {
        print(Instances.json(instance), Instances.table(List.of(instance), output.wide()));
      }
      return 0;
    }
  }

  @Command(name = "get", description = "One instance, as the cluster holds it.")
  static final class Get extends OnInstance {
    @Override
    public Integer call() {
      return printInstance(CairnClient::get, null);
    }
  }

  @Command(name = "deregister", description = "Removes an instance from the registry.")
  static final class Deregister extends OnInstance {
    @Override
    public Integer call() {
      return printInstance(CairnClient::deregister, "deregistered");
    }
  }

  @Command(name = "drain", description = {"Shutdown notice: out of rotation until it deregisters or registers again."})
  static final class Drain extends OnInstance {
    @Override
    public Integer call() {
      return printInstance(CairnClient::drain, "draining");
    }
  }

  @Command(name = "enable", description = "Back in rotation (also ends draining).")
  static final class Enable extends OnInstance {
    @Override
    public Integer call() {
      return printInstance(CairnClient::enable, "enabled");
    }
  }

  @Command(name = "disable", description = "Out of rotation, kept registered.")
  static final class Disable extends OnInstance {
    @Override
    public Integer call() {
      return printInstance(CairnClient::disable, "disabled");
    }
  }

  @Command(name = "check", description = {"Runs an instance's health check now, on the node that owns it.",
      "Exit code 0 whatever the result: the output says it."})
  static final class Check extends OnInstance {
    @Override
    public Integer call() {
      JsonObject answer;
      try (Cluster cluster = connection.open()) {
        answer = cluster.rest(HttpMethod.POST, "/v1/services/" + URLEncoder.encode(id, StandardCharsets.UTF_8)
            + "/check");
      }
      JsonObject result = answer.getJsonObject("result", new JsonObject());
      Output.Table table = new Output.Table("ID", "RESULT", "HEALTH", "TOOK", "NODE", "OUTPUT");
      table.row(id, result.getString("status"), answer.getString("health"),
          result.getLong("durationMillis", 0L) + "ms", result.getString("node"), result.getString("output"));
      print(answer, table);
      return 0;
    }
  }
}
