package io.cairn.replication;

import io.cairn.registry.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Registry snapshots in {@code <dataDir>/snapshots/}, gzip-compressed, one file per snapshot named by its revision.
 * A snapshot is written to a temporary file, forced to disk, then renamed into place (and the directory forced),
 * so a crash leaves either the whole new file or none. The newest {@code retain} are kept. Reading skips a file
 * that is truncated or corrupt, with a warning, and takes the next older one. Blocking: call from a worker.
 */
public final class DiskSnapshots {
  private static final Logger log = LoggerFactory.getLogger(DiskSnapshots.class);
  private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})\\.bin\\.gz");

  private final Path dir;
  private final int retain;

  public DiskSnapshots(Path dataDir, int retain) {
    this.dir = dataDir.resolve("snapshots");
    this.retain = Math.max(1, retain);
  }

  public Path dir() {
    return dir;
  }

  /** Writes the snapshot durably; returns its file. */
  public Path write(Snapshot snapshot) {
    try {
      Files.createDirectories(dir);
      ByteArrayOutputStream compressed = new ByteArrayOutputStream();
      try (GZIPOutputStream gzip = new GZIPOutputStream(compressed, 1 << 16)) {
        gzip.write(LogCodec.encode(snapshot));
      }
      Path target = dir.resolve(String.format("snapshot-%020d.bin.gz", snapshot.revision()));
      Path tmp = dir.resolve(target.getFileName() + ".tmp");
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.wrap(compressed.toByteArray());
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
        out.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      forceDirectory();
      prune();
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a snapshot into " + dir, e);
    }
  }

  /** The newest snapshot that reads back whole, or null when there is none. */
  public Snapshot loadNewest() {
    for (Path file : files()) {
      try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
        return LogCodec.decodeSnapshot(in.readAllBytes());
      } catch (IOException | RuntimeException e) {
        log.warn("Skipping snapshot {}: it cannot be read ({}); trying the one before", file.getFileName(),
            e.toString());
      }
    }
    return null;
  }

  /** Deletes every snapshot (the node takes the cluster's history instead of the one on its disk). */
  public void clear() {
    try {
      for (Path p : files()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Snapshot files, newest first. */
  List<Path> files() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.sort(Comparator.comparingLong(DiskSnapshots::revisionOf).reversed());
    return files;
  }

  static long revisionOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private void prune() throws IOException {
    List<Path> files = files();
    for (int i = retain; i < files.size(); i++) {
      Files.deleteIfExists(files.get(i));
    }
  }

  private void forceDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some file systems cannot force a directory; the rename is still atomic.
    }
  }
}
