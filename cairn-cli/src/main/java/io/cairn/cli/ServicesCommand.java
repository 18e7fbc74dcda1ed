package io.cairn.cli;

import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.DiscoverResponse;
import io.cairn.grpc.v1.Instance;
import io.cairn.wire.InstanceMessages;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

@Command(name = "services", description = {"The services, or with NAME the instances of one.",
    "Without --status every instance counts, whatever its health."})
final class ServicesCommand extends ClusterCommand {
  @Parameters(arity = "0..1", paramLabel = "NAME", description = "A service name.")
  String name;

  @Option(names = "--tag", paramLabel = "TAG", description = "Only instances with this tag (repeat: all of them).")
  List<String> tags = new ArrayList<>();

  @Option(names = "--version", paramLabel = "RANGE", description = "An exact version or a semver range (^1.2, >=1.0 <2).")
  String version;

  @Option(names = "--zone", paramLabel = "ZONE", description = "Only instances in this zone.")
  String zone;

  @Option(names = "--status", paramLabel = "STATUS", defaultValue = "any",
      description = "passing, healthy, degraded, unhealthy, unknown or any (default: ${DEFAULT-VALUE}).")
  String status;

  @Override
  public Integer call() {
    DiscoverRequest.Builder query = DiscoverRequest.newBuilder().addAllTags(tags).setStatus(status);
    if (name != null) {
      query.setName(name);
    }
    if (version != null) {
      query.setVersion(version);
    }
    if (zone != null) {
      query.setZone(zone);
    }
    DiscoverResponse answer;
    try (Cluster cluster = connection.open()) {
      answer = cluster.await(cluster.client().discover(query.build()));
    }
    List<Instance> instances = answer.getInstancesList();
    if (name != null) {
      print(Instances.json(instances), Instances.table(instances, output.wide()));
      return 0;
    }
    Map<String, List<Instance>> byName = new TreeMap<>();
    instances.forEach(i -> byName.computeIfAbsent(i.getName(), n -> new ArrayList<>()).add(i));
    JsonArray json = new JsonArray();
    Output.Table table = output.wide()
        ? new Output.Table("NAME", "INSTANCES", "PASSING", "VERSIONS", "ZONES", "TAGS")
        : new Output.Table("NAME", "INSTANCES", "PASSING", "TAGS");
    byName.forEach((service, of) -> {
      long passing = of.stream().filter(InstanceMessages::passing).count();
      TreeSet<String> serviceTags = new TreeSet<>();
      TreeSet<String> versions = new TreeSet<>();
      TreeSet<String> zones = new TreeSet<>();
      for (Instance i : of) {
        serviceTags.addAll(i.getTagsList());
        if (!i.getVersion().isEmpty()) {
          versions.add(i.getVersion());
        }
        if (!i.getZone().isEmpty()) {
          zones.add(i.getZone());
        }
      }
      json.add(new JsonObject().put("name", service).put("instances", of.size()).put("passing", passing)
          .put("tags", new JsonArray(new ArrayList<>(serviceTags))).put("versions", new JsonArray(new ArrayList<>(versions)))
          .put("zones", new JsonArray(new ArrayList<>(zones))));
      String tagList = serviceTags.isEmpty() ? null : String.join(",", serviceTags);
      if (output.wide()) {
        table.row(service, of.size(), passing, versions.isEmpty() ? null : String.join(",", versions),
            zones.isEmpty() ? null : String.join(",", zones), tagList);
      } else {
        table.row(service, of.size(), passing, tagList);
      }
    });
    print(json, table);
    return 0;
  }

}
