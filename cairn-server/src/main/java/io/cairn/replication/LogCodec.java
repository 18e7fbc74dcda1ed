package io.cairn.replication;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.ExtensionRegistryLite;
import io.cairn.log.v1.SnapshotHeader;
import io.cairn.log.v1.SnapshotRecord;
import io.cairn.model.Command;
import io.cairn.model.LogProto;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.buffer.Buffer;

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
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Bytes in the cluster log and in snapshot files: protobuf (cairn/log/v1/log.proto), which every node parses
 * without building JSON trees; snapshots gzipped. Snapshots of earlier releases (JSON) still load.
 */
public final class LogCodec {
  private static final byte[] SNAPSHOT_MAGIC = {'C', 'S', 'N', 2};

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

  /**
   * A snapshot file: the revision (8 bytes, uncompressed, so that a reader can pick the newest file without inflating
   * any), a magic that tells this binary form from the JSON of earlier releases, then gzip of a header and one
   * length-prefixed record per instance, node and route.
   */
  public static byte[] encode(Snapshot s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(Buffer.buffer(8).appendLong(s.revision()).getBytes());
    out.writeBytes(SNAPSHOT_MAGIC);
    // The fastest level: a snapshot of a large registry is written every few seconds under heavy writes, on every
    // node, and the default level measured a twelfth of a busy node's CPU for 10-20% smaller files.
    try (GZIPOutputStream gzip = new GZIPOutputStream(out, 1 << 16) {
      {
        def.setLevel(Deflater.BEST_SPEED);
      }
    }) {
      CodedOutputStream records = CodedOutputStream.newInstance(gzip, 1 << 16);
      SnapshotHeader.Builder header = SnapshotHeader.newBuilder()
          .setRevision(s.revision())
          .setTerm(s.term())
          .setLeaderSince(s.leaderSince())
          .putAllLastRequests(s.lastRequests());
      if (s.leader() != null) {
        header.setLeader(s.leader());
      }
      records.writeMessageNoTag(header.build());
      for (ServiceEntry e : s.services()) {
        records.writeMessageNoTag(SnapshotRecord.newBuilder().setService(LogProto.toProto(e)).build());
      }
      for (NodeInfo n : s.nodes()) {
        records.writeMessageNoTag(SnapshotRecord.newBuilder().setNode(LogProto.toProto(n)).build());
      }
      for (Route r : s.routes()) {
        records.writeMessageNoTag(SnapshotRecord.newBuilder().setRouteJson(LogProto.routeJson(r)).build());
      }
      records.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static long snapshotRevision(byte[] bytes) {
    return Buffer.buffer(bytes).getLong(0);
  }

  public static Snapshot decodeSnapshot(byte[] bytes) {
    boolean binary = Arrays.equals(bytes, 8, 8 + SNAPSHOT_MAGIC.length, SNAPSHOT_MAGIC, 0, SNAPSHOT_MAGIC.length);
    int start = binary ? 8 + SNAPSHOT_MAGIC.length : 8;
    try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(bytes, start, bytes.length - start),
        1 << 16)) {
      return binary ? readSnapshot(CodedInputStream.newInstance(gzip, 1 << 16))
          : LegacyJson.snapshot(gzip.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Snapshot readSnapshot(CodedInputStream in) throws IOException {
    SnapshotHeader header = in.readMessage(SnapshotHeader.parser(), ExtensionRegistryLite.getEmptyRegistry());
    List<ServiceEntry> services = new ArrayList<>();
    List<NodeInfo> nodes = new ArrayList<>();
    List<Route> routes = new ArrayList<>();
    while (!in.isAtEnd()) {
      // The counter guards one message's size, not a whole file of them.
      in.resetSizeCounter();
      SnapshotRecord record = in.readMessage(SnapshotRecord.parser(), ExtensionRegistryLite.getEmptyRegistry());
      switch (record.getItemCase()) {
        case SERVICE -> services.add(LogProto.fromProto(record.getService()));
        case NODE -> nodes.add(LogProto.fromProto(record.getNode()));
        case ROUTE_JSON -> routes.add(LogProto.route(record.getRouteJson()));
        default -> throw new IOException("a snapshot record of no known kind");
      }
    }
    return new Snapshot(header.getRevision(), header.getTerm(), header.hasLeader() ? header.getLeader() : null,
        header.getLeaderSince(), services, nodes, routes, new HashMap<>(header.getLastRequestsMap()));
  }
}
