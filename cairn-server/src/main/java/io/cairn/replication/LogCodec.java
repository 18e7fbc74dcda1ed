package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.model.CommandJson;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Bytes in the cluster log and the snapshot map: JSON, so that an operator can read them; snapshots gzipped. */
public final class LogCodec {
  private LogCodec() {
  }

  /** The JSON part of an item; encoded by whoever submits the command, so that the applying loop need not. */
  public static byte[] body(Command command) {
    return CommandJson.bytes(command);
  }

  /**
   * A log item: a small header (request id, origin node) ahead of the command's JSON, so that the node that
   * proposed a command recognises it on the way back without parsing the JSON again.
   */
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

  /**
   * A Raft log entry: the items one node proposed together, in order (a count, then each item's length and bytes).
   * They are applied one after the other at the entry's index, which is their revision.
   */
  public static byte[] entry(List<byte[]> items) {
    int size = 4;
    for (byte[] item : items) {
      size += 4 + item.length;
    }
    ByteBuffer out = ByteBuffer.allocate(size).putInt(items.size());
    for (byte[] item : items) {
      out.putInt(item.length).put(item);
    }
    return out.array();
  }

  /** The items of an entry made by {@link #entry}. */
  public static List<byte[]> items(ByteBuffer entry) {
    int count = entry.getInt();
    if (count < 0 || count > entry.remaining() / 4) {
      throw new IllegalArgumentException("not a Cairn log entry (" + count + " items)");
    }
    List<byte[]> items = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] item = new byte[entry.getInt()];
      entry.get(item);
      items.add(item);
    }
    return items;
  }

  public static Command decode(byte[] bytes) {
    int jsonStart = 10 + (((bytes[8] & 0xff) << 8) | (bytes[9] & 0xff));
    return CommandJson.fromJson(new JsonObject(Buffer.buffer(bytes).slice(jsonStart, bytes.length)));
  }

  /** The request id in an item's header. */
  public static long requestId(byte[] bytes) {
    long id = 0;
    for (int i = 0; i < 8; i++) {
      id = (id << 8) | (bytes[i] & 0xff);
    }
    return id;
  }

  /** The node that appended an item, as its header names it. */
  public static String origin(byte[] bytes) {
    int length = ((bytes[8] & 0xff) << 8) | (bytes[9] & 0xff);
    return new String(bytes, 10, length, StandardCharsets.UTF_8);
  }

  /** True when the item's header names {@code origin} (given as UTF-8 bytes) as the appending node. */
  public static boolean isFrom(byte[] bytes, byte[] origin) {
    int length = ((bytes[8] & 0xff) << 8) | (bytes[9] & 0xff);
    return length == origin.length && Arrays.equals(bytes, 10, 10 + length, origin, 0, length);
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
      g.writeArrayFieldStart("routes");
      for (Route r : s.routes()) {
        g.writeRawValue(Routes.toJson(r).encode());
      }
      g.writeEndArray();
      g.writeObjectFieldStart("lastRequests");
      for (var e : new TreeMap<>(s.lastRequests()).entrySet()) {
        g.writeNumberField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();
    });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // The revision first, uncompressed, so that a reader can pick the newest snapshot without inflating any.
    out.writeBytes(Buffer.buffer(8).appendLong(s.revision()).getBytes());
    // The fastest level: a snapshot of a large registry is written every few seconds under heavy writes, on every
    // node, and the default level measured a twelfth of a busy node's CPU for 10-20% smaller files.
    try (GZIPOutputStream gzip = new GZIPOutputStream(out) {
      {
        def.setLevel(Deflater.BEST_SPEED);
      }
    }) {
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
    List<Route> routes = new ArrayList<>();
    for (Object o : json.getJsonArray("routes", new JsonArray())) {
      JsonObject r = (JsonObject) o;
      routes.add(Routes.parse(r, r.getString("id")));
    }
    Map<String, Long> lastRequests = new HashMap<>();
    JsonObject requests = json.getJsonObject("lastRequests", new JsonObject());
    for (String origin : requests.fieldNames()) {
      lastRequests.put(origin, requests.getLong(origin));
    }
    return new Snapshot(json.getLong("revision"), json.getLong("term"), json.getString("leader"),
        json.getLong("leaderSince", 0L), services, nodes, routes, lastRequests);
  }
}
