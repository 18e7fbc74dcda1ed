package io.cairn.bench.scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The snapshots nodes write, seen from their data directories. A node writes a snapshot into
 * {@code <dataDir>/raft/<group>/sm/snapshot.<term>_<index>.tmp} (the file is opened before the replica is encoded),
 * forces it and renames it: a thread that lists the directories every few milliseconds sees the temporary file
 * appear and the final one replace it, which is how long writing it took (encoding, gzip, write, fsync), to within
 * the polling period. The node says nothing of it itself.
 */
final class SnapshotFiles implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)(\\.tmp)?");
  private static final long POLL_MILLIS = 10;

  /**
   * One snapshot a node finished: its revision, its size and how long its temporary file existed (-1 when it was
   * written between two polls).
   */
  record Written(String node, long revision, long bytes, long millis) {
  }

  private final Map<String, Path> dataDirs;
  private final List<Written> written = new CopyOnWriteArrayList<>();
  private final Map<String, Long> tmpSeenAt = new HashMap<>();
  private final Thread poller;
  private volatile boolean running = true;

  /** Starts watching these nodes' data directories (node id -> node.dataDir). */
  SnapshotFiles(Map<String, Path> dataDirs) {
    this.dataDirs = Map.copyOf(dataDirs);
    poller = new Thread(this::poll, "snapshot-files");
    poller.setDaemon(true);
    poller.start();
  }

  /** The first snapshot of {@code node} at or after {@code revision} that was seen being written, or null. */
  Written firstAtOrAfter(String node, long revision) {
    return written.stream().filter(w -> w.node.equals(node) && w.revision >= revision).findFirst().orElse(null);
  }

  /**
   * Waits until each of these nodes wrote a snapshot at or after {@code revision}; returns the nodes that did not
   * within {@code within} (a node does not snapshot while it is not ready, nor less than snapshot.interval after
   * its last one: on a machine too loaded to hold the cluster steady, one may not).
   */
  List<String> awaitAll(List<String> nodes, long revision, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      List<String> missing = nodes.stream().filter(n -> firstAtOrAfter(n, revision) == null).toList();
      if (missing.isEmpty() || System.nanoTime() > deadline) {
        return missing;
      }
      Thread.sleep(100);
    }
  }

  /** The newest snapshot {@code node} was seen writing, or null. */
  Written newest(String node) {
    return written.stream().filter(w -> w.node.equals(node)).reduce((a, b) -> b).orElse(null);
  }

  /** Every snapshot seen, in the order they were finished. */
  List<Written> all() {
    return List.copyOf(written);
  }

  private void poll() {
    Map<String, Long> finished = new HashMap<>();
    while (running) {
      for (Map.Entry<String, Path> node : dataDirs.entrySet()) {
        for (Path file : snapshotFiles(node.getValue())) {
          Matcher m = NAME.matcher(file.getFileName().toString());
          if (!m.matches()) {
            continue;
          }
          String key = node.getKey() + "/" + m.group(2);
          long now = System.nanoTime();
          if (m.group(3) != null) {
            tmpSeenAt.putIfAbsent(key, now);
          } else if (!finished.containsKey(key)) {
            finished.put(key, now);
            Long started = tmpSeenAt.get(key);
            written.add(new Written(node.getKey(), Long.parseLong(m.group(2)), size(file),
                started == null ? -1 : (now - started) / 1_000_000));
          }
        }
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The snapshot files (final and temporary) under a data directory; none while it does not exist yet. */
  private static List<Path> snapshotFiles(Path dataDir) {
    Path raft = dataDir.resolve("raft");
    if (!Files.isDirectory(raft)) {
      return List.of();
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> groups = Files.list(raft)) {
      for (Path group : groups.toList()) {
        Path sm = group.resolve("sm");
        if (Files.isDirectory(sm)) {
          try (Stream<Path> s = Files.list(sm)) {
            s.filter(f -> f.getFileName().toString().startsWith("snapshot.")).forEach(files::add);
          }
        }
      }
    } catch (IOException | UncheckedIOException racedWithDeletion) {
      // Ratis deletes old snapshots while we list: the next round sees the directory as it is then.
    }
    return files;
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException gone) {
      return -1;
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    poller.interrupt();
    poller.join(1000);
  }
}
