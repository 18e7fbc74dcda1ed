package io.cairn.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Temporary directories the tests make (nodes' data, browser profiles, Prometheus' storage). */
public final class TempDirs {
  private TempDirs() {
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
