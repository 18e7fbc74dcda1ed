package io.cairn.support;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags of the nodes the process tests start.
 *
 * <p>Why, in the test run (not in benchmarks): a node's start-up cost 8-9 s of CPU (class loading and the C2 compiler warming up), and
 * the process tests start a few hundred nodes on two cores, so the suite was CPU-bound. With the C1 compiler only
 * and a class-data-sharing archive of the jar's classes, a start costs about 3 s. What the tests check (failover,
 * partitions, no write lost) depends on timeouts and the log, not on peak compiled speed.
 *
 * <p>The archive is made once per jar with these JVMs' own flags (a node started, then stopped gracefully, which is
 * when the JVM writes it), under the build directory, by whichever test JVM needs it first; the others wait for it.
 */
public final class NodeJvm {
  /** Set by the test run (pom.xml); benchmarks start their nodes with the product's flags. */
  private static final boolean QUICK_START = Boolean.getBoolean("cairn.it.quickStart");
  private static Path archive;
  private static boolean archiveTried;

  private NodeJvm() {
  }

  /** Flags for a node JVM: the heap ({@code cairn.it.heap}, 256m), the collector, and in tests the quick start. */
  public static synchronized List<String> flags() {
    List<String> f = new ArrayList<>(List.of("-Xmx" + System.getProperty("cairn.it.heap", "256m"),
        "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError"));
    if (QUICK_START) {
      f.add("-XX:TieredStopAtLevel=1");
      if (!archiveTried) {
        archiveTried = true;
        archive = archive();
      }
      if (archive != null) {
        // As ./run.sh: a JVM that cannot use the archive starts without it, and says nothing in the node's log.
        f.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
      }
    }
    return f;
  }

  /** Flags for another main class of the jar (the agent): a small heap, and in tests C1 only and one GC thread. */
  static List<String> jarClassFlags() {
    return QUICK_START ? List.of("-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC") : List.of("-Xmx128m");
  }

  static String jar() {
    return new File(System.getProperty("cairn.jar", "target/cairn.jar")).getAbsolutePath();
  }

  /** The jar's class archive, made now if this jar has none yet; null if it cannot be made (the tests run without). */
  private static Path archive() {
    // Not the build's archive (target/cairn-<java>.jsa): made with the node's flags, it failed to map in these JVMs
    // (CI: "Unable to use shared archive", on stdout, which LoggingIT reads as a log line).
    File jar = new File(jar());
    Path archive = jar.toPath().resolveSibling("cairn-it-" + Long.toHexString(jar.length() ^ jar.lastModified())
        + ".jsa");
    Path lockFile = jar.toPath().resolveSibling("cairn-it-jsa.lock");
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock ignored = channel.lock()) {
      if (!Files.exists(archive)) {
        deleteStale(archive);
        make(archive);
      }
      return Files.exists(archive) ? archive : null;
    } catch (Exception | AssertionError e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      System.out.println("NodeJvm: nodes start without a class archive (" + e + ")");
      return null;
    }
  }

  /**
   * The archives of earlier jars beside it: one per build otherwise piles up in a checkout that is built and tested
   * many times (some 70 MB each). A JVM still running on one keeps its mapping after the file is gone.
   */
  private static void deleteStale(Path archive) throws IOException {
    try (DirectoryStream<Path> others = Files.newDirectoryStream(archive.getParent(), "cairn-it-*.jsa")) {
      for (Path other : others) {
        if (!other.equals(archive)) {
          Files.deleteIfExists(other);
        }
      }
    }
  }

  /** Starts one node that writes the archive when it exits, waits until it serves, then stops it gracefully. */
  private static void make(Path archive) throws Exception {
    Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try (JarCluster training = new JarCluster(1, false).withJvmFlags(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-XX:ArchiveClassesAtExit=" + tmp))) {
      JarCluster.Node node = training.start(0);
      training.awaitHealthy(node, Duration.ofSeconds(120));
      training.terminate(node, Duration.ofSeconds(120)); // the JVM writes the archive as it exits
      if (Files.exists(tmp)) {
        Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE);
      } else {
        System.out.println("NodeJvm: the archiving node wrote no archive:\n" + node.logTail(20));
      }
    }
  }
}
