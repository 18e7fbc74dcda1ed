package io.cairn.bench.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags the scale benchmark's nodes run with: those ./run.sh gives a node (run-bench.sh passes them:
 * {@code @conf/jvm.options} and the start-up archive, or {@code CAIRN_JAVA_OPTS}), else the jar's
 * {@code conf/jvm.options}; argument files expanded, so that the printed flags are the flags; {@code -Xmx} from
 * {@code --heap} unless they set one; and a node out of memory exits, as ./run.sh makes it.
 */
final class NodeFlags {
  private NodeFlags() {
  }

  /**
   * @param given the flags passed (may be blank)
   * @param heap  the -Xmx value when the flags set none
   * @param jar   the fat jar, whose repository's conf/jvm.options is the default
   */
  static List<String> resolve(String given, String heap, Path jar) throws IOException {
    List<String> raw = new ArrayList<>();
    if (given.isBlank()) {
      Path options = jar.toAbsolutePath().getParent().resolveSibling("conf").resolve("jvm.options");
      raw.add(Files.exists(options) ? "@" + options : "-XX:+UseParallelGC");
    } else {
      raw.addAll(List.of(given.trim().split("\\s+")));
    }
    List<String> flags = new ArrayList<>();
    for (String f : raw) {
      if (f.startsWith("@")) {
        flags.addAll(argumentFile(Path.of(f.substring(1))));
      } else {
        flags.add(f);
      }
    }
    if (flags.stream().noneMatch(f -> f.startsWith("-Xmx"))) {
      flags.add("-Xmx" + heap);
    }
    if (!flags.contains("-XX:+ExitOnOutOfMemoryError")) {
      flags.add("-XX:+ExitOnOutOfMemoryError");
    }
    return flags;
  }

  /** A java argument file: its flags, without comment lines. */
  private static List<String> argumentFile(Path file) throws IOException {
    List<String> flags = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String l = line.trim();
      if (!l.isEmpty() && !l.startsWith("#")) {
        flags.addAll(List.of(l.split("\\s+")));
      }
    }
    return flags;
  }
}
