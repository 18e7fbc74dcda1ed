package io.cairn.model;

import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;

/** A {@link Command} as the log holds it: JSON written by {@link ModelJson}'s generator, read back trusting it. */
public final class CommandJson {
  private CommandJson() {
  }

  public static byte[] bytes(Command c) {
    return ModelJson.bytes(g -> write(g, c));
  }

  public static JsonObject toJson(Command c) {
    return new JsonObject(Buffer.buffer(bytes(c)));
  }

  public static void write(JsonGenerator g, Command c) throws IOException {
    g.writeStartObject();
    g.writeStringField("type", c.type().name());
    g.writeStringField("origin", c.origin());
    g.writeNumberField("requestId", c.requestId());
    g.writeNumberField("timestamp", c.timestamp());
    if (c.term() != 0) {
      g.writeNumberField("term", c.term());
    }
    if (c.service() != null) {
      g.writeFieldName("service");
      ModelJson.write(g, c.service(), false);
    }
    if (c.id() != null) {
      g.writeStringField("id", c.id());
    }
    if (c.cas() != Command.NO_CAS) {
      g.writeNumberField("cas", c.cas());
    }
    if (c.create()) {
      g.writeBooleanField("create", true);
    }
    if (c.health() != null) {
      g.writeStringField("health", c.health().json());
    }
    if (c.reason() != null) {
      g.writeStringField("reason", c.reason());
    }
    if (c.node() != null) {
      g.writeFieldName("node");
      ModelJson.write(g, c.node());
    }
    if (c.outcome() != null) {
      g.writeFieldName("outcome");
      ModelJson.write(g, c.outcome());
    }
    if (c.route() != null) {
      g.writeFieldName("route");
      g.writeRawValue(Routes.toJson(c.route()).encode());
    }
    g.writeEndObject();
  }

  public static Command fromJson(JsonObject j) {
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
}
