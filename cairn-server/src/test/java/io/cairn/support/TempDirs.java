package io.cairn.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Temporary directories the tests make (nodes' data, browser profiles, Prometheus' storage). */
public final class TempDirs {
  /** Directories deleted when the test JVM exits: what a test shares between its cases, without an owner to clean. */
  private static final Set<Path> AT_EXIT = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> AT_EXIT.forEach(TempDirs::delete), "temp-dirs"));
  }

  private TempDirs() {
  }

  /** {@code dir}, to be deleted when the JVM exits (a test that deletes it sooner loses nothing). */
  public static Path deletedAtExit(Path dir) {
    AT_EXIT.add(dir);
    return dir;
  }

  /** Deletes {@code dir} and everything under it; a directory that is already gone is fine. */
  public static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // A temporary directory: at worst it stays.
    }
  }
}
