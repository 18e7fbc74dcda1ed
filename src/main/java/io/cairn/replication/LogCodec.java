package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.buffer.Buffer;
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

  /**
   * A log item: a small header (request id, origin node) ahead of the command's JSON, so that the node that
   * appended a command recognises it on the way back without parsing the JSON again.
   */
  public static byte[] encode(Command command) {
    return item(command.requestId(), command.origin().getBytes(java.nio.charset.StandardCharsets.UTF_8), body(command));
  }

  /** The JSON part of an item; encoded by whoever submits the command, so that the applying loop need not. */
  public static byte[] body(Command command) {
    return ModelJson.bytes(command);
  }

  /** An item from its header fields and its JSON body. */
  public static byte[] item(long requestId, byte[] origin, byte[] body) {
    byte[] item = new byte[10 + origin.length + body.length];
    for (int i = 0; i < 8; i++) {
      item[i] = (byte) (requestId >>> (56 - 8 * i));
    }
    item[8] = (byte) (origin.length >>> 8);
    item[9] = (byte) origin.length;
    System.arraycopy(origin, 0, item, 10, origin.length);
    System.arraycopy(body, 0, item, 10 + origin.length, body.length);
    return item;
  }

  public static Command decode(byte[] bytes) {
    int jsonStart = 10 + (((bytes[8] & 0xff) << 8) | (bytes[9] & 0xff));
    return ModelJson.commandFromJson(new JsonObject(Buffer.buffer(bytes).slice(jsonStart, bytes.length)));
  }

  /** The request id in an item's header. */
  public static long requestId(byte[] bytes) {
    long id = 0;
    for (int i = 0; i < 8; i++) {
      id = (id << 8) | (bytes[i] & 0xff);
    }
    return id;
  }

  /** True when the item's header names {@code origin} (given as UTF-8 bytes) as the appending node. */
  public static boolean isFrom(byte[] bytes, byte[] origin) {
    int length = ((bytes[8] & 0xff) << 8) | (bytes[9] & 0xff);
    return length == origin.length && java.util.Arrays.equals(bytes, 10, 10 + length, origin, 0, length);
  }

  public static byte[] encode(Snapshot s) {
    byte[] json = ModelJson.bytes(g -> {
      g.writeStartObject();
      g.writeNumberField("revision", s.revision());
      g.writeNumberField("term", s.term());
      g.writeStringField("leader", s.leader());
      g.writeNumberField("leaderSince", s.leaderSince());
      g.writeArrayFieldStart("services");
      for (ServiceEntry e : s.services()) {
        ModelJson.write(g, e);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("nodes");
      for (NodeInfo n : s.nodes()) {
        ModelJson.write(g, n);
      }
      g.writeEndArray();
      g.writeEndObject();
    });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // The revision first, uncompressed, so that a reader can pick the newest snapshot without inflating any.
    out.writeBytes(Buffer.buffer(8).appendLong(s.revision()).getBytes());
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static long snapshotRevision(byte[] bytes) {
    return Buffer.buffer(bytes).getLong(0);
  }

  public static Snapshot decodeSnapshot(byte[] bytes) {
    byte[] raw;
    try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(bytes, 8, bytes.length - 8))) {
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
    return new Snapshot(json.getLong("revision"), json.getLong("term"), json.getString("leader"),
        json.getLong("leaderSince", 0L), services, nodes);
  }
}
