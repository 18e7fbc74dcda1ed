package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Bytes in the cluster log and the snapshot map: JSON, so that an operator can read them; snapshots gzipped. */
public final class LogCodec {
  private LogCodec() {
  }

  public static byte[] encode(Command command) {
    return ModelJson.toJson(command).toBuffer().getBytes();
  }

  public static Command decode(byte[] bytes) {
    return ModelJson.commandFromJson(new JsonObject(Buffer.buffer(bytes)));
  }

  public static byte[] encode(Snapshot s) {
    JsonArray services = new JsonArray(new ArrayList<>(s.services().size()));
    for (ServiceEntry e : s.services()) {
      services.add(ModelJson.toJson(e));
    }
    JsonArray nodes = new JsonArray();
    for (NodeInfo n : s.nodes()) {
      nodes.add(ModelJson.toJson(n));
    }
    JsonObject json = new JsonObject()
        .put("revision", s.revision())
        .put("term", s.term())
        .put("leader", s.leader())
        .put("services", services)
        .put("nodes", nodes);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(json.toBuffer().getBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static Snapshot decodeSnapshot(byte[] bytes) {
    byte[] raw;
    try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      raw = gzip.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonObject json = new JsonObject(Buffer.buffer(raw));
    List<ServiceEntry> services = new ArrayList<>();
    for (Object o : json.getJsonArray("services")) {
      services.add(ModelJson.entryFromJson((JsonObject) o));
    }
    List<NodeInfo> nodes = new ArrayList<>();
    for (Object o : json.getJsonArray("nodes")) {
      nodes.add(ModelJson.nodeFromJson((JsonObject) o));
    }
    return new Snapshot(json.getLong("revision"), json.getLong("term"), json.getString("leader"), services, nodes);
  }
}
