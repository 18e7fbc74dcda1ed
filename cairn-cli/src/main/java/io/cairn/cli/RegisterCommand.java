package io.cairn.cli;

import io.cairn.grpc.v1.Instance;
import io.cairn.model.Registrations;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ValidationException;
import io.cairn.wire.InstanceMessages;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "register", description = {"Registers an instance, or replaces the one with its id.",
    "From a file in the REST API's shape (-f instance.json, - for standard input), or from options."})
final class RegisterCommand extends ClusterCommand {
  @ArgGroup(multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = {"-f", "--file"}, paramLabel = "FILE", required = true,
        description = "The instance as JSON (what POST /v1/services takes); - reads standard input.")
    String file;

    @ArgGroup(exclusive = false)
    Fields fields;
  }

  static final class Fields {
    @Option(names = "--name", required = true, description = "The service's name.")
    String name;

    @Option(names = "--address", required = true, description = "Host name or IP address callers use.")
    String address;

    @Option(names = "--port", required = true, description = "The port callers use.")
    int port;

    @Option(names = "--id", description = "The instance's id (default: NAME-<random>).")
    String id;

    @Option(names = "--tag", paramLabel = "TAG", description = "A tag (repeatable).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "A metadata entry (repeatable).")
    Map<String, String> metadata = new LinkedHashMap<>();

    @Option(names = "--ttl", paramLabel = "DURATION", description = "Heartbeats expected within each DURATION (10s).")
    String ttl;

    @Option(names = "--version", paramLabel = "VERSION", description = "The instance's version.")
    String version;

    @Option(names = "--region", paramLabel = "REGION")
    String region;

    @Option(names = "--zone", paramLabel = "ZONE")
    String zone;

    @Option(names = "--weight", paramLabel = "N", description = "0-10000, default 1.")
    Integer weight;

    JsonObject json() {
      JsonObject json = new JsonObject().put("name", name).put("address", address).put("port", port);
      if (id != null) {
        json.put("id", id);
      }
      if (!tags.isEmpty()) {
        json.put("tags", new JsonArray(tags));
      }
      if (!metadata.isEmpty()) {
        json.put("metadata", new JsonObject(new LinkedHashMap<>(metadata)));
      }
      putIfSet(json, "ttl", ttl);
      putIfSet(json, "version", version);
      putIfSet(json, "region", region);
      putIfSet(json, "zone", zone);
      if (weight != null) {
        json.put("weight", weight);
      }
      return json;
    }

    private static void putIfSet(JsonObject json, String key, String value) {
      if (value != null) {
        json.put(key, value);
      }
    }
  }

  @Override
  public Integer call() {
    JsonObject body = source.file != null ? read(source.file) : source.fields.json();
    ServiceEntry entry;
    try {
      // The node's own validation, here first: a mistake is named before anything is sent.
      entry = Registrations.parse(body, null);
    } catch (ValidationException e) {
      throw CliFailure.refused(e.getMessage() + " (" + e.code() + (e.field() == null ? "" : ", field " + e.field())
          + ")");
    }
    Instance registered;
    try (Cluster cluster = connection.open()) {
      registered = cluster.await(cluster.client().register(InstanceMessages.message(entry)));
    }
    say("registered " + Instances.line(registered), Instances.json(registered));
    return 0;
  }

  private static JsonObject read(String file) {
    String text;
    try {
      if (file.equals("-")) {
        text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
      } else {
        text = Files.readString(Path.of(file));
      }
    } catch (IOException e) {
      throw new CliFailure(CliFailure.USAGE, "cannot read " + file + ": " + e.getMessage());
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw new CliFailure(CliFailure.USAGE, file + " is not a JSON object: " + e.getMessage().lines().findFirst()
          .orElse(""));
    }
  }
}
