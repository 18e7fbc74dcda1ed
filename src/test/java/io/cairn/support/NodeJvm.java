package io.cairn.support;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The JVM flags of the nodes the process tests start.
 *
 * <p>Why, in the test run (not in benchmarks): a node's start-up cost 8-9 s of CPU (class loading and the C2 compiler warming up), and
 * the process tests start a few hundred nodes on two cores, so the suite was CPU-bound. With the C1 compiler only
 * and a class-data-sharing archive of the jar's classes, a start costs about 3 s. What the tests check (failover,
 * partitions, no write lost) depends on timeouts and the log, not on peak compiled speed.
 *
 * <p>The archive is made once per jar (a node started, then stopped gracefully, which is when the JVM writes it),
 * under the build directory, by whichever test JVM needs it first; the others wait for it.
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
        "-XX:+UseParallelGC"));
    if (QUICK_START) {
      f.add("-XX:TieredStopAtLevel=1");
      if (!archiveTried) {
        archiveTried = true;
        archive = archive();
      }
      if (archive != null) {
        f.add("-XX:SharedArchiveFile=" + archive);
      }
    }
    return f;
  }

  static String jar() {
    return new File(System.getProperty("cairn.jar", "target/cairn.jar")).getAbsolutePath();
  }

  /** The jar's class archive, made now if this jar has none yet; null if it cannot be made (the tests run without). */
  private static Path archive() {
    File jar = new File(jar());
    Path archive = jar.toPath().resolveSibling("cairn-it-" + Long.toHexString(jar.length() ^ jar.lastModified())
        + ".jsa");
    Path lockFile = jar.toPath().resolveSibling("cairn-it-jsa.lock");
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock ignored = channel.lock()) {
      if (!Files.exists(archive)) {
        make(archive);
      }
      return Files.exists(archive) ? archive : null;
    } catch (IOException | RuntimeException e) {
      System.out.println("NodeJvm: nodes start without a class archive (" + e + ")");
      return null;
    }
  }

  private static void make(Path archive) throws IOException {
    Path work = Files.createTempDirectory("cairn-jsa");
    Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    int http = TestNodes.freePort();
    int hazelcast = TestNodes.freePort();
    int raft = TestNodes.freePort();
    List<String> cmd = List.of(JarCluster.javaBinary(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-XX:ArchiveClassesAtExit=" + tmp, "-jar", jar(), "-cluster", "-cluster-host", "127.0.0.1",
        "--node.id=jsa", "--node.dataDir=" + work.resolve("data"), "--http.host=127.0.0.1", "--http.port=" + http,
        "--cluster.name=cairn-jsa-" + http, "--cluster.host=127.0.0.1", "--cluster.port=" + hazelcast,
        "--cluster.portAutoIncrement=false", "--cluster.join=127.0.0.1:" + hazelcast, "--cluster.raft.port=" + raft);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(work.resolve("node.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline && p.isAlive()) {
        try {
          if (Http.get("http://127.0.0.1:" + http + "/health").status() == 200) {
            break;
          }
        } catch (RuntimeException notYet) {
          // not listening yet
        }
        JarCluster.pause(200);
      }
      p.destroy(); // SIGTERM: the JVM exits normally and writes the archive
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IOException("the archiving node did not stop");
      }
      if (Files.exists(tmp)) {
        Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE);
      } else {
        System.out.println("NodeJvm: the archiving node wrote no archive; its log: " + work.resolve("node.log"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      p.destroyForcibly();
    }
  }
}
