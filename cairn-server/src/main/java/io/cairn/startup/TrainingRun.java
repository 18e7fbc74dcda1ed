package io.cairn.startup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the start-up archive of the fat jar for the JVM that runs this class: a class-data-sharing archive
 * ({@code -XX:ArchiveClassesAtExit}) on Java 17 to 23, an ahead-of-time cache ({@code -XX:AOTMode=record}, then
 * {@code create}; JEP 483 and, on 25, the method profiles of JEP 515) on 24 and later. Both come from a training run:
 * real nodes ({@link TrainingCluster}) started with the node's JVM flags, one of them given registrations,
 * discoveries and the other common requests ({@link TrainingLoad}), then stopped as an operator stops it (SIGTERM),
 * which is when the JVM writes what it recorded.
 *
 * <p>The file is {@code OUT-DIR/cairn-<java.runtime.version>.jsa} (or {@code .aot}): named after the JVM, because
 * no other JVM can use it, so that {@code ./run.sh} picks the one made for the java it runs. The build runs this
 * (cairn-server's package phase, after the jar is shaded) and {@code ./run.sh} runs it once for a java that has none.
 *
 * <p>A failed training run (a port taken, a slow machine) is not a failed build: this prints why and exits 0, and
 * nodes start without an archive, only slower.
 *
 * <pre>java -cp target/cairn.jar io.cairn.startup.TrainingRun --jar target/cairn.jar --out-dir target
 *     [--work target/startup-training] [--seconds N] [-- node JVM flags...]</pre>
 */
public final class TrainingRun {
  /** Where Java's ahead-of-time cache replaced the class-data archive as the thing to make (JEP 483). */
  public static final int AOT_CACHE_FEATURE = 24;
  private static final Duration CREATE = Duration.ofSeconds(120);

  private final Path jar;
  private final Path outDir;
  private final Path work;
  private final int seconds;
  private final List<String> jvmFlags;
  private final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  private TrainingRun(Path jar, Path outDir, Path work, int seconds, List<String> jvmFlags) {
    this.jar = jar;
    this.outDir = outDir;
    this.work = work;
    this.seconds = seconds;
    this.jvmFlags = jvmFlags;
  }

  public static void main(String[] args) {
    Path jar = Path.of("target/cairn.jar");
    Path outDir = Path.of("target");
    Path work = null;
    int seconds = -1;
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jar" -> jar = Path.of(args[++i]);
        case "--out-dir" -> outDir = Path.of(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--" -> {
          flags.addAll(Arrays.asList(args).subList(i + 1, args.length));
          i = args.length;
        }
        default -> {
          System.err.println("TrainingRun: unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    boolean aot = Runtime.version().feature() >= AOT_CACHE_FEATURE;
    // Classes are all loaded after a few seconds of requests; the JIT's profiles (kept in the AOT cache from 25 on)
    // need the hot paths run some thousands of times.
    int load = seconds >= 0 ? seconds : aot ? 20 : 4;
    TrainingRun run = new TrainingRun(jar, outDir, work != null ? work : outDir.resolve("startup-training"), load,
        flags);
    try {
      Path made = aot ? run.aotCache() : run.classArchive();
      System.out.println("TrainingRun: " + made + " (" + Files.size(made) / (1 << 20) + " MB) for Java "
          + System.getProperty("java.runtime.version"));
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      System.out.println("TrainingRun: no start-up archive made (nodes start without one): " + e.getMessage());
    }
  }

  /** The file this JVM's archive has: named after the JVM (the same rule as bin/node-jvm.sh's). */
  public static String fileName(String runtimeVersion, boolean aot) {
    return "cairn-" + runtimeVersion.replaceAll("[^A-Za-z0-9.+_-]", "_") + (aot ? ".aot" : ".jsa");
  }

  private Path target(boolean aot) {
    return outDir.resolve(fileName(System.getProperty("java.runtime.version"), aot));
  }

  private Path classArchive() throws Exception {
    Path out = target(false);
    Path tmp = work.resolve(out.getFileName() + ".tmp");
    train(List.of("-XX:ArchiveClassesAtExit=" + tmp));
    return publish(tmp, out);
  }

  /** Two steps, as Java 24 needs (25 could do both in one run): record what the run loads and profiles, then create. */
  private Path aotCache() throws Exception {
    Path out = target(true);
    Path config = work.resolve("cairn.aotconf");
    Path tmp = work.resolve(out.getFileName() + ".tmp");
    train(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + config));
    if (!Files.exists(config)) {
      throw new IOException("the training node wrote no AOT configuration; see " + work.resolve("node.log"));
    }
    List<String> create = new ArrayList<>(List.of(java));
    create.addAll(jvmFlags);
    create.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + config, "-XX:AOTCache=" + tmp,
        "-jar", jar.toString()));
    Process p = new ProcessBuilder(create).redirectErrorStream(true)
        .redirectOutput(work.resolve("create.log").toFile()).start();
    if (!p.waitFor(CREATE.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("creating the AOT cache took over " + CREATE.toSeconds() + " s");
    }
    Files.deleteIfExists(config); // as large as the cache, and of no use once it is made
    return publish(tmp, out);
  }

  private Path publish(Path tmp, Path out) throws IOException {
    if (!Files.exists(tmp)) {
      throw new IOException("the JVM wrote no archive; see the logs in " + work);
    }
    return Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A training cluster from start to a graceful stop, with {@link TrainingLoad} sent to its recording node. */
  private void train(List<String> recordFlags) throws Exception {
    deleteTree(work);
    Files.createDirectories(work);
    try (TrainingCluster cluster = new TrainingCluster(java, jvmFlags, recordFlags, jar, work)) {
      cluster.awaitReady();
      new TrainingLoad(cluster.http(), cluster.base()).run(Duration.ofSeconds(seconds));
      cluster.stop();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
