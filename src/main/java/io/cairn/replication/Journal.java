package io.cairn.replication;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The commands this node applied since its last disk snapshot, in {@code <dataDir>/journal/}: what survives a
 * crash of the whole cluster between two snapshots. Appends are buffered in memory by the applying thread and
 * written and forced to disk by {@link #flush} (every {@code persistence.fsyncInterval}, on a worker), so a crash
 * loses at most that interval. After a snapshot at revision S a new file starts, and files holding only revisions
 * up to S are deleted.
 *
 * <p>A record is {@code length (int), revision (long), CRC32C of the item (int), item bytes} (the log item as it
 * came from the cluster log). Reading stops at the first torn or corrupt record: what a crash cut in half.
 */
public final class Journal {
  private static final Logger log = LoggerFactory.getLogger(Journal.class);
  private static final Pattern NAME = Pattern.compile("journal-(\\d{20})\\.log");
  private static final int HEADER = 4 + 8 + 4;

  private final Path dir;
  private final Object bufferLock = new Object();
  private List<Record> buffer = new ArrayList<>();
  /** Written by flush, on one worker at a time. */
  private FileChannel file;
  /** The last revision written to disk (in the current or an earlier file); -1 before the first. */
  private long lastWritten = -1;
  private long rollAt = -1;

  /** One applied log item. */
  public record Record(long revision, byte[] item) {
  }

  /** Opens the journal of a data directory (blocking: it reads what an earlier run left, to know where it ended). */
  public Journal(Path dataDir) {
    this.dir = dataDir.resolve("journal");
    List<Record> earlier = readAfter(-1);
    lastWritten = earlier.isEmpty() ? -1 : earlier.get(earlier.size() - 1).revision();
  }

  /** Called by the applying thread: the item applied at {@code revision}. Cheap; nothing is written yet. */
  public void append(long revision, byte[] item) {
    synchronized (bufferLock) {
      buffer.add(new Record(revision, item));
    }
  }

  /** After a snapshot at {@code revision}: later records go to a new file, and the older files are dropped. */
  public void rollAfter(long revision) {
    synchronized (bufferLock) {
      rollAt = revision;
    }
  }

  /** Writes what was appended and forces it to disk. Blocking; one caller at a time. */
  public synchronized void flush() {
    List<Record> pending;
    long roll;
    synchronized (bufferLock) {
      pending = buffer;
      buffer = new ArrayList<>();
      roll = rollAt;
      rollAt = -1;
    }
    try {
      if (roll >= 0) {
        roll(roll);
      }
      if (pending.isEmpty()) {
        return;
      }
      if (file == null) {
        open(pending.get(0).revision() - 1);
      }
      ByteBuffer out = ByteBuffer.allocate(pending.stream().mapToInt(r -> HEADER + r.item().length).sum());
      CRC32C crc = new CRC32C();
      for (Record r : pending) {
        crc.reset();
        crc.update(r.item());
        out.putInt(r.item().length).putLong(r.revision()).putInt((int) crc.getValue()).put(r.item());
      }
      out.flip();
      while (out.hasRemaining()) {
        file.write(out);
      }
      file.force(false);
      lastWritten = pending.get(pending.size() - 1).revision();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the journal in " + dir, e);
    }
  }

  /**
   * After a durable snapshot at {@code revision}: the next records go to a new file, and every file whose records
   * are all at or below the snapshot's revision is deleted. A file is named after the revision its records follow,
   * so a file's records end where the next file's name begins (the current file's end where writing stopped).
   */
  private void roll(long revision) throws IOException {
    closeFile();
    List<Path> sorted = files();
    sorted.sort(Comparator.comparingLong(Journal::startOf));
    for (int i = 0; i < sorted.size(); i++) {
      long lastInFile = i + 1 < sorted.size() ? startOf(sorted.get(i + 1)) : lastWritten;
      if (lastInFile <= revision) {
        Files.deleteIfExists(sorted.get(i));
      }
    }
  }

  private void open(long afterRevision) throws IOException {
    Files.createDirectories(dir);
    file = FileChannel.open(dir.resolve(String.format("journal-%020d.log", afterRevision)),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /** Whether an earlier run left records. */
  public boolean hasFiles() {
    return !files().isEmpty();
  }

  /** Forgets everything: the node takes the cluster's history instead of the one on its disk. Blocking. */
  public synchronized void reset() {
    synchronized (bufferLock) {
      buffer = new ArrayList<>();
      rollAt = -1;
    }
    try {
      closeFile();
      for (Path p : files()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    lastWritten = -1;
  }

  public synchronized void close() {
    flush();
    try {
      closeFile();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void closeFile() throws IOException {
    if (file != null) {
      file.close();
      file = null;
    }
  }

  /** The records after {@code revision}, oldest first, up to the first torn or corrupt one. Blocking. */
  public List<Record> readAfter(long revision) {
    List<Record> records = new ArrayList<>();
    List<Path> files = files();
    files.sort(Comparator.comparingLong(Journal::startOf));
    for (Path path : files) {
      try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(path)))) {
        while (true) {
          Record r = read(in);
          if (r == null) {
            break;
          }
          if (r.revision() > revision) {
            records.add(r);
          }
        }
      } catch (IOException e) {
        log.warn("Journal {} cannot be read past a point ({}); later records are ignored", path.getFileName(), e.toString());
      }
    }
    return records;
  }

  /** One record, or null at the end of the file or at a torn or corrupt record. */
  private Record read(DataInputStream in) throws IOException {
    try {
      int length = in.readInt();
      long revision = in.readLong();
      int crc = in.readInt();
      if (length < 0 || length > 64 << 20) {
        return null;
      }
      byte[] item = in.readNBytes(length);
      if (item.length != length) {
        return null;
      }
      CRC32C check = new CRC32C();
      check.update(item);
      return (int) check.getValue() == crc ? new Record(revision, item) : null;
    } catch (EOFException end) {
      return null;
    }
  }

  private List<Path> files() {
    if (!Files.isDirectory(dir)) {
      return new ArrayList<>();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return new ArrayList<>(list.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long startOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }
}
