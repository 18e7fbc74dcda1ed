package io.cairn.replication;

import io.cairn.log.v1.SnapshotHeader;
import io.cairn.log.v1.SnapshotRecord;
import io.cairn.model.Command;
import io.cairn.model.LogProto;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.cairn.wire.SnapshotFile;

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
import java.util.zip.GZIPInputStream;

/**
 * Bytes in the cluster log and in snapshot files: protobuf (cairn/log/v1/log.proto), which every node parses
 * without building JSON trees; snapshots gzipped. Snapshots of earlier releases (JSON) still load.
 */
public final class LogCodec {
  private LogCodec() {
  }

  /** The command part of an item; encoded by whoever submits the command, so that the applying loop need not. */
  public static byte[] body(Command command) {
    return LogProto.bytes(command);
  }

  /**
   * A log item: a small header (request id, origin node) ahead of the command (cairn/log/v1 LogCommand), so that the
   * node that proposed a command recognises it on the way back without parsing it again.
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
    int bodyStart = 10 + (((bytes[8] & 0xff) << 8) | (bytes[9] & 0xff));
    return LegacyJson.isCommand(bytes, bodyStart)
        ? LegacyJson.command(bytes, bodyStart)
        : LogProto.command(bytes, bodyStart, bytes.length - bodyStart);
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

  /** A snapshot file, in {@link SnapshotFile}'s form. */
  public static byte[] encode(Snapshot s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SnapshotHeader.Builder header = SnapshotHeader.newBuilder()
        .setRevision(s.revision())
        .setTerm(s.term())
        .setLeaderSince(s.leaderSince())
        .putAllLastRequests(s.lastRequests());
    if (s.leader() != null) {
      header.setLeader(s.leader());
    }
    try {
      SnapshotFile.write(out, header.build(), records -> {
        for (ServiceEntry e : s.services()) {
          records.write(SnapshotRecord.newBuilder().setService(LogProto.toProto(e)).build());
        }
        for (NodeInfo n : s.nodes()) {
          records.write(SnapshotRecord.newBuilder().setNode(LogProto.toProto(n)).build());
        }
        for (Route r : s.routes()) {
          records.write(SnapshotRecord.newBuilder().setRouteJson(LogProto.routeJson(r)).build());
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static long snapshotRevision(byte[] bytes) {
    return SnapshotFile.revision(bytes);
  }

  /** A snapshot file of this form, or the gzipped JSON of releases before the binary log. */
  public static Snapshot decodeSnapshot(byte[] bytes) {
    try {
      if (!SnapshotFile.isBinary(bytes)) {
        try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(bytes, 8, bytes.length - 8))) {
          return LegacyJson.snapshot(gzip.readAllBytes());
        }
      }
      List<ServiceEntry> services = new ArrayList<>();
      List<NodeInfo> nodes = new ArrayList<>();
      List<Route> routes = new ArrayList<>();
      SnapshotHeader header = SnapshotFile.read(new ByteArrayInputStream(bytes), record -> {
        switch (record.getItemCase()) {
          case SERVICE -> services.add(LogProto.fromProto(record.getService()));
          case NODE -> nodes.add(LogProto.fromProto(record.getNode()));
          case ROUTE_JSON -> routes.add(LogProto.route(record.getRouteJson()));
          default -> throw new UncheckedIOException(new IOException("a snapshot record of no known kind"));
        }
      });
      return new Snapshot(header.getRevision(), header.getTerm(), header.hasLeader() ? header.getLeader() : null,
          header.getLeaderSince(), services, nodes, routes, new HashMap<>(header.getLastRequestsMap()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
