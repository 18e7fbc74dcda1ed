package io.cairn.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.ExtensionRegistryLite;
import io.cairn.log.v1.SnapshotHeader;
import io.cairn.log.v1.SnapshotRecord;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The form of a registry snapshot, on a node's disk (Raft's snapshots) and in a backup ({@code GET /v1/snapshot},
 * {@code cairn snapshot save}): the revision (8 bytes, uncompressed, so that a reader can pick the newest file
 * without inflating any), a magic, then gzip of a {@link SnapshotHeader} and one length-prefixed
 * {@link SnapshotRecord} per instance, node and route. Records stream one at a time both ways, so neither side holds
 * the whole registry as one message. Here, in the common module, so that the node and the command line read it alike.
 */
public final class SnapshotFile {
  private static final byte[] MAGIC = {'C', 'S', 'N', 2};
  /** Where the compressed part starts. */
  public static final int PREFIX_BYTES = 8 + MAGIC.length;

  private SnapshotFile() {
  }

  /** What a record sink is given: one record at a time, in file order. */
  @FunctionalInterface
  public interface Records {
    void write(SnapshotRecord record) throws IOException;
  }

  /** What writes the records of one snapshot. */
  @FunctionalInterface
  public interface Body {
    void writeTo(Records records) throws IOException;
  }

  /**
   * Writes a snapshot: the header, then whatever {@code body} hands its sink. At gzip's fastest level: a snapshot of
   * a large registry is written every few seconds under heavy writes, on every node, and the default level measured a
   * twelfth of a busy node's CPU for 10-20% smaller files.
   */
  public static void write(OutputStream out, SnapshotHeader header, Body body) throws IOException {
    DataOutputStream prefix = new DataOutputStream(out);
    prefix.writeLong(header.getRevision());
    prefix.write(MAGIC);
    prefix.flush();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out, 1 << 16) {
      {
        def.setLevel(Deflater.BEST_SPEED);
      }
    }) {
      CodedOutputStream records = CodedOutputStream.newInstance(gzip, 1 << 16);
      records.writeMessageNoTag(header);
      body.writeTo(records::writeMessageNoTag);
      records.flush();
    }
  }

  /** True when {@code bytes} start as a snapshot of this form (not the JSON of releases before the binary log). */
  public static boolean isBinary(byte[] bytes) {
    return bytes.length >= PREFIX_BYTES && Arrays.equals(bytes, 8, PREFIX_BYTES, MAGIC, 0, MAGIC.length);
  }

  /** The revision a snapshot file holds, from its first 8 bytes. */
  public static long revision(byte[] bytes) {
    long r = 0;
    for (int i = 0; i < 8; i++) {
      r = (r << 8) | (bytes[i] & 0xff);
    }
    return r;
  }

  /**
   * Reads a snapshot from its first byte: hands each record to {@code records} and answers the header. Anything but a
   * whole snapshot of this form (another file, a truncated download) fails with an IOException saying what is wrong.
   */
  public static SnapshotHeader read(InputStream in, Consumer<SnapshotRecord> records) throws IOException {
    byte[] prefix = new byte[PREFIX_BYTES];
    try {
      new DataInputStream(in).readFully(prefix);
    } catch (EOFException e) {
      throw new IOException("too short for a Cairn snapshot");
    }
    if (!isBinary(prefix)) {
      throw new IOException("not a Cairn snapshot (no CSN2 magic after the revision)");
    }
    return readCompressed(in, records);
  }

  /** Reads what follows the prefix: the gzip of the header and records. */
  public static SnapshotHeader readCompressed(InputStream compressed, Consumer<SnapshotRecord> records)
      throws IOException {
    try (GZIPInputStream gzip = new GZIPInputStream(compressed, 1 << 16)) {
      CodedInputStream in = CodedInputStream.newInstance(gzip, 1 << 16);
      SnapshotHeader header = in.readMessage(SnapshotHeader.parser(), ExtensionRegistryLite.getEmptyRegistry());
      while (!in.isAtEnd()) {
        // The counter guards one message's size, not a whole file of them.
        in.resetSizeCounter();
        records.accept(in.readMessage(SnapshotRecord.parser(), ExtensionRegistryLite.getEmptyRegistry()));
      }
      return header;
    } catch (EOFException e) {
      throw new IOException("the snapshot ends early (a truncated file)");
    } catch (IOException e) {
      // What gzip or protobuf say of a damaged or cut file (a ZLIB stream that ends, a bad length) is about bytes.
      throw new IOException("the snapshot is damaged or cut short: " + e.getMessage(), e);
    }
  }
}
