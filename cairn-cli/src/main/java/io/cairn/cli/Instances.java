package io.cairn.cli;

import io.cairn.grpc.v1.Instance;
import io.cairn.model.ModelJson;
import io.cairn.wire.InstanceMessages;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Instances as the commands print them: REST's JSON, or a table row. */
final class Instances {
  private Instances() {
  }

  static JsonObject json(Instance i) {
    return ModelJson.toJson(InstanceMessages.entry(i));
  }

  static JsonArray json(List<Instance> instances) {
    JsonArray a = new JsonArray();
    instances.forEach(i -> a.add(json(i)));
    return a;
  }

  static Output.Table table(List<Instance> instances, boolean wide) {
    Output.Table t = wide
        ? new Output.Table("ID", "NAME", "ADDRESS", "PORT", "HEALTH", "ROTATION", "VERSION", "REGION", "ZONE", "NODE",
            "TAGS", "REVISION")
        : new Output.Table("ID", "NAME", "ADDRESS", "PORT", "HEALTH", "VERSION", "ZONE");
    for (Instance i : instances) {
      String version = orNull(i.getVersion());
      String zone = orNull(i.getZone());
      if (wide) {
        t.row(i.getId(), i.getName(), i.getAddress(), i.getPort(), i.getHealth(), rotation(i), version,
            orNull(i.getRegion()), zone, orNull(i.getNode()),
            i.getTagsCount() == 0 ? null : String.join(",", i.getTagsList()), i.getRevision());
      } else {
        t.row(i.getId(), i.getName(), i.getAddress(), i.getPort(), i.getHealth(), version, zone);
      }
    }
    return t;
  }

  static String orNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  /** In rotation, out of it (disabled), or leaving (draining). */
  static String rotation(Instance i) {
    return i.getDraining() ? "draining" : i.getEnabled() ? "enabled" : "disabled";
  }

  /** One line about an instance, for messages and watch lines. */
  static String line(Instance i) {
    return i.getId() + " " + i.getName() + " " + i.getAddress() + ":" + i.getPort() + " " + i.getHealth()
        + (i.getDraining() || !i.getEnabled() ? " " + rotation(i) : "") + " rev " + i.getRevision();
  }
}
